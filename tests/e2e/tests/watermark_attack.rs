//! The curious recipient's attack on the "COPIE" mark of identity copies (issue 13, finding 4), from
//! outside, through a real server: the recipient makes their own share of a white page under the
//! same purpose on the same day (anyone can install Coffre), opens both links as any recipient does,
//! reads the mark off the white copy and inverts it on the real ID copy. Against a deterministic
//! alpha blend this gave the original back (PNG: max error 1/255). The mark must destroy what it
//! covers: the pixels it marked stay far from the original (PSNR below 20 dB).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::share::{self, ShareDuration, ShareRequest};
use coffre_core::sync::CancelToken;
use coffre_core::sync_engine::{self, SyncOptions};
use coffre_core::vault::{DocId, NewDocument, Origin, PageInput, PageRole, Vault};
use coffre_fixtures::{DocKind, render_document};
use image::{ImageFormat, Rgb, RgbImage};

const PURPOSE: &str = "pour la CAF";

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
            img.write_with_encoder(enc).unwrap();
        }
        _ => img.write_to(&mut out, format).unwrap(),
    }
    out.into_inner()
}

/// A vault on the server holding one identity page; returns it with the document.
fn vault_with_id_page(dir: &std::path::Path, url: &str, page: Vec<u8>, mime: &str) -> (Vault, DocId) {
    let mut v = Vault::create(dir, PASS, None).unwrap();
    let meta = NewDocument { category: "carte_identite".into(), title: "CNI".into(), ..Default::default() };
    let id = v
        .add_document(meta, Origin::Import, vec![PageInput { bytes: page, mime: mime.into(), role: PageRole::Page }])
        .unwrap();
    sync_engine::enroll(&mut v, url).unwrap();
    sync_engine::sync(&mut v, &SyncOptions::default(), &|_| {}, &CancelToken::new()).unwrap();
    (v, id)
}

/// What a recipient gets: the first page of the share, decoded.
fn shared_copy(v: &mut Vault, doc: DocId) -> RgbImage {
    let request = ShareRequest {
        documents: vec![doc],
        lifetime_secs: ShareDuration::Day.secs(),
        purpose: Some(PURPOSE.into()),
        ..Default::default()
    };
    let made = share::create_share(v, &request).unwrap();
    let opened = share::open_link(&made.link).unwrap();
    assert!(opened.manifest.documents[0].watermarked);
    image::load_from_memory(&opened.pages[0]).unwrap().to_rgb8()
}

/// Inverts `marked = page·(1-a) + ink·a` with `a` read off the white copy (`white = 255·(1-a) +
/// ink·a`), using the ink of the published source (red 200,30,30; green and blue carry the signal).
fn invert(marked: &RgbImage, white: &RgbImage) -> RgbImage {
    const INK: [f32; 3] = [200.0, 30.0, 30.0];
    RgbImage::from_fn(marked.width(), marked.height(), |x, y| {
        let w = white.get_pixel(x, y).0;
        let m = marked.get_pixel(x, y).0;
        let a = ((255.0 - f32::from(w[1])) + (255.0 - f32::from(w[2]))) / (2.0 * (255.0 - INK[1]));
        let a = a.clamp(0.0, 0.98);
        Rgb(std::array::from_fn(|c| ((f32::from(m[c]) - INK[c] * a) / (1.0 - a)).round().clamp(0.0, 255.0) as u8))
    })
}

/// PSNR (dB) of `recovered` against `original` over the pixels where the copy was marked (it
/// differs from the original by more than `threshold` in some channel).
fn psnr_of_marked_area(original: &RgbImage, copy: &RgbImage, recovered: &RgbImage, threshold: u8) -> (f64, usize) {
    let (mut se, mut n) = (0.0f64, 0usize);
    for (x, y, o) in original.enumerate_pixels() {
        let c = copy.get_pixel(x, y).0;
        if (0..3).all(|i| o.0[i].abs_diff(c[i]) <= threshold) {
            continue;
        }
        let r = recovered.get_pixel(x, y).0;
        se += o.0.iter().zip(r).map(|(&a, b)| (f64::from(a) - f64::from(b)).powi(2)).sum::<f64>();
        n += 1;
    }
    let mse = se / (3.0 * n.max(1) as f64);
    (10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10(), n)
}

#[test]
fn inverting_the_mark_with_a_white_page_shared_the_same_day_recovers_nothing_useful() {
    let s = server();
    // An ID card at 14 px/mm: 1198 × 755, under the size an ID copy is reduced to.
    let (card, _, _) = render_document(DocKind::IdCard, 7, 14.0);
    let (w, h) = card.dimensions();
    let mut recovered_too_well = Vec::new();
    for (format, mime, threshold) in [(ImageFormat::Png, "image/png", 2u8), (ImageFormat::Jpeg, "image/jpeg", 24)] {
        let original_bytes = encode(&card, format);
        let original = image::load_from_memory(&original_bytes).unwrap().to_rgb8();
        let holder_dir = tempfile::tempdir().unwrap();
        let (mut holder, cni) = vault_with_id_page(&holder_dir.path().join("v"), &s.url, original_bytes, mime);
        let copy = shared_copy(&mut holder, cni);
        assert_eq!(copy.dimensions(), (w, h));

        // The recipient's own vault: a white page of the same size, shared for the same purpose today.
        let white_bytes = encode(&RgbImage::from_pixel(w, h, Rgb([255, 255, 255])), format);
        let attacker_dir = tempfile::tempdir().unwrap();
        let (mut attacker, blank) = vault_with_id_page(&attacker_dir.path().join("v"), &s.url, white_bytes, mime);
        let white = shared_copy(&mut attacker, blank);

        let recovered = invert(&copy, &white);
        let (psnr, marked) = psnr_of_marked_area(&original, &copy, &recovered, threshold);
        let (before, _) = psnr_of_marked_area(&original, &copy, &copy, threshold);
        println!("{mime}: {marked} marked pixels, copy {before:.1} dB, after inversion {psnr:.1} dB");
        assert!(marked > (w * h / 20) as usize, "{mime}: the mark covers {marked} pixels only");
        if psnr >= 20.0 {
            recovered_too_well.push(format!("{mime}: {psnr:.1} dB"));
        }
    }
    assert!(recovered_too_well.is_empty(), "the inversion recovered the marked area: {recovered_too_well:?}");
}
