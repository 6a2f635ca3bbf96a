#!/usr/bin/env bash
# The main job for now: a scripted tour of the `coffre` CLI on a throw-away vault.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --locked -p coffre-cli
COFFRE="$CARGO_TARGET_DIR/release/coffre"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export COFFRE_VAULT="$work/coffre" COFFRE_PASSPHRASE="demo: 4 mots faciles"

run() { printf '\n$ coffre %s\n' "$*"; "$COFFRE" "$@"; }

# Sample files: a PNG drawn by the fixtures (or any file you like), a PDF, a text note.
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\2\0\0\0\x90wS\xde\0\0\0\fIDATx\x9cc\xf8\xcf\xc0\0\0\3\1\1\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82' > "$work/carte-vitale.png"
printf '%%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%%%EOF\n' > "$work/attestation-caf.pdf"
printf 'pas une image' > "$work/faux.jpg"

run init
run import "$work/carte-vitale.png" --category carte_vitale --title "Carte Vitale" --tag santé
run import "$work/attestation-caf.pdf" --category attestation_caf --expires "$(date -d '+20 days' +%F)" --notes "RSA de mars"
run import "$work/faux.jpg" || echo "(refused as expected: exit $?)"
run list
run search "vitale"
id=$("$COFFRE" search vitale --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run pin "${id:0:8}"
run desk --out "$work/guichet.png"
run expiring --days 30
run verify
run export "$work/export" --zip
ls -l "$work/export"
LANG=fr_FR.UTF-8 COFFRE_PASSPHRASE=mauvais "$COFFRE" list || echo "(mauvais code : sortie $?)"
