# The Firebase functions codebase's Python (firebase-functions and what services/firebase/main.py
# imports) in its own virtual environment, .tools/functions-venv, pinned by
# services/firebase/requirements.lock (hashes). The assembled codebase links it as its venv/
# (emulators/runtime/functions_codebase.py), where the Functions emulator looks. Rebuilt only when the
# lock file changes.
FUNCTIONS_VENV="$TOOLS/functions-venv"
FUNCTIONS_LOCK="$ROOT/services/firebase/requirements.lock"
FUNCTIONS_STAMP="$FUNCTIONS_VENV/.lock.sha256"
functions_lock_sum="$(sha256sum "$FUNCTIONS_LOCK" | cut -d' ' -f1)"
if [ ! -x "$FUNCTIONS_VENV/bin/python" ] || [ "$(cat "$FUNCTIONS_STAMP" 2>/dev/null)" != "$functions_lock_sum" ]; then
  echo "setup: installing the Firebase functions codebase's packages into .tools/functions-venv"
  "$UV" venv --quiet --allow-existing --python python3.11 "$FUNCTIONS_VENV"
  "$UV" pip sync --quiet --require-hashes --python "$FUNCTIONS_VENV/bin/python" "$FUNCTIONS_LOCK"
  echo "$functions_lock_sum" > "$FUNCTIONS_STAMP"
fi
