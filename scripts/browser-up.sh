#!/usr/bin/env bash
# The browser the dashboard's end-to-end tests drive (playwright-core, never a downloaded browser):
# Debian's chromium at /usr/bin/chromium. Idempotent: an installed one is kept.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
