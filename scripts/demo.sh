#!/usr/bin/env bash
# The main job: a scripted tour of Coffre on a throw-away vault — the `coffre` CLI, then a local
# sync server (`coffre-server`, SQLite + files) with a second device linked by its QR code.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --locked -p coffre-cli -p coffre-sync-server
COFFRE="$CARGO_TARGET_DIR/release/coffre"
SERVER="$CARGO_TARGET_DIR/release/coffre-server"
work="$(mktemp -d)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
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
ls -l "$work"/export.*   # export.zip, 0600 (and export.audit.json beside it once the vault has an audit trail)
LANG=fr_FR.UTF-8 COFFRE_PASSPHRASE=mauvais "$COFFRE" list || echo "(mauvais code : sortie $?)"

printf '\n--- sync: a local server, and a second phone linked by QR code ---\n'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
COFFRE_SERVER_LISTEN="127.0.0.1:$port" COFFRE_SERVER_DATA_DIR="$work/server" "$SERVER" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
run sync --server "http://127.0.0.1:$port"
COFFRE_VAULT="$work/phone2" COFFRE_PASSPHRASE="deuxieme telephone" "$COFFRE" device link --server "http://127.0.0.1:$port" --wait 60 >"$work/link.txt" &
link_pid=$!
for _ in $(seq 50); do [ "$(wc -l <"$work/link.txt")" -ge 1 ] && break; sleep 0.1; done
code=$(head -1 "$work/link.txt")
echo "new phone shows: ${code:0:32}…"
# The enrolled phone scans it; both then show 6 digits (they depend on both phones' random
# contributions); the person types the new phone's digits into the enrolled one.
{ for _ in $(seq 100); do [ "$(wc -l <"$work/link.txt")" -ge 2 ] && break; sleep 0.1; done
  digits=$(sed -n 2p "$work/link.txt" | awk '{print $NF}'); echo "new phone shows: code $digits" >&2; echo "$digits"; } |
  run device approve "$code"
wait "$link_pid"
echo "the second phone now lists:"; COFFRE_VAULT="$work/phone2" COFFRE_PASSPHRASE="deuxieme telephone" "$COFFRE" list
run device list
echo "server stores only ciphertext: $(du -sh "$work/server" | cut -f1) in $work/server"
