# A Docker engine for the testcontainers backend of the local cloud (emulators/runtime/containers/).
#
# When no engine answers and we are root: install Debian's docker.io (and debootstrap, which
# builds the containers' base image offline) if missing, then start dockerd in the background,
# listening on its unix socket only (no TCP), with its pid in $TOOLS/docker/dockerd.pid so it can be
# stopped by pid:  kill "$(cat .tools/docker/dockerd.pid)".
# When that is not possible we say why, write the reason to $TOOLS/docker/unavailable (the
# containers tests skip with it) and carry on: Docker is optional, the process backend is default.
# This file is sourced by scripts/setup under `set -euo pipefail`: it never exits, never fails.

HS_DOCKER_DIR="$TOOLS/docker"
HS_DOCKER_REASON="$HS_DOCKER_DIR/unavailable"

_hs_docker_unavailable() {
  echo "setup: Docker unavailable, the containers backend's tests will skip: $1"
  printf '%s\n' "$1" 2>/dev/null >"$HS_DOCKER_REASON" || true
}

_hs_docker_answers() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

_hs_docker_setup() {
  mkdir -p "$HS_DOCKER_DIR" 2>/dev/null || true
  if _hs_docker_answers; then
    rm -f "$HS_DOCKER_REASON"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    _hs_docker_unavailable "no Docker engine answers and setup is not running as root, so it \
cannot install docker.io or start dockerd (start a Docker engine, or run scripts/setup as root)"
    return 0
  fi
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} from Debian"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >"$HS_DOCKER_DIR/apt.log" 2>&1; }; then
      _hs_docker_unavailable "apt-get install ${missing[*]} failed (see $HS_DOCKER_DIR/apt.log)"
      return 0
    fi
  fi
  local pidfile="$HS_DOCKER_DIR/dockerd.pid" pid=""
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "setup: dockerd (pid $(cat "$pidfile")) is starting"
  else
    rm -f "$pidfile"
    echo "setup: starting dockerd (unix socket only; log in $HS_DOCKER_DIR/dockerd.log)"
    # setsid: its own session, so it outlives this shell and Ctrl-C of the setup does not reach it.
    setsid dockerd --host=unix:///var/run/docker.sock --pidfile="$pidfile" \
      >"$HS_DOCKER_DIR/dockerd.log" 2>&1 </dev/null &
    pid=$!
  fi
  local waited=0
  until _hs_docker_answers; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      _hs_docker_unavailable "dockerd exited during start; last lines of its log: \
$(tail -n 5 "$HS_DOCKER_DIR/dockerd.log" 2>/dev/null | tr '\n' ' ')"
      return 0
    fi
    if [ "$waited" -ge 60 ]; then
      _hs_docker_unavailable "dockerd did not answer within 60 s; last lines of its log: \
$(tail -n 5 "$HS_DOCKER_DIR/dockerd.log" 2>/dev/null | tr '\n' ' ')"
      return 0
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$HS_DOCKER_REASON"
  echo "setup: dockerd is running (pid $(cat "$pidfile" 2>/dev/null || echo '?'))"
}

_hs_docker_setup || _hs_docker_unavailable "the Docker set-up step failed unexpectedly"
