#!/usr/bin/env bash
# Build the images the test suite and the example pipeline use, without a registry.
# Idempotent: an image that already exists under its tag is kept.
set -euo pipefail

log() { printf '[test-images] %s\n' "$*" >&2; }

# busybox from scratch: sh, sleep, tar, sha256sum, ... in 2 MB.
build_busybox() {
  local tag=$1
  if docker image inspect "$tag" >/dev/null 2>&1; then
    log "$tag present"
    return
  fi
  # /bin/busybox from busybox-static (scripts/docker-up.sh installs it) needs no libraries.
  local bb=/bin/busybox
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  cp "$bb" "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/mkdir", "-p", "/tmp", "/root", "/usr/bin", "/etc"]
RUN ["/bin/sh", "-c", "echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'root:x:0:' > /etc/group && chmod 1777 /tmp"]
DOCKERFILE
  log "building $tag"
  docker build -q -t "$tag" "$ctx" >/dev/null
}

build_busybox busybox:1.36
build_busybox orca-test/busybox:latest
log "done"
