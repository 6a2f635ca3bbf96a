#!/usr/bin/env bash
# Tests the mobile bindings from the foreign side (bindings/README.md):
#   1. builds the host cdylib once (+ the uniffi-bindgen bin, coffre-server, gen-fixtures),
#   2. generates Kotlin, Python and Swift (Swift: generation only, no toolchain here),
#   3. compiles and runs the Kotlin boundary tests and the Android sample's platform-independent
#      layer with its test on the JVM (kotlinc from npm, JNA from Debian),
#   4. runs the Python user story against a local coffre-server.
# The Kotlin and Python tests load COFFRE_FFI_LIB when set (scripts/test.sh passes the release-mobile
# build, the library that ships), else the debug cdylib. The size budget: scripts/check-size.sh.
# Installs what it needs: libjna-java (apt), kotlin-compiler (npm, cached outside the checkout).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Same default as scripts/setup.sh, so a standalone run shares the build of scripts/test.sh.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/coffre/target}"
CACHE="${COFFRE_CACHE:-$HOME/.cache/coffre}"
OUT="$CARGO_TARGET_DIR/bindings-test"
start=$(date +%s)
step() { echo "== test-bindings: $* ($(( $(date +%s) - start ))s)"; }

# ----- tools -----
JNA_JAR=/usr/share/java/jna.jar
if [ ! -f "$JNA_JAR" ]; then
    step "installing libjna-java"
    (apt-get install -y libjna-java >/dev/null 2>&1) || (apt-get update >/dev/null && apt-get install -y libjna-java >/dev/null)
fi
KOTLINC="$CACHE/npm/node_modules/kotlin-compiler/bin/kotlinc"
if [ ! -x "$KOTLINC" ]; then
    step "installing kotlin-compiler (npm) into $CACHE/npm"
    mkdir -p "$CACHE/npm"
    (cd "$CACHE/npm" && npm install --no-audit --no-fund --silent kotlin-compiler@2 >/dev/null)
fi

# ----- build once -----
step "building the cdylib, uniffi-bindgen, coffre-server, gen-fixtures"
# The same command as scripts/test.sh's build step, so after it this is a no-op (a per-package build
# would resolve features differently and rebuild the heavy dependencies).
cargo build -q --locked --workspace --lib --bins --tests --examples
# Bindings are generated from the debug build (uniffi's metadata, same sources as any profile).
GEN_LIB="$CARGO_TARGET_DIR/debug/libcoffre_ffi.so"
LIB="${COFFRE_FFI_LIB:-$GEN_LIB}"
test -f "$LIB" || { echo "no library at COFFRE_FFI_LIB=$LIB" >&2; exit 1; }
BINDGEN="$CARGO_TARGET_DIR/debug/uniffi-bindgen"

rm -rf "$OUT"
mkdir -p "$OUT/kotlin" "$OUT/python" "$OUT/swift" "$OUT/fixtures"
"$CARGO_TARGET_DIR/debug/gen-fixtures" --out "$OUT/fixtures" --large 0 --medium 3 --preview 0 >/dev/null 2>&1
PHOTO="$OUT/fixtures/scene-000.jpg"

step "generating Kotlin, Python, Swift"
for lang in kotlin python swift; do
    "$BINDGEN" generate --library "$GEN_LIB" --language "$lang" --out-dir "$OUT/$lang" --no-format >/dev/null
done
test -n "$(find "$OUT/swift" -name '*.swift')" || { echo "no Swift generated" >&2; exit 1; }
test -n "$(find "$OUT/swift" -name '*FFI.h')" || { echo "no Swift FFI header generated" >&2; exit 1; }

# ----- Kotlin on the JVM -----
step "compiling Kotlin (generated + tests + the Android sample's shared layer and its test)"
# One kotlinc run (about a minute here) for everything: the sample's test reuses the tests' helpers.
KT_SRC=$(find "$OUT/kotlin" android/sample/src/shared android/sample/src/jvmTest -name '*.kt')
"$KOTLINC" -nowarn -cp "$JNA_JAR" $KT_SRC bindings/tests/kotlin/*.kt -d "$OUT/kotlin-tests.jar" 2>&1 \
    | grep -v '^warning:' || true
test -f "$OUT/kotlin-tests.jar"
KOTLIN_STDLIB="$(dirname "$KOTLINC")/../lib/kotlin-stdlib.jar"
run_kotlin() {
    COFFRE_TEST_PHOTO="$PHOTO" COFFRE_TEST_SERVER_BIN="$CARGO_TARGET_DIR/debug/coffre-server" \
        COFFRE_TEST_CLI_BIN="$CARGO_TARGET_DIR/debug/coffre" java -Djna.library.path="$(dirname "$LIB")" \
        -cp "$OUT/kotlin-tests.jar:$JNA_JAR:$KOTLIN_STDLIB" "$1"
}
step "running Kotlin tests against $LIB"
run_kotlin coffre.tests.BoundaryTestKt
step "running the Android sample's shared layer (android/sample/src/shared) against $LIB"
run_kotlin org.coffre.sample.tests.SampleModelsTestKt

# HTTPS: a CA made for this run (the harness's `test_ca` example, rcgen) and a server serving TLS.
TLS_DIR="$OUT/tls"
"$CARGO_TARGET_DIR/debug/examples/test_ca" "$TLS_DIR"
step "running the Kotlin HTTPS test against $LIB"
COFFRE_TEST_TLS_DIR="$TLS_DIR" run_kotlin coffre.tests.https.HttpsTestKt

# ----- Python -----
step "running the Python user story"
cp "$LIB" "$OUT/python/"
COFFRE_TEST_PHOTO="$PHOTO" COFFRE_TEST_SERVER_BIN="$CARGO_TARGET_DIR/debug/coffre-server" \
    COFFRE_TEST_CLI_BIN="$CARGO_TARGET_DIR/debug/coffre" \
    PYTHONPATH="$OUT/python" python3 bindings/tests/python/test_user_story.py
step "running the Python HTTPS test"
COFFRE_TEST_SERVER_BIN="$CARGO_TARGET_DIR/debug/coffre-server" COFFRE_TEST_TLS_DIR="$TLS_DIR" \
    PYTHONPATH="$OUT/python" python3 bindings/tests/python/test_https.py

step "all binding tests passed"
