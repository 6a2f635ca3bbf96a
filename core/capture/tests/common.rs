//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use coffre_capture::Quad;
use coffre_fixtures::{Background, DocKind, SceneSpec};

/// A scene spec with moderate difficulty; tests override what they exercise.
pub fn spec(seed: u64, kind: DocKind, background: Background, width: u32, height: u32) -> SceneSpec {
    SceneSpec {
        seed,
        kind,
        background,
        width,
        height,
        doc_fraction: 0.75,
        rotation: 6.0,
        tilt: 18.0,
        shadow: 0.0,
        gradient: 0.15,
        blur: 1.5,
        noise: 3.0,
        jpeg_quality: 80,
        curl: 0.0,
        finger: false,
        exif_orientation: 1,
        empty: false,
    }
}

/// Mean corner distance in % of the image diagonal, best cyclic correspondence.
pub fn corner_error_pct(a: &Quad, truth: &Quad, w: u32, h: u32) -> f32 {
    let diag = (w as f32).hypot(h as f32);
    (0..4)
        .map(|r| {
            (0..4)
                .map(|i| {
                    let p = a.corners[(i + r) % 4];
                    let t = truth.corners[i];
                    (p.x - t.x).hypot(p.y - t.y)
                })
                .sum::<f32>()
                / 4.0
        })
        .fold(f32::MAX, f32::min)
        * 100.0
        / diag
}

/// Fails with a clear message when an external tool is missing.
pub fn require_tool(name: &str, probe: &[&str]) {
    let ok = std::process::Command::new(name).args(probe).output().map(|o| o.status.success()).unwrap_or(false);
    assert!(
        ok,
        "`{name}` is not installed. Run the setup: \
         apt-get update && apt-get install -y tesseract-ocr tesseract-ocr-fra qpdf poppler-utils"
    );
}
