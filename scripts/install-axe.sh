#!/usr/bin/env bash
# axe-core, Deque's accessibility engine, for the browser accessibility test
# (tests/e2e/test_accessibility.py injects its axe.min.js into each page). Pinned to one
# version from the npm registry, installed into .tools/axe (ignored by git); Node.js and
# npm come from Debian when missing. Nothing is downloaded at test time.
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION="4.14.1"
DEST=".tools/axe"
installed() {
  [ -f "$DEST/node_modules/axe-core/axe.min.js" ] &&
    grep -q "\"version\": \"$AXE_VERSION\"" "$DEST/node_modules/axe-core/package.json"
}
if installed; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
mkdir -p "$DEST"
npm install --prefix "$DEST" --no-save --no-audit --no-fund --ignore-scripts --silent \
  "axe-core@$AXE_VERSION"
installed || { echo "axe-core $AXE_VERSION did not install into $DEST" >&2; exit 1; }
