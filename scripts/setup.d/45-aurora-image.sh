# The PostgreSQL image MiniStack runs for each Aurora cluster of the local cloud (Debian's
# PostgreSQL 15, built FROM the local Debian base; emulators/runtime/containers/Dockerfile.postgres).
# Built once per change of its Dockerfile (~20 s; the base image ~2 min the first time), found at
# once afterwards. Without a Docker engine (see 40-docker.sh) there is nothing to build: the local
# cloud then runs RDS as metadata only and says so when a cluster's Data API is used.
if [ ! -e "$TOOLS/docker/unavailable" ] && command -v docker >/dev/null 2>&1; then
  "$ROOT/.venv/bin/python" -m hybridstack.emulators.runtime.aurora \
    || echo "setup: the Aurora PostgreSQL image could not be built (see above); RDS stays metadata only"
fi
