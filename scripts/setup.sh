#!/usr/bin/env bash
# Installs what `npm test`, `npm run local` and `npm run bench` need and is missing:
# the npm dependencies (npm ci, when package-lock.json changed since the last install) and
# the Debian packages that provide the real services (redis-server, prometheus, chromium), setpriv,
# and openssl (the end-to-end control planes' certificates).
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "setup: Node.js >= $need_node_major is required (found $(node --version))" >&2
  exit 1
fi

stamp=node_modules/.install-stamp
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
fi

# command -> Debian package (setpriv: local mode's parts die with it, see docs/local.md)
declare -A pkg_of=(
  [setpriv]=util-linux
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [prometheus]=prometheus
  [promtool]=prometheus
  [chromium]=chromium
  [openssl]=openssl
)
missing=()
for cmd in "${!pkg_of[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $pkgs >/dev/null
    for cmd in "${!pkg_of[@]}"; do
      command -v "$cmd" >/dev/null 2>&1 || { echo "setup: '$cmd' is still missing after installing ${pkg_of[$cmd]}" >&2; exit 1; }
    done
  else
    echo "setup: missing programs; install them with: sudo apt-get install -y $pkgs" >&2
    exit 1
  fi
fi
