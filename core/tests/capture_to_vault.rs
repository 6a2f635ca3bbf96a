//! A photographed page goes through the capture pipeline into the vault and comes back out.
#![allow(clippy::unwrap_used)]

use coffre_core::capture::{CaptureOptions, capture};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageRole, Vault};
use coffre_fixtures::{Background, DocKind, SceneSpec, encode_scene, render_scene};

fn photo(kind: DocKind) -> Vec<u8> {
    let spec = SceneSpec {
        seed: 7,
        kind,
        background: Background::Wood,
        width: 1600,
        height: 1200,
        doc_fraction: 0.75,
        rotation: 6.0,
        tilt: 12.0,
        shadow: 0.2,
        gradient: 0.1,
        blur: 1.0,
        noise: 2.0,
        jpeg_quality: 85,
        curl: 0.0,
        finger: false,
        exif_orientation: 1,
        empty: false,
    };
    encode_scene(&render_scene(&spec))
}

#[test]
fn a_photographed_card_is_stored_with_its_thumbnail() {
    let tmp = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(&tmp.path().join("v"), b"1234 code", None).unwrap();
    let captured = capture(&photo(DocKind::IdCard), &CaptureOptions::default()).unwrap();
    let meta = NewDocument { category: "carte_identite".into(), title: "CNI".into(), ..Default::default() };
    let id = coffre_core::save_capture(&mut vault, &captured, meta).unwrap();

    let doc = vault.get(&id).unwrap();
    assert_eq!(doc.origin, Origin::Camera);
    assert_eq!(doc.page_count(), 1);
    assert_eq!(doc.pages.iter().filter(|p| p.role == PageRole::Thumbnail).count(), 1);
    let page = vault.page_bytes(&id, 0).unwrap();
    assert_eq!(page.as_slice(), captured.pages[0].image.bytes.as_slice());
    let img = image::load_from_memory(&page).unwrap();
    let ratio = img.width().max(img.height()) as f32 / img.width().min(img.height()) as f32;
    assert!((ratio - 85.6 / 53.98).abs() < 0.03, "deskewed to ID-1 proportions, got {ratio}");
    let thumb = image::load_from_memory(&vault.thumbnail(&id).unwrap()).unwrap();
    assert!(thumb.width().max(thumb.height()) <= 256);
    assert_eq!(vault.list(&ListQuery::default()).unwrap().len(), 1);
}

#[test]
fn a_page_turned_by_hand_is_a_new_version_and_stays_one_bit() {
    use coffre_core::capture::Rotation;
    let tmp = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(&tmp.path().join("v"), b"1234 code", None).unwrap();
    let captured = capture(&photo(DocKind::Letter), &CaptureOptions::default()).unwrap();
    let id = coffre_core::save_capture(&mut vault, &captured, NewDocument::default()).unwrap();
    let before = image::load_from_memory(&vault.page_bytes(&id, 0).unwrap()).unwrap();

    let version = coffre_core::rotate_pages(&mut vault, &id, Some(0), Rotation::Cw90).unwrap();
    assert_eq!(vault.versions(&id).unwrap().len(), 2, "a new version; the first stays in the history");
    assert_eq!(vault.get(&id).unwrap().version, version, "the turned one is current");
    let page = vault.page_bytes(&id, 0).unwrap();
    assert_eq!(vault.page_mime(&id, 0).unwrap(), "image/png");
    assert_eq!(page[24..26], [1, 0], "still a 1-bit greyscale PNG (bit depth 1, colour type 0)");
    let after = image::load_from_memory(&page).unwrap().to_luma8();
    assert_eq!((after.width(), after.height()), (before.height(), before.width()));
    // Turned clockwise: the old bottom-left pixel is the new top-left one.
    let b = before.to_luma8();
    for (x, y) in [(0, 0), (10, 40), (300, 200)] {
        assert_eq!(after.get_pixel(x, y), b.get_pixel(y, b.height() - 1 - x));
    }
    assert!(matches!(
        coffre_core::rotate_pages(&mut vault, &id, Some(3), Rotation::Cw180),
        Err(coffre_core::RotateError::NoSuchPage { index: 3, count: 1 })
    ));
}
