# MiniStack (the AWS emulator) in its OWN virtual environment, .tools/ministack, pinned by
# emulators/runtime/aws/ministack.lock (hashes; cryptography included for its JWT authorizer). Its botocore
# pin never meets the project's. Rebuilt only when the lock file changes.
MINISTACK_VENV="$TOOLS/ministack"
MINISTACK_LOCK="$ROOT/emulators/runtime/aws/ministack.lock"
MINISTACK_STAMP="$MINISTACK_VENV/.lock.sha256"
ministack_lock_sum="$(sha256sum "$MINISTACK_LOCK" | cut -d' ' -f1)"
if [ ! -x "$MINISTACK_VENV/bin/python" ] || [ "$(cat "$MINISTACK_STAMP" 2>/dev/null)" != "$ministack_lock_sum" ]; then
  echo "setup: installing MiniStack into .tools/ministack"
  "$UV" venv --quiet --allow-existing --python python3.11 "$MINISTACK_VENV"
  "$UV" pip sync --quiet --require-hashes --python "$MINISTACK_VENV/bin/python" "$MINISTACK_LOCK"
  echo "$ministack_lock_sum" > "$MINISTACK_STAMP"
fi
