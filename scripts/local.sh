#!/usr/bin/env bash
# `npm run local -- [flags]`: installs what is missing, builds, then becomes local mode itself.
#
# `exec` keeps the chain short: npm -> local mode, with no shell or second npm in between that could
# die on a signal and leave local mode running. npm passes SIGINT and SIGTERM on to local mode;
# local mode notices when npm dies for any other reason (SIGHUP, SIGKILL) and stops as well, and the
# kernel ends every part if local mode itself is killed (see docs/local.md).
#
# LOCAL_SKIP_BUILD=1 skips the install check and the build (for a tree that is already built).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LOCAL_SKIP_BUILD:-}" != 1 ]; then
  bash scripts/setup.sh
  npm run build --silent
fi
exec node local/dist/index.js "$@"
