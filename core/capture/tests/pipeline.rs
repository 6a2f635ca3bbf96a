//! Whole pipeline: deskew proportions, size budgets, PDF validity (qpdf, pdftoppm).

mod common;

use coffre_capture::{
    CaptureOptions, DeskewOptions, Mode, PaperFormat, Quad, assemble_pdf, capture, capture_image, decode, deskew,
};
use coffre_fixtures::{Background, DocKind, encode_scene, render_scene};
use common::{require_tool, spec};

#[test]
fn letter_becomes_a_small_a4_text_page() {
    let scene = render_scene(&spec(21, DocKind::Letter, Background::Wood, 2400, 1800));
    let doc = capture(&encode_scene(&scene), &CaptureOptions::default()).expect("capture");
    let p = &doc.pages[0];
    assert_eq!(p.format, PaperFormat::A4);
    assert_eq!(p.mode, Mode::Text);
    assert_eq!(p.image.mime, "image/png");
    let ratio = p.image.height as f32 / p.image.width as f32;
    assert!((ratio - 297.0 / 210.0).abs() < 0.01, "A4 proportions, got {ratio}");
    assert!(p.image.bytes.len() <= 120_000, "text page {} bytes", p.image.bytes.len());
    assert!(doc.thumbnail.bytes.len() <= 20_000);
    assert!(doc.thumbnail.width.max(doc.thumbnail.height) <= 256);
}

#[test]
fn id_card_is_colour_id1_within_60kb() {
    let scene = render_scene(&spec(22, DocKind::IdCard, Background::DarkDesk, 2400, 1800));
    let doc = capture(&encode_scene(&scene), &CaptureOptions::default()).expect("capture");
    let p = &doc.pages[0];
    assert_eq!(p.format, PaperFormat::Id1, "quad {:?} truth {:?}", p.quad.map(|q| q.to_array()), scene.corners);
    assert_eq!(p.mode, Mode::Colour);
    assert_eq!(p.image.mime, "image/jpeg");
    assert!(p.image.bytes.len() <= 60_000, "{} bytes", p.image.bytes.len());
    let ratio = p.image.width.max(p.image.height) as f32 / p.image.width.min(p.image.height) as f32;
    assert!((ratio - 85.6 / 53.98).abs() < 0.01);
    assert!(p.image.dpi >= 280.0, "≈300 dpi, got {}", p.image.dpi);
}

#[test]
fn caller_corners_and_mode_override() {
    let scene = render_scene(&spec(23, DocKind::Receipt, Background::DarkDesk, 1200, 900));
    let img = decode(&encode_scene(&scene)).expect("decode");
    let corners = Quad::from_array(scene.corners.expect("truth"));
    let opts = CaptureOptions { corners: Some(corners), mode: Some(Mode::Grey), ..CaptureOptions::default() };
    let doc = capture_image(&img, &opts).expect("capture");
    assert_eq!(doc.pages[0].mode, Mode::Grey);
    assert_eq!(doc.pages[0].quad, Some(corners));
    assert_eq!(doc.pages[0].confidence, None);
    let d = deskew(&img, &corners, &DeskewOptions::default()).expect("deskew");
    assert!(d.image.height() > 2 * d.image.width(), "receipt stays tall");
}

#[test]
fn pdf_passes_qpdf_and_renders() {
    require_tool("qpdf", &["--version"]);
    require_tool("pdftoppm", &["-v"]);
    let letter = render_scene(&spec(24, DocKind::Letter, Background::Granite, 1600, 1200));
    let card = render_scene(&spec(25, DocKind::IdCard, Background::Fabric, 1600, 1200));
    let a = capture(&encode_scene(&letter), &CaptureOptions::default()).expect("letter");
    let b = capture(&encode_scene(&card), &CaptureOptions::default()).expect("card");
    let pdf = assemble_pdf(&[a.pages[0].image.clone(), b.pages[0].image.clone()]).expect("pdf");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let check = std::process::Command::new("qpdf").arg("--check").arg(&path).output().expect("qpdf");
    assert!(check.status.success(), "qpdf --check: {}", String::from_utf8_lossy(&check.stdout));
    let prefix = dir.path().join("page");
    let render = std::process::Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .expect("pdftoppm");
    assert!(render.status.success());
    let pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .collect();
    assert_eq!(pages.len(), 2, "two rendered pages");
    // Page 1 is A4 at 30 dpi: 248 × 351 px.
    let first = image::open(dir.path().join("page-1.png")).expect("render").to_luma8();
    assert!((first.width() as i32 - 248).abs() <= 2 && (first.height() as i32 - 351).abs() <= 2);
    let dark = first.pixels().filter(|p| p.0[0] < 128).count();
    assert!(dark > 100, "text is visible in the rendered PDF");
}
