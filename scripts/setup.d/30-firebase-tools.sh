# firebase-tools (the Auth and Functions emulators) pinned by emulators/runtime/firebase/package-lock.json,
# installed with `npm ci` into .tools/firebase-tools. Reinstalled only when the lock file changes.
# --ignore-scripts: the only install scripts are protobufjs's version notice and re2's optional
# native build (minutes of C++ compiling offline, since its prebuilt download is unreachable);
# firebase-tools falls back to JavaScript regular expressions without it.
FIREBASE_TOOLS_DIR="$TOOLS/firebase-tools"
FIREBASE_TOOLS_LOCK="$ROOT/emulators/runtime/firebase/package-lock.json"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Node.js and npm (Debian) for firebase-tools"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "setup: Node.js 20+ and npm are missing; install them with: apt-get install -y nodejs npm" >&2
    exit 1
  fi
fi
if ! installed_from_lock "$FIREBASE_TOOLS_DIR" "$FIREBASE_TOOLS_LOCK" node_modules/.bin/firebase; then
  echo "setup: installing firebase-tools into .tools/firebase-tools (npm ci)"
  mkdir -p "$FIREBASE_TOOLS_DIR"
  cp "$ROOT/emulators/runtime/firebase/package.json" "$FIREBASE_TOOLS_LOCK" "$FIREBASE_TOOLS_DIR/"
  (cd "$FIREBASE_TOOLS_DIR" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
  record_lock "$FIREBASE_TOOLS_DIR" "$FIREBASE_TOOLS_LOCK"
fi
