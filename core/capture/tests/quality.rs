//! Blurred photos are refused with advice instead of being stored as a blank page; sharp fixtures
//! never are; auto-capture never fires on a blurred preview.

mod common;

use coffre_capture::{
    AutoCapture, BLUR_REFUSE_MM, CaptureAdvice, CaptureError, CaptureOptions, LumaFrame, Quad, capture, detect_preview,
};
use coffre_fixtures::{Background, DocKind, SceneSpec, encode_scene, render_scene, standard_set};
use common::spec;

/// Blur of the blurred fixtures: σ = 25 px on a 4000 px wide photo (scaled with the frame), i.e.
/// 10 px on a 1600 px photo — a shaken or unfocused phone.
const SHAKEN: f32 = 25.0;

fn capture_at_truth(s: &SceneSpec) -> Result<coffre_capture::CapturedDocument, CaptureError> {
    let scene = render_scene(s);
    let corners = Quad::from_array(scene.corners.expect("a document"));
    capture(&encode_scene(&scene), &CaptureOptions { corners: Some(corners), ..CaptureOptions::default() })
}

/// The blurred fixtures: each kind at three sizes, on varied backgrounds, with the blur of a shaken
/// phone; the same scenes sharp are accepted.
#[test]
fn blurred_photos_are_refused_with_advice_and_the_same_scenes_sharp_are_kept() {
    let kinds = [
        (DocKind::Letter, Background::Wood),
        (DocKind::IdCard, Background::DarkDesk),
        (DocKind::Receipt, Background::Granite),
    ];
    let sizes = [(1200, 900), (1600, 1200), (4000, 3000)];
    let (mut refused, mut total, mut report) = (0, 0, Vec::new());
    for (i, (kind, bg)) in kinds.iter().enumerate() {
        for (j, (w, h)) in sizes.iter().enumerate() {
            let mut s = spec(500 + (i * 3 + j) as u64, *kind, *bg, *w, *h);
            let sharp = capture_at_truth(&s);
            assert!(sharp.is_ok(), "{kind:?} {w}x{h} sharp: {:?}", sharp.err());
            s.blur = SHAKEN;
            total += 1;
            match capture_at_truth(&s) {
                Err(e @ CaptureError::Blurred { .. }) => {
                    refused += 1;
                    assert_eq!(e.advice_fr(), Some("La photo est floue. Reprenez-la en tenant le téléphone immobile."));
                    report.push(format!("{kind:?} {w}x{h}: {e}"));
                }
                other => report.push(format!("{kind:?} {w}x{h}: NOT refused: {:?}", other.map(|d| d.pages[0].quality))),
            }
        }
    }
    println!("blurred fixtures refused: {refused}/{total}\n{}", report.join("\n"));
    assert_eq!(refused, total, "{}", report.join("\n"));
}

/// No false refusal on the benchmark's scenes (blur σ 0.5–3 px at 4000 px, noise, shadows,
/// fingers, curl, JPEG 60–92).
#[test]
fn sharp_fixtures_are_never_refused() {
    let (mut kept, mut total, mut worst) = (0, 0, 0.0f32);
    for s in standard_set(2024, 2, 16, 0).into_iter().filter(|s| !s.empty) {
        total += 1;
        match capture_at_truth(&s) {
            Ok(doc) => {
                kept += 1;
                worst = worst.max(doc.pages[0].quality.expect("measured").blur_mm);
            }
            Err(e) => println!("{:?} {}x{} blur {}: wrongly refused: {e}", s.kind, s.width, s.height, s.blur),
        }
    }
    println!("sharp fixtures kept: {kept}/{total}, worst blur {worst:.2} mm (refusal at {BLUR_REFUSE_MM} mm)");
    assert_eq!(kept, total);
}

#[test]
fn an_empty_sheet_is_refused_as_blank() {
    // A plain white sheet on a dark desk, corners given.
    let img = image::RgbImage::from_fn(1200, 900, |x, y| {
        if (200..1000).contains(&x) && (100..800).contains(&y) {
            image::Rgb([236, 234, 228])
        } else {
            image::Rgb([50, 40, 35])
        }
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("png");
    let corners = Quad::from_array([[200.0, 100.0], [1000.0, 100.0], [1000.0, 800.0], [200.0, 800.0]]);
    match capture(&png, &CaptureOptions { corners: Some(corners), ..CaptureOptions::default() }) {
        Err(e @ CaptureError::BlankPage { .. }) => {
            assert!(e.advice_fr().is_some_and(|a| a.starts_with("La page est vide")))
        }
        other => panic!("expected BlankPage, got {:?}", other.map(|d| d.pages[0].quality)),
    }
}

fn luma(img: &image::RgbImage) -> Vec<u8> {
    img.pixels()
        .map(|p| (0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2])) as u8)
        .collect()
}

/// Feeds 20 frames (100 ms apart) of the same preview scene; returns whether it fired.
fn fires(s: &SceneSpec) -> bool {
    let scene = render_scene(s);
    let plane = luma(&scene.image);
    let frame = LumaFrame::new(s.width, s.height, s.width as usize, &plane).expect("frame");
    let detection = detect_preview(&frame);
    let mut ac = AutoCapture::new(s.width, s.height);
    (0..20).any(|i| ac.push_frame(&frame, &detection, i * 100) == CaptureAdvice::CaptureNow)
}

#[test]
fn auto_capture_waits_for_a_sharp_frame() {
    let (mut sharp_fired, mut blurred_fired, mut n) = (0, 0, 0);
    for (i, (kind, bg)) in [
        (DocKind::Letter, Background::Wood),
        (DocKind::IdCard, Background::DarkDesk),
        (DocKind::Receipt, Background::Granite),
        (DocKind::Letter, Background::Tiles),
    ]
    .iter()
    .enumerate()
    {
        let mut s = spec(700 + i as u64, *kind, *bg, 640, 480);
        s.jpeg_quality = 100;
        n += 1;
        sharp_fired += usize::from(fires(&s));
        s.blur = SHAKEN;
        blurred_fired += usize::from(fires(&s));
    }
    println!("auto-capture fired on {sharp_fired}/{n} sharp previews, {blurred_fired}/{n} blurred ones");
    assert_eq!(blurred_fired, 0, "a blurred preview must never fire");
    assert!(sharp_fired >= n - 1, "sharp previews fire: {sharp_fired}/{n}");
}
