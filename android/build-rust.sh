#!/usr/bin/env bash
# Builds libcoffre_ffi.so for the Android ABIs into coffre/src/main/jniLibs (cargo-ndk) and
# generates the Kotlin bindings into coffre/src/main/kotlin. Needs ANDROID_NDK_HOME (NDK r26+),
# `cargo install cargo-ndk`, and `rustup target add aarch64-linux-android armv7-linux-androideabi
# x86_64-linux-android`. See README.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$HERE/.."
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the NDK directory}"

# Bindings are generated from a host build (same sources, same uniffi metadata).
cargo build -p coffre-ffi -p uniffi-bindgen
"$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate --library "$CARGO_TARGET_DIR/debug/libcoffre_ffi.so" \
    --language kotlin --out-dir "$HERE/coffre/src/main/kotlin"

# Minimum API 26 (Android 8); release-mobile = opt-level "s", LTO, stripped.
cargo ndk --platform 26 -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$HERE/coffre/src/main/jniLibs" \
    build --profile release-mobile -p coffre-ffi
ls -l "$HERE"/coffre/src/main/jniLibs/*/libcoffre_ffi.so
