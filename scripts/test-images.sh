#!/usr/bin/env bash
# Build the images the test suite and the example pipeline use, without a registry.
# Idempotent: an image that already exists under its tag is kept.
#
# Each image is a root filesystem put together here and loaded with `docker import`: no Dockerfile,
# so no builder. BuildKit needs the buildx plugin, which Debian's docker.io does not ship, and the
# legacy builder is deprecated (the client warns on every build, even with DOCKER_BUILDKIT=0).
# Importing a tarball works the same on every engine and client version.
set -euo pipefail

log() { printf '[test-images] %s\n' "$*" >&2; }

present() {
  if docker image inspect "$1" >/dev/null 2>&1; then
    log "$1 present"
    return 0
  fi
  return 1
}

# The skeleton every image shares: busybox with each applet linked in /bin (what
# `busybox --install -s /bin` does), /tmp, /root and a passwd/group naming root.
# /bin/busybox from busybox-static (scripts/docker-up.sh installs it) needs no libraries.
busybox_root() {
  local root=$1 applet
  mkdir -p "$root/bin" "$root/tmp" "$root/root" "$root/usr/bin" "$root/etc"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s /bin/busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
}

# Copies into ROOT the shared libraries each BINARY links against, at the same paths (a static
# binary has none).
copy_libs() {
  local root=$1 lib
  shift
  for lib in $(for bin in "$@"; do ldd "$bin" 2>/dev/null || true; done | grep -o '/[^ ]*' | sort -u); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# Loads a root filesystem as image TAG; the remaining arguments are `docker import` options.
# Files belong to root inside the image whoever runs this script.
import_root() {
  local tag=$1 root=$2
  shift 2
  log "building $tag"
  tar -C "$root" --owner=0 --group=0 --numeric-owner -c . | docker import "$@" - "$tag" >/dev/null
}

# busybox: sh, sleep, tar, sha256sum, ... in 2 MB.
build_busybox() {
  local tag=$1
  present "$tag" && return
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  busybox_root "$ctx"
  import_root "$tag" "$ctx" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
}

# Node 20 + npm + make + git on busybox, from this machine's own binaries (no registry, no mirror):
# what `orca init` e2e tests run Node and Makefile projects in, and what the repository's jobs.yml uses.
build_node() {
  local tag=$1
  present "$tag" && return
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
  busybox_root "$ctx"
  mkdir -p "$ctx/usr/lib/node_modules"
  cp "$node" "$ctx/usr/bin/node"
  cp "$make" "$ctx/usr/bin/make"
  cp "$git" "$ctx/usr/bin/git"
  # The machine's trusted certificates, so npm inside reaches the registry the way the host does.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$ctx/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/etc/ssl/certs/ca-certificates.crt"
  fi
  cp -r "$npm_dir" "$ctx/usr/lib/node_modules/npm"
  ln -s /bin/busybox "$ctx/usr/bin/env"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/usr/bin/npx"
  copy_libs "$ctx" "$node" "$make" "$git"
  # The rest of glibc's shared libraries a Debian image has (librt, libdl, ...): native packages' own
  # binaries (rolldown's and lightningcss's, which vitest loads) link them even where node does not.
  local libc_dir name
  libc_dir=$(dirname "$(ldd "$node" | grep -o '/[^ ]*/libc\.so\.6' | head -n 1)")
  for name in libdl.so.2 libgcc_s.so.1 libm.so.6 libpthread.so.0 libresolv.so.2 librt.so.1 libutil.so.1; do
    if [ -e "$libc_dir/$name" ] && [ ! -e "$ctx$libc_dir/$name" ]; then
      mkdir -p "$ctx$libc_dir"
      cp -L "$libc_dir/$name" "$ctx$libc_dir/$name"
    fi
  done
  import_root "$tag" "$ctx" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV HOME=/root' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
}

# bash on busybox, from this machine's own bash and its libraries: the image of the shell: bash tests
# (busybox's sh has no pipefail, and the other images have no bash).
build_bash() {
  local tag=$1
  present "$tag" && return
  local bash
  bash=$(command -v bash)
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  busybox_root "$ctx"
  cp "$bash" "$ctx/usr/bin/bash"
  copy_libs "$ctx" "$bash"
  import_root "$tag" "$ctx" --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin'
}

# busybox whose own USER is not root (app, 1000), with a second user (builder, 1001): what the
# tests of `user:` run in. Its folders belong to root, as in many images: such a job can write its
# workspace and its named volumes only because orca gives them to its user.
build_user() {
  local tag=$1
  present "$tag" && return
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  busybox_root "$ctx"
  echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$ctx/etc/passwd"
  echo 'builder:x:1001:1001:builder:/home/builder:/bin/sh' >>"$ctx/etc/passwd"
  printf 'app:x:1000:\nbuilder:x:1001:\n' >>"$ctx/etc/group"
  mkdir -p "$ctx/home/app" "$ctx/home/builder"
  import_root "$tag" "$ctx" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV HOME=/home/app' \
    --change 'USER app'
}

# busybox with this machine's Docker client: what the tests of `docker: true` (a job given the
# host's engine) build and run images with. The client is one static binary on these machines.
build_docker_cli() {
  local tag=$1
  present "$tag" && return
  local client
  client=$(command -v docker)
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  busybox_root "$ctx"
  mkdir -p "$ctx/usr/local/bin"
  cp "$client" "$ctx/usr/local/bin/docker"
  copy_libs "$ctx" "$client"
  import_root "$tag" "$ctx" --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'ENV HOME=/root'
}

# PostgreSQL 15 on busybox, from this machine's own server binaries and their libraries: the database
# service of the services tests. Its entrypoint does what the official image's does for these tests
# (a cluster made on first start with POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB, password
# logins over the network), and its HEALTHCHECK is pg_isready.
build_postgres() {
  local tag=$1
  present "$tag" && return
  local pg=/usr/lib/postgresql/15 share=/usr/share/postgresql/15
  if [ ! -x "$pg/bin/postgres" ] || [ ! -d "$share" ]; then
    log "skipping $tag: needs PostgreSQL 15 ($pg, $share) on this machine"
    return
  fi
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  busybox_root "$ctx"
  echo 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh' >>"$ctx/etc/passwd"
  echo 'postgres:x:999:' >>"$ctx/etc/group"
  mkdir -p "$ctx$pg" "$ctx$share" "$ctx/var/lib/postgresql" "$ctx/var/run/postgresql" "$ctx/usr/local/bin"
  cp -a "$pg/bin" "$pg/lib" "$ctx$pg/"
  cp -a "$share/." "$ctx$share/"
  # Owned by root in the image (import_root), so writable by all: the server runs as postgres.
  chmod 1777 "$ctx/var/lib/postgresql" "$ctx/var/run/postgresql"
  copy_libs "$ctx" "$pg"/bin/* "$pg"/lib/*.so
  cat >"$ctx/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" >/tmp/pwfile
  initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile=/tmp/pwfile -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
  rm -f /tmp/pwfile
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [ -n "$POSTGRES_DB" ] && [ "$POSTGRES_DB" != "${POSTGRES_USER:-postgres}" ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo 'database system initialized'
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
ENTRYPOINT
  chmod 755 "$ctx/usr/local/bin/docker-entrypoint.sh"
  import_root "$tag" "$ctx" \
    --change "ENV PATH=/usr/local/bin:$pg/bin:/usr/bin:/bin" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'USER postgres' \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'HEALTHCHECK --interval=500ms --timeout=5s --retries=60 CMD ["pg_isready", "-q", "-h", "localhost"]' \
    --change 'EXPOSE 5432'
}

# `bash scripts/test-images.sh busybox|node|bash|postgres|user|docker_cli TAG` builds one image under another tag (to try a
# change to this script without touching the images the tests use).
if [ $# -gt 0 ]; then
  case ${1-} in
    busybox | node | bash | postgres | user | docker_cli) "build_$1" "${2:?usage: test-images.sh busybox|node|bash|postgres|user|docker_cli TAG}" ;;
    *) log "usage: test-images.sh [busybox|node|bash|postgres|user|docker_cli TAG]" && exit 2 ;;
  esac
  exit 0
fi

build_busybox busybox:1.36
build_busybox orca-test/busybox:latest
build_node orca-test/node:20
build_bash orca-test/bash:5
# Podman's import refuses HEALTHCHECK (a Docker image-format instruction), and its service readiness
# is what the services tests check: against Podman those tests do not run (docs/configuration.md).
if docker version --format '{{.Server.Os}} {{range .Server.Components}}{{.Name}} {{end}}' 2>/dev/null | grep -q Podman; then
  log "orca-test/postgres:15 skipped: Podman's import takes no HEALTHCHECK"
else
  build_postgres orca-test/postgres:15
fi
build_user orca-test/user:1
build_docker_cli orca-test/docker-cli:1
log "done"
