#!/usr/bin/env bash
# Start Podman's Docker-compatible API on a socket of its own and print the DOCKER_HOST that reaches
# it, so orca and the test suite can run against Podman instead of Docker:
#   export DOCKER_HOST=$(bash scripts/podman-up.sh) && bash scripts/test-images.sh && npx vitest run test/e2e/run.test.ts
# Idempotent: installs what is missing (as root, from Debian's packages), reuses a service that answers.
# Its storage is its own (under $ORCA_PODMAN_DIR, default /tmp/orca-podman): Docker's images are not
# Podman's, so scripts/test-images.sh must run again with DOCKER_HOST set. For CI and development
# machines only; orca itself never installs an engine.
set -euo pipefail

log() { printf '[podman-up] %s\n' "$*" >&2; }

dir=${ORCA_PODMAN_DIR:-/tmp/orca-podman}
socket=$dir/podman.sock
mkdir -p "$dir"

missing=""
command -v podman >/dev/null 2>&1 || missing="$missing podman"
command -v runc >/dev/null 2>&1 || missing="$missing runc"
# orca starts job containers with an init process (Init: true); Podman's is catatonit.
[ -x /usr/libexec/podman/catatonit ] || missing="$missing catatonit"
if [ -n "$missing" ]; then
  log "installing$missing"
  apt-get update -qq
  # shellcheck disable=SC2086 # one package a word
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Podman sets rlimits (nofile, nproc) on every container by default; a sandbox without
# CAP_SYS_RESOURCE refuses that ("error setting rlimits for ready process"), so containers inherit
# the service's own. crun refuses this machine's hybrid cgroups: runc is used.
cat >"$dir/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF

if curl -sf --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1; then
  log "service already answering"
else
  rm -f "$socket"
  CONTAINERS_CONF=$dir/containers.conf nohup podman --root "$dir/root" --runroot "$dir/run" \
    system service --time=0 "unix://$socket" >"$dir/service.log" 2>&1 &
  echo $! >"$dir/service.pid"
  for _ in $(seq 1 50); do
    curl -sf --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf --unix-socket "$socket" http://podman/_ping >/dev/null || { log "the service did not answer; see $dir/service.log"; exit 1; }
  log "service started (pid $(cat "$dir/service.pid"))"
fi
echo "unix://$socket"
