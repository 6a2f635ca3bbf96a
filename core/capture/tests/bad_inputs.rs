//! Bad input never panics and never allocates without bound: typed errors or "not found".

use std::io::Cursor;

use coffre_capture::{
    CaptureError, CaptureOptions, DecodeLimits, LumaFrame, capture, decode, decode_with_limits, detect, detect_preview,
};
use coffre_fixtures::{Background, DocKind, SceneSpec, encode_scene, render_scene};
use image::{ImageFormat, RgbImage};

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("png");
    out
}

fn jpeg_photo() -> Vec<u8> {
    encode_scene(&render_scene(&SceneSpec {
        seed: 5,
        kind: DocKind::Letter,
        background: Background::Wood,
        width: 800,
        height: 600,
        doc_fraction: 0.7,
        rotation: 5.0,
        tilt: 10.0,
        shadow: 0.0,
        gradient: 0.1,
        blur: 1.0,
        noise: 2.0,
        jpeg_quality: 80,
        curl: 0.0,
        finger: false,
        exif_orientation: 1,
        empty: false,
    }))
}

#[test]
fn truncated_and_corrupt_jpeg() {
    let good = jpeg_photo();
    for cut in [2usize, 20, 200, good.len() / 3, good.len() / 2, good.len() - 10] {
        // Either a typed error or a (partially grey) image: never a panic.
        match capture(&good[..cut], &CaptureOptions::default()) {
            Ok(_)
            | Err(
                CaptureError::Corrupt(_)
                | CaptureError::Unsupported
                | CaptureError::NoDocument { .. }
                | CaptureError::Blurred { .. }
                | CaptureError::BlankPage { .. },
            ) => {}
            Err(e) => panic!("unexpected error for a cut at {cut}: {e}"),
        }
    }
    let mut flipped = good.clone();
    for i in (600..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5A;
    }
    let _ = capture(&flipped, &CaptureOptions::default());
    assert!(matches!(decode(b"\xFF\xD8\xFF\xE0garbage"), Err(CaptureError::Corrupt(_) | CaptureError::Unsupported)));
    assert!(matches!(decode(b"GIF89a...."), Err(CaptureError::Unsupported)));
    assert!(matches!(decode(&[]), Err(CaptureError::Unsupported)));
}

#[test]
fn huge_image_is_refused_before_decoding() {
    // A valid PNG header announcing 10000 × 10000 (100 MP) with no pixel data behind it.
    let mut header = Vec::new();
    header.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(b"IHDR");
    ihdr.extend_from_slice(&10_000u32.to_be_bytes());
    ihdr.extend_from_slice(&10_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    header.extend_from_slice(&13u32.to_be_bytes());
    header.extend_from_slice(&ihdr);
    header.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        header.extend_from_slice(&0u32.to_be_bytes());
        header.extend_from_slice(chunk);
        header.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    match decode(&header) {
        Err(CaptureError::TooLarge { megapixels, limit }) => {
            assert!((megapixels - 100.0).abs() < 0.1);
            assert!(limit < megapixels);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // A smaller explicit bound refuses an ordinary photo.
    let small = DecodeLimits { max_pixels: 100_000 };
    assert!(matches!(decode_with_limits(&jpeg_photo(), small), Err(CaptureError::TooLarge { .. })));
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn tiny_blank_black_and_empty_frames() {
    assert!(matches!(decode(&png(&RgbImage::new(1, 1))), Err(CaptureError::TooSmall { .. })));
    for v in [0u8, 255, 127] {
        let img = RgbImage::from_pixel(640, 480, image::Rgb([v, v, v]));
        assert!(!detect(&img).found());
        match capture(&png(&img), &CaptureOptions::default()) {
            Err(CaptureError::NoDocument { .. }) => {}
            other => panic!("expected NoDocument, got {other:?}"),
        }
        // Kept whole on request, the uniform frame is an empty page: refused, not stored blank.
        let whole = CaptureOptions { whole_frame_if_not_found: true, ..CaptureOptions::default() };
        assert!(matches!(capture(&png(&img), &whole), Err(CaptureError::BlankPage { .. })));
    }
    let plane = vec![0u8; 640 * 480];
    let frame = LumaFrame::new(640, 480, 640, &plane).expect("frame");
    assert!(!detect_preview(&frame).found());
    assert!(LumaFrame::new(1, 1, 1, &plane).is_err());
    assert!(LumaFrame::new(640, 480, 640, &plane[..1000]).is_err());
}

#[test]
fn bad_corners_are_typed_errors() {
    let opts = CaptureOptions {
        corners: Some(coffre_capture::Quad {
            corners: [
                coffre_capture::Point::new(0.0, 0.0),
                coffre_capture::Point::new(f32::NAN, 1.0),
                coffre_capture::Point::new(5.0, 5.0),
                coffre_capture::Point::new(0.0, 5.0),
            ],
        }),
        ..CaptureOptions::default()
    };
    assert!(matches!(capture(&jpeg_photo(), &opts), Err(CaptureError::InvalidCorners(_))));
}
