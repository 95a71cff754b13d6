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

# Node 20 + npm + make + git on busybox, from this machine's own binaries (no registry, no mirror):
# what `orca init` e2e tests run Node and Makefile projects in, and what the repository's jobs.yml uses.
build_node() {
  local tag=$1
  if docker image inspect "$tag" >/dev/null 2>&1; then
    log "$tag present"
    return
  fi
  local node make git npm_dir
  node=$(command -v node) make=$(command -v make) git=$(command -v git)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  if [ -z "$node" ] || [ -z "$make" ] || [ -z "$git" ] || [ ! -d "$npm_dir" ]; then
    log "skipping $tag: needs node, npm, make and git on this machine"
    return
  fi
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  mkdir -p "$ctx/root/bin" "$ctx/root/usr/bin" "$ctx/root/usr/lib/node_modules"
  cp /bin/busybox "$ctx/root/bin/busybox"
  cp "$node" "$ctx/root/usr/bin/node"
  cp "$make" "$ctx/root/usr/bin/make"
  cp "$git" "$ctx/root/usr/bin/git"
  # The machine's trusted certificates, so npm inside reaches the registry the way the host does.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$ctx/root/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/ca-certificates.crt"
  fi
  cp -r "$npm_dir" "$ctx/root/usr/lib/node_modules/npm"
  # The shared libraries node, make and git link against, at the same paths.
  local lib
  for lib in $({ ldd "$node"; ldd "$make"; ldd "$git"; } | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$ctx/root$(dirname "$lib")"
    cp -L "$lib" "$ctx/root$lib"
  done
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/sh", "-c", "mkdir -p /tmp /root /etc && chmod 1777 /tmp && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'root:x:0:' > /etc/group && ln -s /bin/busybox /usr/bin/env && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/bin/npx"]
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
DOCKERFILE
  log "building $tag"
  docker build -q -t "$tag" "$ctx" >/dev/null
}

build_busybox busybox:1.36
build_busybox orca-test/busybox:latest
build_node orca-test/node:20
log "done"
