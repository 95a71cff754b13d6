#!/bin/sh
# orca pre-commit hook, written by `orca init --pre-commit`: runs `orca run <% targets %>` before
# each commit. Jobs whose inputs did not change come from the cache, so an unchanged tree takes
# about a second. It checks the working tree (not only what is staged).
# Skip it once with `git commit --no-verify`; remove this file to turn it off.
set -e
cd "$(git rev-parse --show-toplevel)/<% prefix %>"
if command -v orca >/dev/null 2>&1; then
  exec orca run <% targets %> -f <% jobsFile %> --output plain
fi
if [ -x node_modules/.bin/orca ]; then
  exec node_modules/.bin/orca run <% targets %> -f <% jobsFile %> --output plain
fi
echo "orca pre-commit hook: orca is not installed; install it with: <% installOrca %> (or commit with --no-verify)" >&2
exit 1
