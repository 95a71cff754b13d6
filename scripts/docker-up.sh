#!/usr/bin/env bash
# Make a Docker engine answer on this machine: install it from Debian's packages and start it when
# none answers. Idempotent: every step is skipped when its result is already there.
# This is for CI and development machines only; orca itself never installs Docker.
set -euo pipefail

log() { printf '[docker-up] %s\n' "$*" >&2; }

# busybox-static goes into the test images (scripts/test-images.sh): check it even when an engine answers.
need_install() {
  ! command -v dockerd >/dev/null 2>&1 || ! dpkg -s busybox-static >/dev/null 2>&1
}

if docker info >/dev/null 2>&1 && ! need_install; then
  log "engine already answering"
  exit 0
fi

if need_install; then
  if [ "$(id -u)" != 0 ]; then
    log "dockerd is not installed and this is not root: install Docker first"
    exit 1
  fi
  log "installing docker.io, busybox-static, iptables"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io busybox-static iptables >/dev/null
fi

# A daemon that died leaves pid files behind and a new one refuses to start. Judge the default
# daemon by its own pid file: other dockerd processes (e.g. a test's private engine) do not count.
pid=$(cat /var/run/docker.pid 2>/dev/null || true)
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
  log "starting dockerd (log: /tmp/dockerd.log)"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine up: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; last lines of /tmp/dockerd.log:"
tail -n 20 /tmp/dockerd.log >&2 || true
exit 1
