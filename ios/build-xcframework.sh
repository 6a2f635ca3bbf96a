#!/usr/bin/env bash
# macOS only (Xcode 15+). Builds libcoffre_ffi.a for iOS devices, the iOS simulator and macOS
# (release-mobile profile), generates the Swift bindings, and assembles build/CoffreFFI.xcframework
# for Package.swift. Needs: rustup target add aarch64-apple-ios aarch64-apple-ios-sim
# x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$HERE/.."
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[ "$(uname)" = Darwin ] || { echo "build-xcframework.sh runs on macOS only" >&2; exit 1; }
T="$CARGO_TARGET_DIR"
P=release-mobile

# SQLCipher's crypto: built on macOS for an Apple target with no OpenSSL location set, libsqlite3-sys
# compiles SQLCipher against CommonCrypto (Security.framework), which every Apple platform ships.
# An OPENSSL_DIR (e.g. Homebrew's) would make it link a libcrypto that iOS does not have: clear it.
for var in $(compgen -e | grep -E '(^|_)OPENSSL_(DIR|LIB_DIR|INCLUDE_DIR)$' || true); do
    unset "$var"
done

# `rustc --crate-type staticlib`: the crate's declared types are cdylib and rlib (no .a), and cargo
# silently skips LTO for a crate that also builds an rlib (bindings/README.md, ## Size).
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do
    cargo rustc --locked --profile "$P" -p coffre-ffi --lib --crate-type staticlib --target "$target"
done

# Bindings from a host build (same sources, same metadata).
cargo build -p coffre-ffi -p uniffi-bindgen
GEN="$HERE/build/generated"
rm -rf "$GEN" "$HERE/build/CoffreFFI.xcframework"
mkdir -p "$GEN/headers"
"$T/debug/uniffi-bindgen" generate --library "$T/debug/libcoffre_ffi.dylib" --language swift --out-dir "$GEN"
cp "$GEN/coffre_ffi.swift" "$HERE/Sources/Coffre/coffre_ffi.swift"
cp "$GEN/coffre_ffiFFI.h" "$GEN/headers/"
cat > "$GEN/headers/module.modulemap" <<MAP
module coffre_ffiFFI {
    header "coffre_ffiFFI.h"
    export *
}
MAP

mkdir -p "$HERE/build/sim" "$HERE/build/mac"
lipo -create "$T/aarch64-apple-ios-sim/$P/libcoffre_ffi.a" "$T/x86_64-apple-ios/$P/libcoffre_ffi.a" \
    -output "$HERE/build/sim/libcoffre_ffi.a"
lipo -create "$T/aarch64-apple-darwin/$P/libcoffre_ffi.a" "$T/x86_64-apple-darwin/$P/libcoffre_ffi.a" \
    -output "$HERE/build/mac/libcoffre_ffi.a"

xcodebuild -create-xcframework \
    -library "$T/aarch64-apple-ios/$P/libcoffre_ffi.a" -headers "$GEN/headers" \
    -library "$HERE/build/sim/libcoffre_ffi.a" -headers "$GEN/headers" \
    -library "$HERE/build/mac/libcoffre_ffi.a" -headers "$GEN/headers" \
    -output "$HERE/build/CoffreFFI.xcframework"

# A fixture photo for the tests.
mkdir -p "$HERE/Tests/CoffreTests/Fixtures"
cargo run -q -p coffre-fixtures --bin gen-fixtures -- --out "$HERE/build/fixtures" --large 0 --medium 1 --preview 0
cp "$HERE/build/fixtures/scene-000.jpg" "$HERE/Tests/CoffreTests/Fixtures/photo.jpg"
echo "built $HERE/build/CoffreFFI.xcframework; now: swift test (macOS) or xcodebuild test (iOS simulator)"
