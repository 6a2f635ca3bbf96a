//! Legibility, measured: tesseract (fra) on the text page of a generated letter photo.

mod common;

use coffre_capture::{CaptureOptions, Mode, capture};
use coffre_fixtures::{Background, DocKind, encode_scene, render_scene};
use common::{require_tool, spec};

fn normalise(s: &str) -> Vec<char> {
    s.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect()
}

/// Character error rate of `truth` against the best-matching span of `ocr`.
fn cer(truth: &str, ocr: &str) -> f32 {
    let (t, o) = (normalise(truth), normalise(ocr));
    let mut prev = vec![0usize; o.len() + 1];
    for (i, tc) in t.iter().enumerate() {
        let mut cur = vec![i + 1; o.len() + 1];
        for j in 1..=o.len() {
            cur[j] = (prev[j - 1] + usize::from(*tc != o[j - 1])).min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev.iter().copied().min().unwrap_or(t.len()) as f32 / t.len().max(1) as f32
}

#[test]
fn cer_helper() {
    assert_eq!(cer("abc def", "xx abc def yy"), 0.0);
    assert!((cer("abcd", "abxd") - 0.25).abs() < 1e-6);
}

#[test]
fn letter_text_page_is_legible() {
    require_tool("tesseract", &["--version"]);
    let langs = std::process::Command::new("tesseract").arg("--list-langs").output().expect("tesseract");
    assert!(
        String::from_utf8_lossy(&langs.stdout).lines().any(|l| l.trim() == "fra"),
        "tesseract French data missing: apt-get install -y tesseract-ocr-fra"
    );
    // A 12 MP phone photo: 4000 × 3000, page tilted and rotated, shadow, JPEG.
    let mut s = spec(31, DocKind::Letter, Background::Wood, 4000, 3000);
    s.shadow = 0.35;
    s.doc_fraction = 0.85;
    let scene = render_scene(&s);
    let doc = capture(&encode_scene(&scene), &CaptureOptions::default()).expect("capture");
    let page = &doc.pages[0];
    assert_eq!(page.mode, Mode::Text);
    assert!(page.image.bytes.len() <= 120_000, "{} bytes", page.image.bytes.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("page.png");
    std::fs::write(&path, &page.image.bytes).expect("write");
    let out = std::process::Command::new("tesseract")
        .arg(&path)
        .arg("stdout")
        .args(["-l", "fra", "--psm", "4"])
        .output()
        .expect("tesseract");
    let text = String::from_utf8_lossy(&out.stdout);
    let rate = cer(&scene.text, &text);
    eprintln!("CER {:.2}% ({} chars)", 100.0 * rate, scene.text.len());
    assert!(rate <= 0.02, "character error rate {:.2}% > 2%\nOCR:\n{text}", 100.0 * rate);
}
