#!/usr/bin/env bash
# Installs what the real-editor tests need, outside the tracked tree:
#   - Debian packages: chromium (the headless browser that opens the workbench) and libkrb5-dev
#     (gssapi headers for a native module of code-server);
#   - Node 24 from the npm registry (code-server 4.x requires it);
#   - code-server from the npm registry, built against Node 24's headers.
# Then writes <cache>/paths.json, which test/editor/harness.ts reads.
#
# Idempotent: each step leaves a marker only when it finished and its result checked out; a step
# without its marker starts over from an empty folder, so an interrupted run is repaired by the
# next one. When everything is in place the script exits at once (< 1 s), without npm or apt.
#
# Environment:
#   EDITOR_CACHE   cache folder (default <repo>/.cache/editor; .cache/ is git-ignored)
#   EDITOR_FORCE=1 reinstall Node 24 and code-server
set -euo pipefail

readonly CODE_SERVER_VERSION=4.139.1
readonly NODE_VERSION=24.21.0
readonly APT_PACKAGES=(chromium libkrb5-dev)
readonly CHROMIUM=/usr/bin/chromium

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${EDITOR_CACHE:-$repo/.cache/editor}
node_prefix=$cache/node-$NODE_VERSION
case $(uname -m) in
  x86_64) node_arch=x64 ;;
  aarch64 | arm64) node_arch=arm64 ;;
  *) echo "editor install: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
# The `node` package's preinstall fetches node-linux-<arch> with the binary and headers.
node_home=$node_prefix/node_modules/node/node_modules/node-linux-$node_arch
node_bin=$node_home/bin/node
cs_prefix=$cache/code-server-$CODE_SERVER_VERSION
cs_home=$cs_prefix/node_modules/code-server
cs_entry=$cs_home/out/node/entry.js
paths_json=$cache/paths.json
# Everything the installed state depends on; a change of pins invalidates the markers.
readonly stamp="code-server=$CODE_SERVER_VERSION node=$NODE_VERSION apt=${APT_PACKAGES[*]}"

fast_path_ok() {
  [ "${EDITOR_FORCE:-}" != 1 ] &&
    [ -x "$CHROMIUM" ] && [ -x "$node_bin" ] && [ -f "$cs_entry" ] &&
    [ -f "$node_prefix/installed.ok" ] && [ -f "$cs_prefix/installed.ok" ] &&
    [ -f "$cache/installed.ok" ] && [ "$(cat "$cache/installed.ok")" = "$stamp" ] &&
    [ -f "$paths_json" ]
}

if fast_path_ok; then
  echo "editor install: up to date ($stamp) in $cache"
  exit 0
fi

mkdir -p "$cache"
# One installer at a time (two test processes may call this together); the second one waits,
# then finds everything in place.
exec 9>"$cache/.lock"
flock 9
if fast_path_ok; then
  echo "editor install: up to date ($stamp) in $cache"
  exit 0
fi
rm -f "$cache/installed.ok"

now() { date +%s.%N; }
report() { # step-name start-time
  awk -v s="$2" -v e="$(now)" -v n="$1" 'BEGIN { printf "editor install: %-12s %6.1f s\n", n, e - s }'
}
total_start=$(now)

# --- 1. Debian packages ----------------------------------------------------------------------
step_start=$(now)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != installed ]; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ] || [ ! -x "$CHROMIUM" ]; then
  [ ${#missing[@]} -gt 0 ] || missing=(chromium)
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "editor install: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "editor install: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A previous run killed in the middle of dpkg leaves it half-configured: finish that first.
  "${sudo[@]}" dpkg --configure -a
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
"$CHROMIUM" --version >/dev/null 2>&1 || { echo "editor install: $CHROMIUM does not run" >&2; exit 1; }
report apt "$step_start"

# npm walks up from the current folder to the nearest package.json: give each cache folder its
# own, so nothing lands in the repository's node_modules or package.json.
# allowScripts names the packages whose install scripts must run (npm 11 warns about the others
# and says a later release will block them): node (fetches the binary), code-server (its
# postinstall installs VS Code's dependencies) and argon2 (native module of code-server).
npm_install_into() { # prefix spec...
  local prefix=$1; shift
  rm -rf "$prefix"
  mkdir -p "$prefix"
  printf '{ "name": "editor-cache", "private": true,\n  "allowScripts": { "node": true, "code-server": true, "argon2": true } }\n' \
    >"$prefix/package.json"
  (cd "$prefix" && npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=warn "$@")
}

# --- 2. Node 24 -------------------------------------------------------------------------------
step_start=$(now)
if [ "${EDITOR_FORCE:-}" = 1 ] || [ ! -f "$node_prefix/installed.ok" ] || [ ! -x "$node_bin" ]; then
  echo "editor install: npm install node@$NODE_VERSION"
  npm_install_into "$node_prefix" "node@$NODE_VERSION"
  [ "$("$node_bin" --version)" = "v$NODE_VERSION" ] || { echo "editor install: $node_bin is not v$NODE_VERSION" >&2; exit 1; }
  [ -f "$node_home/include/node/node.h" ] || { echo "editor install: Node $NODE_VERSION has no headers" >&2; exit 1; }
  touch "$node_prefix/installed.ok"
fi
report node24 "$step_start"

# --- 3. code-server ---------------------------------------------------------------------------
step_start=$(now)
if [ "${EDITOR_FORCE:-}" = 1 ] || [ ! -f "$cs_prefix/installed.ok" ] || [ ! -f "$cs_entry" ]; then
  echo "editor install: npm install code-server@$CODE_SERVER_VERSION (several minutes)"
  # Node 24 first on PATH (code-server's postinstall checks the version and runs npm, which then
  # runs on Node 24) and its own headers for node-gyp: the user's npm config says nodedir=/usr,
  # which holds the system Node's headers.
  PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" \
    npm_install_into "$cs_prefix" "code-server@$CODE_SERVER_VERSION"
  # Without --config and XDG_* folders, code-server writes a config and logs into the home
  # folder, even for --version.
  scratch=$(mktemp -d)
  printf 'cert: false\n' >"$scratch/config.yaml"
  got=$(XDG_CONFIG_HOME=$scratch XDG_DATA_HOME=$scratch \
    "$node_bin" "$cs_entry" --config "$scratch/config.yaml" --version 2>&1 || true)
  rm -rf "$scratch"
  printf '%s\n' "$got" | grep -q "^$CODE_SERVER_VERSION " ||
    { echo "editor install: code-server --version said: $got" >&2; exit 1; }
  touch "$cs_prefix/installed.ok"
fi
report code-server "$step_start"

# Remove folders of other pinned versions left by earlier runs.
for old in "$cache"/node-* "$cache"/code-server-*; do
  [ -e "$old" ] || continue
  [ "$old" = "$node_prefix" ] || [ "$old" = "$cs_prefix" ] || rm -rf "$old"
done

cat >"$paths_json.tmp" <<EOF
{
  "node": "$node_bin",
  "nodeVersion": "$NODE_VERSION",
  "codeServerEntry": "$cs_entry",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "chromium": "$CHROMIUM"
}
EOF
mv "$paths_json.tmp" "$paths_json"
printf '%s' "$stamp" >"$cache/installed.ok"
report total "$total_start"
echo "editor install: done ($stamp) in $cache"
