#!/usr/bin/env bash
# Capture benchmark: generates the fixture set (deterministic), runs Coffre's pipeline and the
# classic OpenCV scanner on the same images, prints the comparison table. Figures only.
#   scripts/capture-bench.sh [--large N] [--medium N] [--preview N] [--seed N]
set -euo pipefail
cd "$(dirname "$0")/.."
LARGE=16 MEDIUM=16 PREVIEW=16 SEED=2024
while [ $# -gt 0 ]; do
  case "$1" in
    --large) LARGE=$2; shift 2 ;;
    --medium) MEDIUM=$2; shift 2 ;;
    --preview) PREVIEW=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TARGET=${CARGO_TARGET_DIR:-target}
OUT="$TARGET/capture-fixtures/seed-$SEED-$LARGE-$MEDIUM-$PREVIEW"

if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx fra; then
  echo "tesseract with French is needed for the OCR figures:" >&2
  echo "  apt-get update && apt-get install -y tesseract-ocr tesseract-ocr-fra qpdf poppler-utils" >&2
fi
VENV="$TARGET/capture-bench-venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import cv2" 2>/dev/null || "$VENV/bin/pip" install -q opencv-python-headless numpy

cargo build -q --release -p coffre-fixtures --bin gen-fixtures
if [ ! -f "$OUT/truth.json" ]; then
  echo "generating fixtures into $OUT" >&2
  "$TARGET/release/gen-fixtures" --out "$OUT" --seed "$SEED" --large "$LARGE" --medium "$MEDIUM" --preview "$PREVIEW" 2>/dev/null
fi
"$VENV/bin/python" core/capture/bench/opencv_baseline.py "$OUT" "$OUT/opencv.json" --threads 1
COFFRE_FIXTURES="$OUT" COFFRE_OPENCV_JSON="$OUT/opencv.json" cargo bench -q -p coffre-capture --bench pipeline
