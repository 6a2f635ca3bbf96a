//! A photo with no document in it (a potted plant, a framed painting on a wall, a street) answers
//! "no document found", not a quad around whatever is there.

use coffre_capture::{CaptureError, CaptureOptions, capture, decode, detect};
use coffre_fixtures::{Background, encode_scene, no_document_set, render_scene};

#[test]
fn plants_paintings_and_streets_are_not_documents() {
    // 1600×1200, 640×480 (photo path: the preview fast path has no colour, see docs/capture.md),
    // 1200×1600: three of each subject.
    let specs: Vec<_> = no_document_set(15, 15).into_iter().filter(|s| s.width <= 1600 && s.height <= 1600).collect();
    assert_eq!(specs.len(), 9);
    let mut found = Vec::new();
    for s in &specs {
        let scene = render_scene(s);
        let d = detect(&decode(&encode_scene(&scene)).expect("decode"));
        if d.found() {
            found.push(format!("{:?} {}x{} conf {:.2}", s.background, s.width, s.height, d.confidence));
        }
    }
    // Measured: 0/3 plants, 0/3 paintings, 2/3 streets (a pale façade with rows of windows still
    // passes for a page: docs/capture.md, "Known limits"); before the paper test: 7/9 found.
    assert!(found.len() <= 2, "documents found where there is none:\n{}", found.join("\n"));
}

#[test]
fn a_painting_on_a_wall_is_a_typed_no_document_error() {
    let spec = no_document_set(3, 3).into_iter().find(|s| s.background == Background::Painting).expect("painting");
    let bytes = encode_scene(&render_scene(&spec));
    match capture(&bytes, &CaptureOptions::default()) {
        Err(e @ CaptureError::NoDocument { .. }) => assert!(e.to_string().starts_with("no document found")),
        other => panic!("expected NoDocument, got {:?}", other.map(|d| d.pages.len())),
    }
}
