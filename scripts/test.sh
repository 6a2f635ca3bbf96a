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

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build (once: the tests, the binaries and the mobile cdylib share one feature resolution)"
# Exactly the targets `cargo test` builds, plus every binary and cdylib the later steps run, in one
# invocation: building a subset of packages would re-resolve features and rebuild heavy dependencies.
cargo build --workspace --locked --lib --bins --tests --examples

step "tests"
cargo test --workspace --locked

step "fuzz targets (cargo-fuzz layout; built on stable without instrumentation, each run briefly)"
# fuzz/ is its own workspace (libFuzzer wants nightly flags to fuzz for real: see fuzz/README.md).
# Same CARGO_TARGET_DIR: about 2 min of CPU the first time (it resolves coffre-sync's features on
# its own), nothing after. The short runs check each target starts and survives random input.
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo build --manifest-path fuzz/Cargo.toml --locked --bins
for t in mandate_offer mandate_binary key_files audit_entries link_qr share_link; do
  "$CARGO_TARGET_DIR/debug/$t" -runs=20000 -max_len=2048 -seed=1 2>&1 | tail -n 1
done

step "mobile bindings (Kotlin on the JVM, Python user story, Swift generation)"
# The release-mobile size budget (bindings/size-budget.txt) needs a full LTO build (~10 min cold on
# 2 cores): run `./scripts/test-bindings.sh` without SKIP_SIZE to check it.
SKIP_SIZE=1 ./scripts/test-bindings.sh

step "SQLCipher interop (the documented last resort)"
./scripts/sqlcipher-interop.sh "$CARGO_TARGET_DIR/debug/coffre"

step "done in $((SECONDS - started)) s"
