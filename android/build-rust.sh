#!/usr/bin/env bash
# Builds libcoffre_ffi.so for the Android ABIs into coffre/src/main/jniLibs (cargo-ndk) and
# generates the Kotlin bindings into coffre/src/main/kotlin. Needs ANDROID_NDK_HOME (NDK r26+),
# `cargo install cargo-ndk`, `rustup target add aarch64-linux-android armv7-linux-androideabi
# x86_64-linux-android`, and perl and make (SQLCipher's OpenSSL is built from source for Android:
# core/vault/Cargo.toml). See README.md.
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

# Minimum API 26 (Android 8); release-mobile = opt-level "s", LTO, stripped. `rustc --crate-type
# cdylib`, not `build`: coffre-ffi is also an rlib, and cargo silently skips LTO for a crate that
# builds one (bindings/README.md, ## Size). The .so is copied here rather than by cargo-ndk's -o.
JNI="$HERE/coffre/src/main/jniLibs"
for abi_triple in arm64-v8a:aarch64-linux-android armeabi-v7a:armv7-linux-androideabi \
    x86_64:x86_64-linux-android; do
    abi="${abi_triple%%:*}"
    triple="${abi_triple#*:}"
    # 16 KB pages: Android 15+ phones may use them and Google Play requires 16 KB-aligned libraries;
    # a 4 KB-aligned one does not load there. Checked with readelf below (and on the host build by
    # scripts/check-size.sh in CI).
    cargo ndk --platform 26 -t "$abi" \
        rustc --locked --profile release-mobile -p coffre-ffi --lib --crate-type cdylib \
        -- -C link-arg=-Wl,-z,max-page-size=16384
    mkdir -p "$JNI/$abi"
    cp "$CARGO_TARGET_DIR/$triple/release-mobile/libcoffre_ffi.so" "$JNI/$abi/"
    "$ROOT/scripts/check-page-size.sh" "$JNI/$abi/libcoffre_ffi.so"
done
ls -l "$JNI"/*/libcoffre_ffi.so
