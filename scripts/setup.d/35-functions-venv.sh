# The Firebase functions codebase's Python (firebase-functions and what services/firebase/main.py
# imports) in its own virtual environment, .tools/functions-venv, pinned by
# services/firebase/requirements.lock (hashes). The assembled codebase links it as its venv/
# (emulators/runtime/functions_codebase.py), where the Functions emulator looks. Rebuilt only when
# the lock file changes.
venv_from_lock "$TOOLS/functions-venv" "$ROOT/services/firebase/requirements.lock" \
  "the Firebase functions codebase's packages"
