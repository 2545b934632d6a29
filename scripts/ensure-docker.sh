#!/usr/bin/env bash
# Makes sure a Docker engine answers, and that the host has what the image builder's host-assembled
# base image needs (busybox-static, iptables). Idempotent: does nothing when all is in place.
#   - installs docker.io and docker-compose (compose v1) when dockerd is missing (Debian/Ubuntu, apt)
#   - starts dockerd in the background (setsid, log in $DOCKERD_LOG) when `docker info` fails
#   - waits up to $DOCKER_WAIT_SECONDS (60) for `docker info` to answer
# Needs root (or sudo) to install or start anything. Exits non-zero with a reason otherwise.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKER_WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}
APT_UPDATED=0

say() { printf 'ensure-docker: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
# Any busybox works (the builder copies the libraries ldd lists); busybox-static needs none.
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || missing+=(busybox-static)
command -v iptables-restore >/dev/null 2>&1 || [ -x /usr/sbin/iptables-restore ] || missing+=(iptables)
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi

if docker info >/dev/null 2>&1; then
  say "engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd is running but does not answer yet; waiting"
else
  say "starting dockerd (log: $DOCKERD_LOG)"
  as_root sh -c "setsid dockerd >>'$DOCKERD_LOG' 2>&1 < /dev/null &"
fi

for _ in $(seq 1 "$DOCKER_WAIT_SECONDS"); do
  if docker info >/dev/null 2>&1; then
    say "engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 1
done
say "last lines of $DOCKERD_LOG:"
tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
die "the Docker engine did not answer within ${DOCKER_WAIT_SECONDS}s"
