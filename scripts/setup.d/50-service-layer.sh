# The services' dependency layer for the local cloud (the host's CPU and Python, which MiniStack
# runs Lambdas on), built from services/requirements.lock into the layer cache
# ($HYBRIDSTACK_CACHE_DIR or ~/.cache/hybridstack/layers/<hash>/layer.zip). The first
# `hybridstack up` then deploys without waiting for a build; a cached build returns at once.
"$ROOT/.venv/bin/python" - <<'PY'
from hybridstack.components.python_layer import DEFAULT_LOCK_FILE, build_layer, host_layer_args

target = host_layer_args()
build_layer(
    DEFAULT_LOCK_FILE,
    architecture=target.architecture,
    python_version=target.python_version,
    manylinux=target.manylinux,
)
PY
