//! A QR drawn by `encode` must come back from what a phone camera really sees: a photo of a screen or
//! of paper, rotated, in perspective, blurred, noisy, JPEG-compressed.

use coffre_qr::{EcLevel, MAX_PAYLOAD, QrError, decode_image, decode_luma, encode};
use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, rotate_about_center, warp};

const LINK: &str = "https://coffre.example.org/s/8k3Jd9aQzX2mPq7LwR4tYc#Qm9uam91ciBsZSBtb25kZSwgY2VjaSBlc3QgdW5lIGNsZQ";

/// Deterministic noise so a failure reproduces.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// A table-top photo: textured background, the code pasted off-centre at `scale` px per module.
fn scene(text: &str, scale: u32) -> GrayImage {
    let code = encode(text, EcLevel::Medium).expect("encode").to_luma(scale);
    let mut rng = Lcg(7);
    let mut img = GrayImage::from_fn(1400, 1000, |x, y| Luma([(90 + (x / 7 + y / 11) % 60) as u8]));
    for px in img.pixels_mut() {
        px.0[0] = px.0[0].saturating_add((rng.next() % 25) as u8);
    }
    image::imageops::overlay(&mut img, &code, 420, 230);
    img
}

fn jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).expect("jpeg");
    out
}

fn add_noise(img: &mut GrayImage, amplitude: u32, seed: u64) {
    let mut rng = Lcg(seed);
    for px in img.pixels_mut() {
        let delta = (rng.next() % (2 * amplitude + 1)) as i32 - amplitude as i32;
        px.0[0] = (px.0[0] as i32 + delta).clamp(0, 255) as u8;
    }
}

#[test]
fn matrix_round_trips_through_png() {
    let m = encode(LINK, EcLevel::Medium).expect("encode");
    assert_eq!(m.modules().len(), (m.size() * m.size()) as usize);
    assert!(m.size() >= 21 && (m.size() - 17).is_multiple_of(4), "a QR side is 17 + 4·version");
    // finder pattern: the top-left 7×7 ring is dark, its inner ring light
    assert!(m.is_dark(0, 0) && m.is_dark(6, 6) && !m.is_dark(1, 1) && m.is_dark(3, 3));
    let png = m.to_png(4).expect("png");
    assert_eq!(decode_image(&png).expect("decode"), LINK);
}

#[test]
fn unicode_payload_round_trips() {
    let text = "coffre:v1:Mme Zoé Lefèvre — CCAS de Saint-Étienne";
    let png = encode(text, EcLevel::Quartile).expect("encode").to_png(5).expect("png");
    assert_eq!(decode_image(&png).expect("decode"), text);
}

#[test]
fn rotated_blurred_noisy_jpeg_photo_decodes() {
    let mut img = scene(LINK, 5);
    img = rotate_about_center(&img, 0.40, Interpolation::Bilinear, Border::Constant(Luma([120])));
    img = imageproc::filter::gaussian_blur_f32(&img, 1.3);
    add_noise(&mut img, 12, 99);
    let photo = jpeg(&img, 60);
    assert_eq!(decode_image(&photo).expect("decode rotated photo"), LINK);
}

#[test]
fn photo_in_perspective_decodes() {
    let img = scene(LINK, 6);
    // a phone held at an angle: the far edge shrinks
    let from = [(0.0, 0.0), (1400.0, 0.0), (1400.0, 1000.0), (0.0, 1000.0)];
    let to = [(180.0, 90.0), (1250.0, 20.0), (1390.0, 990.0), (30.0, 900.0)];
    let p = Projection::from_control_points(from, to).expect("projection");
    let mut warped = warp(&img, p, Interpolation::Bilinear, Border::Constant(Luma([100])));
    warped = imageproc::filter::gaussian_blur_f32(&warped, 1.0);
    assert_eq!(decode_image(&jpeg(&warped, 70)).expect("decode perspective photo"), LINK);
}

#[test]
fn camera_frame_with_row_padding_decodes() {
    let img = scene(LINK, 4);
    let (w, h) = img.dimensions();
    let stride = w + 64;
    let mut frame = vec![0u8; (stride * h) as usize];
    for (y, row) in img.rows().enumerate() {
        for (x, px) in row.enumerate() {
            frame[y * stride as usize + x] = px.0[0];
        }
    }
    assert_eq!(decode_luma(&frame, w, h, stride).expect("decode frame"), LINK);
}

#[test]
fn large_photo_is_scaled_before_decoding() {
    // 12 MP, code at 14 px per module
    let code = encode(LINK, EcLevel::Medium).expect("encode").to_luma(14);
    let mut img = GrayImage::from_pixel(4000, 3000, Luma([150]));
    image::imageops::overlay(&mut img, &code, 1500, 1000);
    assert_eq!(decode_image(&jpeg(&img, 80)).expect("decode 12 MP"), LINK);
}

#[test]
fn no_code_is_not_found() {
    let mut img = GrayImage::from_pixel(640, 480, Luma([128]));
    add_noise(&mut img, 60, 3);
    assert_eq!(decode_image(&jpeg(&img, 80)), Err(QrError::NotFound));
}

#[test]
fn hostile_inputs_are_typed_errors() {
    assert_eq!(encode(&"a".repeat(MAX_PAYLOAD + 1), EcLevel::Low), Err(QrError::TooLong(MAX_PAYLOAD + 1)));
    assert!(matches!(encode("", EcLevel::Low), Err(QrError::InvalidInput(_))));
    assert_eq!(decode_image(b"not an image"), Err(QrError::BadImage));
    let png = encode(LINK, EcLevel::Medium).expect("encode").to_png(4).expect("png");
    assert_eq!(decode_image(&png[..png.len() / 2]), Err(QrError::BadImage));
    assert!(matches!(decode_luma(&[0; 10], 0, 5, 5), Err(QrError::InvalidInput(_))));
    assert!(matches!(decode_luma(&[0; 10], 5, 5, 4), Err(QrError::InvalidInput(_))));
    assert!(matches!(decode_luma(&[0; 10], 5, 5, 5), Err(QrError::InvalidInput(_))));
    assert!(matches!(decode_luma(&[0; 10], u32::MAX, u32::MAX, u32::MAX), Err(QrError::InvalidInput(_))));
}

#[test]
fn damaged_code_is_never_a_panic() {
    // scratch out growing parts of a real code: every outcome is text or a typed error
    let m = encode(LINK, EcLevel::Low).expect("encode");
    let clean = m.to_luma(4);
    for cut in [10u32, 30, 60, 90] {
        let mut img = clean.clone();
        for y in 40..40 + cut {
            for x in 16..img.width() - 16 {
                img.put_pixel(x, y.min(img.height() - 1), Luma([0]));
            }
        }
        let (w, h) = img.dimensions();
        match decode_luma(img.as_raw(), w, h, w) {
            Ok(text) => assert_eq!(text, LINK),
            Err(e) => assert!(matches!(e, QrError::NotFound | QrError::Unreadable), "{e:?}"),
        }
    }
}
