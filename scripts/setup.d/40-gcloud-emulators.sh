# Java and the gcloud Firestore and Pub/Sub emulators (run directly with java by the local cloud).
# Checked, never downloaded: Google's package repository is not reachable from every machine, so a
# missing piece is reported with the command that installs it.
gcloud_missing=()
if ! command -v java >/dev/null; then
  gcloud_missing+=("Java 17+: apt-get install -y openjdk-17-jre-headless")
fi
GCLOUD_SDK_ROOT="${CLOUDSDK_ROOT_DIR:-/usr/lib/google-cloud-sdk}"
if [ -z "${HYBRIDSTACK_FIRESTORE_EMULATOR_JAR:-}" ] \
  && [ ! -f "$GCLOUD_SDK_ROOT/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" ] \
  && ! compgen -G "$HOME/.cache/firebase/emulators/cloud-firestore-emulator-*.jar" >/dev/null; then
  gcloud_missing+=("Firestore emulator: apt-get install -y google-cloud-cli-firestore-emulator (or: gcloud components install cloud-firestore-emulator)")
fi
if [ -z "${HYBRIDSTACK_PUBSUB_EMULATOR_JAR:-}" ] \
  && ! compgen -G "$GCLOUD_SDK_ROOT/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar" >/dev/null; then
  gcloud_missing+=("Pub/Sub emulator: apt-get install -y google-cloud-cli-pubsub-emulator (or: gcloud components install pubsub-emulator)")
fi
if [ "${#gcloud_missing[@]}" -gt 0 ]; then
  echo "setup: missing for the local cloud (Firestore / Pub/Sub emulators):" >&2
  printf '  - %s\n' "${gcloud_missing[@]}" >&2
  exit 1
fi
