# The project's own virtual environment (.venv), pinned by uv.lock.
# uv itself is bootstrapped into .tools/uv from PyPI at a pinned version.
# Also the functions later steps install their tools' own folders with (venv_from_lock and the
# lock stamp: a folder is installed again only when its lock file changes).
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

# installed_from_lock DIR LOCK EXECUTABLE: true when DIR/EXECUTABLE exists and DIR was installed
# from LOCK as it is now (its sha256 in DIR/.lock.sha256, which record_lock writes).
installed_from_lock() {
  [ -x "$1/$3" ] && [ "$(cat "$1/.lock.sha256" 2>/dev/null)" = "$(sha256sum "$2" | cut -d' ' -f1)" ]
}

# record_lock DIR LOCK: DIR is now installed from LOCK.
record_lock() {
  sha256sum "$2" | cut -d' ' -f1 > "$1/.lock.sha256"
}

# venv_from_lock VENV LOCK WHAT: a Python 3.11 virtual environment VENV holding exactly LOCK's
# packages (hashes required); rebuilt only when LOCK changes. WHAT names them in the message.
venv_from_lock() {
  if ! installed_from_lock "$1" "$2" bin/python; then
    echo "setup: installing $3 into ${1#"$ROOT"/}"
    "$UV" venv --quiet --allow-existing --python python3.11 "$1"
    "$UV" pip sync --quiet --require-hashes --python "$1/bin/python" "$2"
    record_lock "$1" "$2"
  fi
}
