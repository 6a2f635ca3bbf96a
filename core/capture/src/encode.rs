//! Compression for cheap phones and small data plans: 1-bit PNG for text pages, JPEG fitted to a
//! byte budget for colour and grey pages, and a small JPEG thumbnail.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, GrayImage, Luma, RgbImage};
use serde::{Deserialize, Serialize};

use crate::deskew::PaperFormat;
use crate::enhance::{Enhanced, Mode};
use crate::error::{CaptureError, Result};

/// One encoded image: what the vault stores for a page or a thumbnail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedPage {
    /// The file bytes (PNG or JPEG).
    pub bytes: Vec<u8>,
    /// `image/png` or `image/jpeg`.
    pub mime: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in dots per inch (used to print at real size).
    pub dpi: f32,
}

/// Byte budgets per page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodeOptions {
    /// Largest page in bytes; quality and then resolution are lowered to fit.
    pub max_bytes: usize,
    /// Starting JPEG quality (1–100).
    pub jpeg_quality: u8,
    /// Lowest JPEG quality before resolution is lowered instead.
    pub min_jpeg_quality: u8,
}

impl EncodeOptions {
    /// Default budgets: a text page ≤ 120 KB, an ID card in colour ≤ 60 KB, other colour pages
    /// ≤ 300 KB, grey pages ≤ 200 KB.
    pub fn for_page(mode: Mode, format: PaperFormat) -> Self {
        let max_bytes = match (mode, format) {
            (Mode::Text, _) => 120_000,
            (_, PaperFormat::Id1) => 60_000,
            (Mode::Colour, _) => 300_000,
            (Mode::Grey, _) => 200_000,
        };
        Self { max_bytes, jpeg_quality: 85, min_jpeg_quality: 45 }
    }
}

/// Long side of thumbnails, in pixels.
pub const THUMBNAIL_SIDE: u32 = 256;

/// Encodes an enhanced page within its byte budget.
pub fn encode_page(page: &Enhanced, dpi: f32, opts: &EncodeOptions) -> Result<EncodedPage> {
    let mut scale = 1.0f32;
    // At most a few rounds: each lowers quality to the floor, then resolution by 20 %.
    for _ in 0..6 {
        let enc = match page {
            Enhanced::Text(bin) => {
                let img = if scale < 1.0 { shrink_bilevel(bin, scale) } else { bin.clone() };
                png_1bit(&img, dpi * scale)?
            }
            Enhanced::Grey(g) => {
                let img = if scale < 1.0 { resize_gray(g, scale) } else { g.clone() };
                jpeg_fit(img.as_raw(), img.width(), img.height(), ExtendedColorType::L8, dpi * scale, opts)?
            }
            Enhanced::Colour(c) => {
                let img = if scale < 1.0 { resize_rgb(c, scale) } else { c.clone() };
                jpeg_fit(img.as_raw(), img.width(), img.height(), ExtendedColorType::Rgb8, dpi * scale, opts)?
            }
        };
        if enc.bytes.len() <= opts.max_bytes {
            return Ok(enc);
        }
        scale *= 0.8;
    }
    Err(CaptureError::Encode("page does not fit its byte budget".into()))
}

/// A small JPEG preview (long side [`THUMBNAIL_SIDE`]).
pub fn thumbnail(page: &Enhanced) -> Result<EncodedPage> {
    let rgb = page.to_rgb();
    let t = image::imageops::thumbnail(&rgb, THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let bytes = jpeg(t.as_raw(), t.width(), t.height(), ExtendedColorType::Rgb8, 70)?;
    Ok(EncodedPage { bytes, mime: "image/jpeg".into(), width: t.width(), height: t.height(), dpi: 0.0 })
}

fn jpeg(data: &[u8], w: u32, h: u32, ct: ExtendedColorType, q: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, q)
        .encode(data, w, h, ct)
        .map_err(|e| CaptureError::Encode(e.to_string()))?;
    Ok(out)
}

/// Highest quality in `[min, start]` that fits (bisection), or the minimum quality.
fn jpeg_fit(data: &[u8], w: u32, h: u32, ct: ExtendedColorType, dpi: f32, o: &EncodeOptions) -> Result<EncodedPage> {
    let page = |bytes| EncodedPage { bytes, mime: "image/jpeg".into(), width: w, height: h, dpi };
    let first = jpeg(data, w, h, ct, o.jpeg_quality)?;
    if first.len() <= o.max_bytes {
        return Ok(page(first));
    }
    let (mut lo, mut hi) = (o.min_jpeg_quality, o.jpeg_quality);
    let mut best = jpeg(data, w, h, ct, lo)?;
    if best.len() > o.max_bytes {
        return Ok(page(best));
    }
    while hi - lo > 3 {
        let mid = (lo + hi) / 2;
        let b = jpeg(data, w, h, ct, mid)?;
        if b.len() <= o.max_bytes {
            lo = mid;
            best = b;
        } else {
            hi = mid;
        }
    }
    Ok(page(best))
}

fn png_1bit(img: &GrayImage, dpi: f32) -> Result<EncodedPage> {
    let (w, h) = img.dimensions();
    let row_bytes = w.div_ceil(8) as usize;
    let mut packed = vec![0u8; row_bytes * h as usize];
    for (y, row) in img.rows().enumerate() {
        for (x, p) in row.enumerate() {
            if p.0[0] >= 128 {
                packed[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(Cursor::new(&mut out), w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        enc.set_compression(png::Compression::High);
        let ppm = (dpi / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions { xppu: ppm, yppu: ppm, unit: png::Unit::Meter }));
        let mut wr = enc.write_header().map_err(|e| CaptureError::Encode(e.to_string()))?;
        wr.write_image_data(&packed).map_err(|e| CaptureError::Encode(e.to_string()))?;
        wr.finish().map_err(|e| CaptureError::Encode(e.to_string()))?;
    }
    Ok(EncodedPage { bytes: out, mime: "image/png".into(), width: w, height: h, dpi })
}

fn shrink_bilevel(img: &GrayImage, s: f32) -> GrayImage {
    let g = resize_gray(img, s);
    GrayImage::from_fn(g.width(), g.height(), |x, y| Luma([if g.get_pixel(x, y).0[0] < 150 { 0 } else { 255 }]))
}

fn resize_gray(img: &GrayImage, s: f32) -> GrayImage {
    let (w, h) = scaled_dims(img.width(), img.height(), s);
    image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
}

fn resize_rgb(img: &RgbImage, s: f32) -> RgbImage {
    let (w, h) = scaled_dims(img.width(), img.height(), s);
    image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
}

fn scaled_dims(w: u32, h: u32, s: f32) -> (u32, u32) {
    (((w as f32 * s).round() as u32).max(1), ((h as f32 * s).round() as u32).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilevel_png_roundtrips() {
        let img = GrayImage::from_fn(37, 20, |x, y| Luma([if (x + y) % 3 == 0 { 0 } else { 255 }]));
        let e = png_1bit(&img, 300.0).expect("encode");
        let back = image::load_from_memory(&e.bytes).expect("decode").to_luma8();
        assert_eq!(back.as_raw(), img.as_raw());
    }

    #[test]
    fn jpeg_respects_budget() {
        let img = RgbImage::from_fn(1011, 638, |x, y| {
            image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, ((x ^ y) % 256) as u8])
        });
        let opts = EncodeOptions::for_page(Mode::Colour, PaperFormat::Id1);
        let e = encode_page(&Enhanced::Colour(img), 300.0, &opts).expect("encode");
        assert!(e.bytes.len() <= 60_000, "{}", e.bytes.len());
    }
}
