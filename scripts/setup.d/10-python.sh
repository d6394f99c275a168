# The project's own virtual environment (.venv), pinned by uv.lock.
# uv itself is bootstrapped into .tools/uv from PyPI at a pinned version.
UV_VERSION=0.13.8
UV="$TOOLS/uv/bin/uv"
if [ ! -x "$UV" ] || [ "$("$UV" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "setup: installing uv $UV_VERSION into .tools/uv"
  python3 -m venv "$TOOLS/uv"
  "$TOOLS/uv/bin/pip" install --quiet "uv==$UV_VERSION"
fi
export UV UV_PYTHON_DOWNLOADS=never
# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (some sandboxes), Python never caches
# bytecode and every process compiles pulumi_aws' modules from source again (~2 s of a deploy);
# uv compiles them once (later runs only check them, ~1.5 s).
(cd "$ROOT" && "$UV" sync --quiet --locked --all-extras --group dev --compile-bytecode)
# The environment records where its tools are (hybridstack/locations.py, rule 2), so the
# checkout's `hybridstack` command finds them from any working directory.
mkdir -p "$ROOT/.venv/etc/hybridstack"
printf '%s\n' "$TOOLS" > "$ROOT/.venv/etc/hybridstack/tools-dir"
