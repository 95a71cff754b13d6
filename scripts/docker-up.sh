#!/usr/bin/env bash
# Make a Docker engine answer on this machine: install it from Debian's packages and start it when
# none answers. Idempotent: every step is skipped when its result is already there.
# This is for CI and development machines only; orca itself never installs Docker.
set -euo pipefail

log() { printf '[docker-up] %s\n' "$*" >&2; }

# What is missing: the engine (docker.io) and busybox-static, which goes into the test images
# (scripts/test-images.sh) and is checked even when an engine answers. A machine with Docker from
# elsewhere (Docker's own packages, a CI runner) gets only busybox-static: docker.io would conflict.
missing_packages() {
  command -v dockerd >/dev/null 2>&1 || echo docker.io iptables
  dpkg -s busybox-static >/dev/null 2>&1 || echo busybox-static
  # xmllint checks the JUnit files of the reports tests against the schema in test/fixtures/junit.
  command -v xmllint >/dev/null 2>&1 || echo libxml2-utils
  # The provenance tests check attestations with upstream's in-toto validators (protobuf) and securesystemslib.
  dpkg -s python3-protobuf >/dev/null 2>&1 || echo python3-protobuf
  dpkg -s python3-securesystemslib >/dev/null 2>&1 || echo python3-securesystemslib
  # A private registry (Distribution v2) and htpasswd for the registry-credentials tests.
  command -v docker-registry >/dev/null 2>&1 || echo docker-registry
  command -v htpasswd >/dev/null 2>&1 || echo apache2-utils
}

missing=$(missing_packages | xargs)
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing $missing and this is not root: install them first (sudo $0)"
    exit 1
  fi
  log "installing $missing"
  apt-get update -qq
  # shellcheck disable=SC2086 # one package a word
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "engine already answering"
  exit 0
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
