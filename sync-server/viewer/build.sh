#!/usr/bin/env bash
# Bundles the share viewer (src/viewer.js + @noble/ciphers + @noble/hashes) into dist/share-viewer.js,
# which is committed and embedded in the server binary. Versions are pinned by package-lock.json
# (npm ci). `build.sh --check` rebuilds into a temporary file and fails if it differs from the
# committed bundle (CI runs it, so the embedded script is always the build of the reviewed sources).
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/@noble/ciphers ] && [ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund --silent
out=dist/share-viewer.js
[ "${1:-}" = "--check" ] && out=$(mktemp --suffix=.js)
node_modules/.bin/esbuild src/viewer.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --charset=utf8 --log-level=warning --outfile="$out"
if [ "${1:-}" = "--check" ]; then
  if ! cmp -s "$out" dist/share-viewer.js; then
    echo "viewer: dist/share-viewer.js is not the build of src/ (run sync-server/viewer/build.sh)" >&2
    rm -f "$out"; exit 1
  fi
  rm -f "$out"
fi
