# Java (from Debian, installed when missing and running as root) and the gcloud Firestore and
# Pub/Sub emulators, which the local cloud runs directly with java. The emulators come from
# Google's package repository, which not every machine reaches: they are checked, never
# downloaded, and a missing one is reported with the command that installs it (the local cloud
# says the same if started without them).
if ! command -v java >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Java (openjdk-17-jre-headless) for the Firestore and Pub/Sub emulators"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "setup: warning: Java is missing; install it with: apt-get install -y openjdk-17-jre-headless" >&2
  fi
fi
GCLOUD_SDK_ROOT="${CLOUDSDK_ROOT_DIR:-/usr/lib/google-cloud-sdk}"
if [ -z "${HYBRIDSTACK_FIRESTORE_EMULATOR_JAR:-}" ] \
  && [ ! -f "$GCLOUD_SDK_ROOT/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" ] \
  && ! compgen -G "$HOME/.cache/firebase/emulators/cloud-firestore-emulator-*.jar" >/dev/null; then
  echo "setup: warning: the Firestore emulator is missing; install it with:" \
    "apt-get install -y google-cloud-cli-firestore-emulator" \
    "(or: gcloud components install cloud-firestore-emulator)" >&2
fi
if [ -z "${HYBRIDSTACK_PUBSUB_EMULATOR_JAR:-}" ] \
  && ! compgen -G "$GCLOUD_SDK_ROOT/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar" >/dev/null; then
  echo "setup: warning: the Pub/Sub emulator is missing; install it with:" \
    "apt-get install -y google-cloud-cli-pubsub-emulator" \
    "(or: gcloud components install pubsub-emulator)" >&2
fi
