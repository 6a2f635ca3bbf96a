//! Photo metadata never enters the vault: every JPEG or PNG page is cleaned before it is encrypted,
//! so neither the vault, a share copy nor an export carries the GPS position, the phone model, the
//! date, comments or the embedded thumbnails of the original photo.
//!
//! JPEG: the markup segments that carry metadata (APP1 Exif/XMP, APP13 IPTC, COM, multi-picture
//! APP2, other APPn) and anything after the end of the image (motion photos, maker trailers) are
//! dropped without touching the compressed pixels, so quality is kept bit for bit. What is kept:
//! the coded image, a bare JFIF APP0, the ICC colour profile (APP2 `ICC_PROFILE`) and the Adobe
//! APP14 colour transform flag. PNG: only the chunks that define the pixels and their colours are
//! kept. When the photo says it was taken sideways (EXIF orientation other than 1), it is turned
//! upright first and re-encoded (JPEG quality [`REENCODE_QUALITY`]), since the tag that said so is
//! dropped.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::{Result, VaultError};

/// JPEG quality used when a photo has to be re-encoded to turn it upright.
pub const REENCODE_QUALITY: u8 = 92;
/// Largest photo (in pixels) that is decoded to turn it upright.
const MAX_PIXELS: u64 = 50_000_000;

/// The cleaned bytes of a JPEG or PNG page. Other types, and bytes whose structure is not a JPEG
/// or PNG at all (no viewer would show them as a picture), are returned as they are.
pub fn strip_photo_metadata(bytes: &[u8], mime: &str) -> Result<Vec<u8>> {
    let (format, parsed) = match mime {
        "image/jpeg" => (ImageFormat::Jpeg, strip_jpeg(bytes)),
        "image/png" => (ImageFormat::Png, strip_png(bytes)),
        _ => return Ok(bytes.to_vec()),
    };
    match parsed {
        None => Ok(bytes.to_vec()),
        Some((clean, 1)) => Ok(clean),
        Some((clean, orientation)) => upright(clean, format, orientation),
    }
}

// ----- JPEG -----

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;

/// The JPEG without its metadata segments, and its EXIF orientation; `None` when it is not a JPEG.
fn strip_jpeg(bytes: &[u8]) -> Option<(Vec<u8>, u16)> {
    let mut orientation = 1;
    let mut out = Vec::with_capacity(bytes.len());
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != SOI {
        return None;
    }
    out.extend_from_slice(&[0xFF, SOI]);
    let mut i = 2;
    loop {
        // Next marker (fill bytes 0xFF may repeat).
        if i >= bytes.len() {
            break; // truncated after a segment: keep what we have
        }
        if bytes[i] != 0xFF {
            return None;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else { break };
        i += 1;
        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                break; // anything after the image (trailers, motion photos) is dropped
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let len = match bytes.get(i..i + 2) {
            Some(l) => usize::from(u16::from_be_bytes([l[0], l[1]])),
            None => return None,
        };
        if len < 2 || i + len > bytes.len() {
            return None;
        }
        let payload = &bytes[i + 2..i + len];
        let segment = &bytes[i - 2..i + len];
        i += len;
        if marker == APP1 && payload.starts_with(b"Exif\0\0") {
            orientation = exif_orientation(&payload[6..]).unwrap_or(orientation);
        }
        if keep_jpeg_segment(marker, payload) {
            out.extend_from_slice(segment);
        }
        if marker == SOS {
            // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
            let start = i;
            while i + 1 < bytes.len()
                && !(bytes[i] == 0xFF && bytes[i + 1] != 0 && !(0xD0..=0xD7).contains(&bytes[i + 1]))
            {
                i += 1;
            }
            if i + 1 >= bytes.len() {
                i = bytes.len(); // truncated scan: keep it, a viewer shows what it can
            }
            out.extend_from_slice(&bytes[start..i]);
        }
    }
    Some((out, orientation))
}

/// Which segments survive: coding tables, frame and scan headers, restart intervals, a JFIF APP0
/// without thumbnail, the ICC profile and the Adobe colour transform flag.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        APP0 => payload.starts_with(b"JFIF\0") && payload.len() == 14,
        APP2 => payload.starts_with(b"ICC_PROFILE\0"),
        APP14 => payload.starts_with(b"Adobe") && payload.len() <= 12,
        APP1 | 0xE3..=0xED | APP15 | COM => false,
        _ => true,
    }
}

/// The orientation tag (0x0112) of IFD0 in a TIFF structure (EXIF payload after `Exif\0\0`).
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let le = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |o: usize| {
        tiff.get(o..o + 2).map(|b| if le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    };
    let u32_at = |o: usize| {
        tiff.get(o..o + 4).map(|b| {
            let a = [b[0], b[1], b[2], b[3]];
            if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(512))
        .find_map(|n| {
            let entry = ifd + 2 + n * 12;
            (u16_at(entry)? == 0x0112).then(|| u16_at(entry + 8)).flatten()
        })
        .filter(|o| (1..=8).contains(o))
}

// ----- PNG -----

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// Chunks that define the pixels and their colours; every other chunk is dropped.
const PNG_KEEP: [&[u8; 4]; 12] =
    [b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD"];

/// The PNG with only its pixel and colour chunks, and its EXIF orientation; `None` when it is not
/// a PNG.
fn strip_png(bytes: &[u8]) -> Option<(Vec<u8>, u16)> {
    if !bytes.starts_with(PNG_SIGNATURE) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut orientation = 1;
    let mut i = PNG_SIGNATURE.len();
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize;
        let kind = &bytes[i + 4..i + 8];
        let end = i.checked_add(12).and_then(|e| e.checked_add(len))?;
        if end > bytes.len() {
            return None;
        }
        if kind == b"eXIf" {
            orientation = exif_orientation(&bytes[i + 8..i + 8 + len]).unwrap_or(orientation);
        }
        if PNG_KEEP.iter().any(|k| &k[..] == kind) {
            out.extend_from_slice(&bytes[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            break; // anything after the image is dropped
        }
    }
    Some((out, orientation))
}

// ----- orientation -----

/// Turns `clean` (already without metadata) upright by `orientation` and re-encodes it. If its
/// pixels cannot be decoded, it is kept as it is (clean, but sideways).
fn upright(clean: Vec<u8>, format: ImageFormat, orientation: u16) -> Result<Vec<u8>> {
    use image::metadata::Orientation as O;
    let turn = match orientation {
        2 => O::FlipHorizontal,
        3 => O::Rotate180,
        4 => O::FlipVertical,
        5 => O::Rotate90FlipH,
        6 => O::Rotate90,
        7 => O::Rotate270FlipH,
        8 => O::Rotate270,
        _ => return Ok(clean),
    };
    let Some(mut img) = decode(&clean, format)? else { return Ok(clean) };
    img.apply_orientation(turn);
    let mut out = Vec::new();
    let encoded = match format {
        ImageFormat::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), REENCODE_QUALITY).encode(
                rgb.as_raw(),
                rgb.width(),
                rgb.height(),
                image::ExtendedColorType::Rgb8,
            )
        }
        _ => img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png),
    };
    Ok(if encoded.is_ok() { out } else { clean })
}

/// The pixels of `bytes`; `None` when they cannot be decoded; an error when the photo is too large.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<Option<DynamicImage>> {
    let Ok(mut decoder) = ImageReader::with_format(Cursor::new(bytes), format).into_decoder() else {
        return Ok(None);
    };
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(VaultError::InvalidInput(
            "the photo is too large to be turned upright (over 50 megapixels)".into(),
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    if decoder.set_limits(limits).is_err() {
        return Ok(None);
    }
    Ok(DynamicImage::from_decoder(decoder).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend(kind);
        c.extend(data);
        c.extend([0, 0, 0, 0]); // CRC is copied, not checked
        c
    }

    #[test]
    fn png_keeps_pixels_and_drops_text_exif_and_trailer() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        png.extend(chunk(b"tEXt", b"Comment\0chez Madame Dupont"));
        png.extend(chunk(b"eXIf", b"MM\0\x2a\0\0\0\x08\0\0"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        png.extend(b"trailing secret");
        let out = strip_photo_metadata(&png, "image/png").expect("clean");
        let mut want = PNG_SIGNATURE.to_vec();
        want.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        want.extend(chunk(b"IDAT", &[1, 2, 3]));
        want.extend(chunk(b"IEND", &[]));
        assert_eq!(out, want);
    }

    #[test]
    fn not_an_image_is_kept_as_it_is() {
        let junk = b"\xFF\xD8\xFF\xE0 not really a jpeg".to_vec();
        assert_eq!(strip_photo_metadata(&junk, "image/jpeg").expect("kept"), junk);
        assert_eq!(strip_photo_metadata(b"%PDF-1.7", "application/pdf").expect("kept"), b"%PDF-1.7");
    }
}
