# MiniStack (the AWS emulator) in its OWN virtual environment, .tools/ministack, pinned by
# emulators/runtime/aws/ministack.lock (hashes; cryptography included for its JWT authorizer).
# Its botocore pin never meets the project's. Rebuilt only when the lock file changes.
venv_from_lock "$TOOLS/ministack" "$ROOT/emulators/runtime/aws/ministack.lock" \
  "MiniStack"
