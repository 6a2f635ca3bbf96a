#!/usr/bin/env bash
# Checks the operator's last resort documented in core/vault/README.md: the raw key printed by
# `coffre db-key` opens vault.db with a stock SQLCipher 4 (PyPI's sqlcipher3-binary).
set -euo pipefail
COFFRE="${1:?path to the coffre binary}"
python3 -c 'import sqlcipher3' 2>/dev/null || pip install -q --disable-pip-version-check sqlcipher3-binary
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export COFFRE_VAULT="$work/v" COFFRE_PASSPHRASE="interop 2468"
"$COFFRE" init >/dev/null
printf '%%PDF-1.4\n' > "$work/avis.pdf"
"$COFFRE" import "$work/avis.pdf" --title "Avis d'imposition 2025" >/dev/null
key="$("$COFFRE" db-key 2>/dev/null)"
python3 - "$work/v/vault.db" "$key" <<'PY'
import sqlite3, sys, sqlcipher3
path, key = sys.argv[1], sys.argv[2]
db = sqlcipher3.connect(path)
db.execute(f"PRAGMA key = \"x'{key}'\"")
count, title = db.execute("SELECT count(*), max(title) FROM documents").fetchone()
assert (count, title) == (1, "Avis d'imposition 2025"), (count, title)
try:
    sqlite3.connect(path).execute("SELECT count(*) FROM documents").fetchone()
    raise SystemExit("plain SQLite read an encrypted vault")
except sqlite3.DatabaseError:
    pass
print("sqlcipher interop: ok (SQLCipher 4 opens vault.db with the printed raw key; plain SQLite cannot)")
PY
