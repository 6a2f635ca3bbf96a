#!/usr/bin/env bash
# Runs every test of Coffre, installing what it needs first. This is README's test command and
# what CI (.ci/run) runs on a clean checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n== %s ==\n' "$*" >&2; }
started=$SECONDS

step "format"
cargo fmt --all -- --check

step "share viewer bundle is the build of its sources (pinned npm packages)"
sync-server/viewer/build.sh --check

step "store packaging (Android/iOS files a store review would refuse; no SDK needed)"
python3 scripts/check-packaging.py

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "dependencies: licences, duplicates, sources, advisories (cargo-deny, offline: deny.toml)"
scripts/deny.sh

step "build (once: the tests, the binaries and the mobile cdylib share one feature resolution)"
# Exactly the targets `cargo test` builds, plus every binary and cdylib the later steps run, in one
# invocation: building a subset of packages would re-resolve features and rebuild heavy dependencies.
cargo build --workspace --locked --lib --bins --tests --examples

# The mobile library as it ships (release-mobile, LTO: 3.5 to 5 min of CPU cold) is built and
# checked against bindings/size-budget.txt in the background, at low priority, while the tests and
# fuzz runs leave CPU idle (servers, sleeps, I/O); joined before the bindings step, which tests it.
# SKIP_SIZE=1 skips it (local runs): the bindings are then tested against the debug build.
mobile_pid=""
mobile_log="$CARGO_TARGET_DIR/check-size.log"
if [ "${SKIP_SIZE:-0}" != 1 ]; then
  step "release-mobile build and size budget: started in the background (log: $mobile_log)"
  # Its own process group (setsid), so an early exit stops the whole build, rustc included.
  setsid -w nice -n 10 scripts/check-size.sh >"$mobile_log" 2>&1 &
  mobile_pid=$!
fi

step "storage engines: PostgreSQL (initdb, free port) and moto's S3 server, once for every test"
# The PostgreSQL + S3 storage tests read their addresses from the COFFRE_TEST_* variables it exports.
source scripts/storage-engines.sh --no-trap
trap 'storage_engines_stop; [ -z "$mobile_pid" ] || kill -TERM -- "-$mobile_pid" "$mobile_pid" 2>/dev/null || true' EXIT

step "tests"
cargo test --workspace --locked

step "the real-server tests again on PostgreSQL + S3 (those that do not look into SQLite files)"
# The harness puts every TestServer on a fresh database and the test bucket (docs/scale-out.md).
# `--workspace` with test names, not `-p`: the same feature resolution as above, so nothing rebuilds.
# (`sync` is the end-to-end and the CLI sync tests; the plaintext scan covers the dump and the bucket.)
COFFRE_TEST_STORAGE=postgres cargo test --workspace --locked \
  --test api --test adversarial --test mandate_matrix --test sync
storage_engines_stop

step "the main job (scripts/demo.sh) on this build: README's first command must keep working"
COFFRE_DEMO_PREBUILT=1 ./scripts/demo.sh >"$CARGO_TARGET_DIR/demo.log" 2>&1 || { cat "$CARGO_TARGET_DIR/demo.log"; exit 1; }
tail -n 1 "$CARGO_TARGET_DIR/demo.log"

step "fuzz targets (cargo-fuzz layout; built on stable without instrumentation, each run briefly)"
# fuzz/ is its own workspace (libFuzzer wants nightly flags to fuzz for real: see fuzz/README.md).
# Same CARGO_TARGET_DIR: about 2 min of CPU the first time (it resolves coffre-sync's features on
# its own), nothing after. The short runs check each target starts and survives random input.
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo build --manifest-path fuzz/Cargo.toml --locked --bins
for t in mandate_offer mandate_binary key_files audit_entries link_qr share_link; do
  "$CARGO_TARGET_DIR/debug/$t" -runs=20000 -max_len=2048 -seed=1 2>&1 | tail -n 1
done

mobile_lib=""
if [ -n "$mobile_pid" ]; then
  step "release-mobile build and size budget: waiting for the background job"
  waited=$SECONDS
  status=0
  wait "$mobile_pid" || status=$?
  mobile_pid=""
  if [ "$status" -ne 0 ]; then
    cat "$mobile_log" >&2
    echo "release-mobile build or size budget failed (exit $status)" >&2
    exit 1
  fi
  cat "$mobile_log"
  echo "waited $((SECONDS - waited)) s for it"
  mobile_lib="$CARGO_TARGET_DIR/release-mobile/libcoffre_ffi.so"
fi

step "mobile bindings (Kotlin on the JVM, Python user story, Swift generation)"
COFFRE_FFI_LIB="$mobile_lib" ./scripts/test-bindings.sh

step "SQLCipher interop (the documented last resort)"
./scripts/sqlcipher-interop.sh "$CARGO_TARGET_DIR/debug/coffre"

step "done in $((SECONDS - started)) s"
