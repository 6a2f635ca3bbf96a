#!/usr/bin/env bash
# Starts the scale-out engines the storage tests run against (docs/scale-out.md), once per CI run:
# a PostgreSQL cluster made with initdb in a temporary directory (Debian's `postgresql`, on a free
# port, trust authentication on 127.0.0.1 only) and moto's S3 server (`moto[server]` from PyPI) with
# one bucket. Sourced by test.sh; also by hand before running the storage tests alone:
#
#     source scripts/storage-engines.sh && cargo test -p coffre-sync-server --test store_conformance
#
# Exports COFFRE_TEST_POSTGRES_URL (a superuser URL: each test makes a schema of its own in it),
# COFFRE_TEST_S3_ENDPOINT and COFFRE_TEST_S3_BUCKET, and defines storage_engines_stop (run at exit
# unless sourced with --no-trap). Both engines are installed by scripts/setup.sh.

storage_engines_start() {
  local pg_bin port_pg port_s3 i tools="${COFFRE_TOOLS:-$HOME/.cache/coffre/tools}"
  # Both installed by scripts/setup.sh: Debian's postgresql, and moto[server] in $tools/moto.
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$pg_bin" ] || ! PYTHONPATH="$tools/moto" python3 -c 'import moto.server' 2>/dev/null; then
    echo "storage-engines: PostgreSQL or moto[server] missing: run scripts/setup.sh first" >&2
    return 1
  fi

  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  port_pg="$(free_port)"
  port_s3="$(free_port)"
  STORAGE_ENGINES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/coffre-engines.XXXXXX")"
  chmod 755 "$STORAGE_ENGINES_DIR"

  # initdb and postgres refuse to run as root: as root, they run as the postgres account.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    mkdir -p "$STORAGE_ENGINES_DIR/pg"
    chown postgres:postgres "$STORAGE_ENGINES_DIR/pg"
  fi
  "${as[@]}" "$pg_bin/initdb" -D "$STORAGE_ENGINES_DIR/pg/data" -U coffre --auth=trust -E UTF8 --no-sync \
    >"$STORAGE_ENGINES_DIR/initdb.log" 2>&1 || { cat "$STORAGE_ENGINES_DIR/initdb.log" >&2; return 1; }
  # fsync off: a test cluster, thrown away at the end of the run.
  "${as[@]}" "$pg_bin/pg_ctl" -D "$STORAGE_ENGINES_DIR/pg/data" -l "$STORAGE_ENGINES_DIR/pg/log" -w -s \
    -o "-h 127.0.0.1 -p $port_pg -k '' -c fsync=off -c max_connections=300" start
  STORAGE_ENGINES_PG_CTL=("${as[@]}" "$pg_bin/pg_ctl" -D "$STORAGE_ENGINES_DIR/pg/data")
  # For the fault test that restarts PostgreSQL under a running server (tests/scale_out_faults.rs).
  export COFFRE_TEST_PG_RESTART="${as[*]} $pg_bin/pg_ctl -D $STORAGE_ENGINES_DIR/pg/data -l $STORAGE_ENGINES_DIR/pg/log -w -s -m fast restart"

  PYTHONPATH="$tools/moto" python3 -m moto.server -H 127.0.0.1 -p "$port_s3" >"$STORAGE_ENGINES_DIR/moto.log" 2>&1 &
  STORAGE_ENGINES_MOTO_PID=$!
  # Wait for moto, then make the bucket (moto takes unsigned requests).
  python3 - "$port_s3" <<'PY' || { cat "$STORAGE_ENGINES_DIR/moto.log" >&2; return 1; }
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/coffre-test"
for _ in range(200):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="PUT"), timeout=2)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("moto did not start")
PY
  export COFFRE_TEST_POSTGRES_URL="postgres://coffre@127.0.0.1:$port_pg/postgres"
  export COFFRE_TEST_S3_ENDPOINT="http://127.0.0.1:$port_s3"
  export COFFRE_TEST_S3_BUCKET="coffre-test"
  export COFFRE_TEST_PG_BIN="$pg_bin" # pg_dump, for the plaintext scans
  # moto accepts any credentials; object_store wants some.
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  echo "storage-engines: PostgreSQL on $port_pg, S3 (moto) on $port_s3, in $STORAGE_ENGINES_DIR" >&2
}

storage_engines_stop() {
  [ -n "${STORAGE_ENGINES_DIR:-}" ] || return 0
  [ -z "${STORAGE_ENGINES_MOTO_PID:-}" ] || kill "$STORAGE_ENGINES_MOTO_PID" 2>/dev/null || true
  "${STORAGE_ENGINES_PG_CTL[@]}" -m immediate -s stop 2>/dev/null || true
  rm -rf "$STORAGE_ENGINES_DIR"
  STORAGE_ENGINES_DIR=""
}

storage_engines_start
# test.sh passes --no-trap and stops them from its own exit trap.
[ "${1:-}" = --no-trap ] || trap storage_engines_stop EXIT
