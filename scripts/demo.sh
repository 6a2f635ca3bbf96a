#!/usr/bin/env bash
# The main job: a tour of Coffre as a person and an agent meet it, on generated photos and a
# throw-away vault, in French: capture a letter and an ID card from photos, the desk mode, a dossier
# check, a share link opened in headless Chromium, sync through a local server with a second phone
# linked by its QR code, and a recovery kit that rebuilds a third phone. About 2 minutes once built.
#
# COFFRE_DEMO_PREBUILT=1 uses the binaries already in $CARGO_TARGET_DIR/debug (CI runs the tour
# right after its one build); otherwise this builds what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
started=$SECONDS

if [ "${COFFRE_DEMO_PREBUILT:-0}" != 1 ]; then
  cargo build --locked -p coffre-cli -p coffre-sync-server -p coffre-fixtures --bins
fi
BIN="$CARGO_TARGET_DIR/debug"
COFFRE="$BIN/coffre"
work="$(mktemp -d)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
export LANG=fr_FR.UTF-8 COFFRE_VAULT="$work/telephone" COFFRE_PASSPHRASE="demo: 4 mots faciles"

say() { printf '\n== %s ==\n' "$*"; }
run() { printf '$ coffre %s\n' "$*"; "$COFFRE" "$@"; }
size() { stat -c %s "$1" | awk '{ printf "%.1f Mo", $1 / 1e6 }'; }

say "Photos: a letter and an identity card, taken at an angle on a table (generated)"
"$BIN/gen-fixtures" --out "$work/photos" --seed 7 --large 0 --medium 3 --preview 0 >/dev/null 2>&1
pick() { python3 -c 'import json,sys; print(next(t["file"] for t in json.load(open(sys.argv[1])) if t["spec"]["kind"] == sys.argv[2]))' "$work/photos/truth.json" "$1"; }
letter="$work/photos/$(pick letter)"
card="$work/photos/$(pick id-card)"
echo "letter photo: $(size "$letter"), identity card photo: $(size "$card")"

say "A vault on the phone, and two papers captured (found, straightened, cleaned, compressed)"
run init
run capture "$letter" --category attestation_caf --title "Attestation CAF" --expires "$(date -d '+20 days' +%F)"
run capture "$card" --category carte_identite --title "Carte d'identité" --expires "$(date -d '+3 years' +%F)"
run list

say "At the desk with no network: the identity card, pinned, opens first"
id=$("$COFFRE" search identité --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run pin "${id:0:8}"
run desk --out "$work/guichet.jpg"
echo "desk page written: $(size "$work/guichet.jpg")"

say "Which papers the RSA application asks for, and which are missing"
run dossier check rsa || true

say "Sync through a local server (it stores only ciphertext)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
COFFRE_SERVER_LISTEN="127.0.0.1:$port" COFFRE_SERVER_DATA_DIR="$work/server" "$BIN/coffre-server" >"$work/server.log" 2>&1 &
server_pid=$!
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1); break
    except OSError:
        time.sleep(0.1)
PY
url="http://127.0.0.1:$port"
run sync --server "$url"

say "Share the card with a social worker: a link and its QR code, opened in a browser"
link=$("$COFFRE" share create --doc "${id:0:8}" --purpose "Dossier RSA, CCAS" --duration 1d --max-opens 3 \
  --qr-png "$work/partage-qr.png" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
echo "link: ${link%%#*}#…  (the part after # is the key: it never reaches the server)"
echo "QR code written: $work/partage-qr.png ($(stat -c %s "$work/partage-qr.png") bytes)"
node sync-server/viewer/tools/open-share.mjs "$link"

say "A second phone, linked by scanning the first one's QR code"
COFFRE_VAULT="$work/telephone2" COFFRE_PASSPHRASE="deuxieme telephone" "$COFFRE" device link --server "$url" --wait 60 >"$work/link.txt" &
link_pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$work/link.txt")" -ge 1 ] && break; sleep 0.1; done
code=$(head -1 "$work/link.txt")
echo "new phone shows: ${code:0:32}…"
# The enrolled phone scans it; both then show 6 digits (they depend on both phones' random
# contributions); the person types the new phone's digits into the enrolled one.
{ for _ in $(seq 100); do [ "$(wc -l <"$work/link.txt")" -ge 2 ] && break; sleep 0.1; done
  digits=$(sed -n 2p "$work/link.txt" | awk '{print $NF}'); echo "new phone shows: code $digits" >&2; echo "$digits"; } |
  run device approve "$code"
wait "$link_pid"
echo "the second phone lists:"
COFFRE_VAULT="$work/telephone2" COFFRE_PASSPHRASE="deuxieme telephone" "$COFFRE" list
run device list

say "The recovery kit, then a third phone rebuilt from it alone"
words=$("$COFFRE" kit --pdf "$work/kit.pdf" --json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["words"]))')
echo "kit: $work/kit.pdf ($(stat -c %s "$work/kit.pdf") bytes), 12 words: ${words%% *} … (kept on paper, apart from the phone)"
COFFRE_VAULT="$work/telephone3" COFFRE_PASSPHRASE="troisieme telephone" "$COFFRE" recover --server "$url" --code "$words"
COFFRE_VAULT="$work/telephone3" COFFRE_PASSPHRASE="troisieme telephone" "$COFFRE" list

say "Done"
echo "the server holds $(du -sh "$work/server" | cut -f1) of ciphertext; tour run in $((SECONDS - started)) s"
