#!/usr/bin/env bash
# Builds the mobile library as it ships (`release-mobile`: opt-level "s", LTO, stripped) for the
# host and fails if it is larger than bindings/size-budget.txt. 3.5 to 5 min of CPU cold, so
# scripts/test.sh runs this in the background while the tests run (bindings/README.md, ## Size).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/coffre/target}"

start=$SECONDS
# `cargo rustc --crate-type cdylib`, not `cargo build`: coffre-ffi is also an rlib, and cargo silently
# skips LTO for a crate that builds an rlib with it (cargo#9672): ~20% larger.
# Linked for 16 KB pages as android/build-rust.sh links the phone's libraries (arguments after `--`
# reach this crate's link only: no dependency is rebuilt for it).
cargo rustc -q --locked --profile release-mobile -p coffre-ffi --lib --crate-type cdylib \
    -- -C link-arg=-Wl,-z,max-page-size=16384
lib="$CARGO_TARGET_DIR/release-mobile/libcoffre_ffi.so"
"$ROOT/scripts/check-page-size.sh" "$lib"

size=$(stat -c %s "$lib")
gzipped=$(gzip -9 -c "$lib" | wc -c)
budget=$(grep -v '^#' bindings/size-budget.txt | grep -m1 -o '[0-9]\+')
echo "libcoffre_ffi.so (release-mobile, host): $size bytes ($gzipped gzipped); budget $budget bytes;" \
    "built or checked in $((SECONDS - start)) s"
if [ "$size" -gt "$budget" ]; then
    echo "size budget exceeded: $size > $budget bytes (bindings/size-budget.txt); see" \
        "bindings/README.md (## Size) before raising it" >&2
    exit 1
fi
