//! A visible watermark burned into shared copies of identity documents, in the manner of the State's
//! FiligraneFacile service: a line such as `COPIE — pour la CAF — 23/11/2026` repeated diagonally over
//! the whole page, semi-transparent, so the copy stays legible but cannot be reused for another
//! purpose. Only the copy is marked; the original in the vault is never touched.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage};

use super::ShareError;

/// Largest image side we decode for watermarking (a phone photo is ~4000 px).
const MAX_SIDE: u32 = 10_000;
/// Ink of the watermark and how strongly it covers the page.
const INK: [f32; 3] = [200.0, 30.0, 30.0];
const OPACITY: f32 = 0.38;
/// Angle of the text lines (radians, rising to the right).
const ANGLE: f32 = -std::f32::consts::FRAC_PI_6; // -30°

/// The watermark text: "COPIE", the purpose or recipient, the date.
pub fn watermark_text(purpose: Option<&str>, date: &str) -> String {
    match purpose.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => format!("COPIE — {} — {date}", truncate(p, 60)),
        None => format!("COPIE — {date}"),
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars { s.to_string() } else { s.chars().take(max_chars - 1).chain(['…']).collect() }
}

/// Burns `text` into an image (JPEG or PNG bytes) and re-encodes it in the same format.
pub fn watermark_image(bytes: &[u8], mime: &str, text: &str) -> Result<Vec<u8>, ShareError> {
    let format = match mime {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        _ => return Err(ShareError::CannotWatermark),
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| ShareError::CannotWatermark)?;
    let mut rgb = img.to_rgb8();
    burn(&mut rgb, text)?;
    let mut out = std::io::Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
            DynamicImage::ImageRgb8(rgb).write_with_encoder(enc).map_err(|_| ShareError::CannotWatermark)?;
        }
        _ => DynamicImage::ImageRgb8(rgb)
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|_| ShareError::CannotWatermark)?,
    }
    Ok(out.into_inner())
}

/// Blends a diagonal, repeated rendering of `text` into `img`.
fn burn(img: &mut RgbImage, text: &str) -> Result<(), ShareError> {
    let font = FontRef::try_from_slice(dejavu::sans::bold()).map_err(|_| ShareError::CannotWatermark)?;
    let (w, h) = img.dimensions();
    // Text height ~1/22 of the page diagonal: readable on a phone, several lines per page.
    let diag = ((w as f32).powi(2) + (h as f32).powi(2)).sqrt();
    let px = (diag / 22.0).clamp(12.0, 400.0);
    let tile = render_tile(&font, PxScale::from(px), text);
    let (tw, th) = tile.dimensions();
    if tw == 0 || th == 0 {
        return Ok(());
    }
    let (sin, cos) = ANGLE.sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    for (x, y, pixel) in img.enumerate_pixels_mut() {
        // Rotate the page coordinates back into the tile's frame; alternate rows shift by half a tile.
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let u = dx * cos + dy * sin;
        let v = -dx * sin + dy * cos;
        let row = (v / th as f32).floor();
        let shift = if (row as i64).rem_euclid(2) == 1 { tw as f32 / 2.0 } else { 0.0 };
        let tu = (u + shift).rem_euclid(tw as f32) as u32;
        let tv = v.rem_euclid(th as f32) as u32;
        let Luma([a]) = *tile.get_pixel(tu.min(tw - 1), tv.min(th - 1));
        if a == 0 {
            continue;
        }
        let alpha = OPACITY * f32::from(a) / 255.0;
        let Rgb(c) = *pixel;
        *pixel = Rgb(std::array::from_fn(|i| (f32::from(c[i]) * (1.0 - alpha) + INK[i] * alpha).round() as u8));
    }
    Ok(())
}

/// One line of text as coverage (0..255), with a gap after it and between lines.
fn render_tile(font: &FontRef<'_>, scale: PxScale, text: &str) -> GrayImage {
    let scaled = font.as_scaled(scale);
    let mut caret = 0.0f32;
    let mut glyphs = Vec::new();
    let mut last = None;
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        if let Some(prev) = last {
            caret += scaled.kern(prev, id);
        }
        glyphs.push(id.with_scale_and_position(scale, ab_glyph::point(caret, scaled.ascent())));
        caret += scaled.h_advance(id);
        last = Some(id);
    }
    let line_h = scaled.height();
    let width = (caret + scale.x * 1.5).ceil().max(1.0) as u32;
    let height = (line_h * 2.2).ceil().max(1.0) as u32;
    let mut tile = GrayImage::new(width, height);
    for g in glyphs {
        if let Some(outlined) = font.outline_glyph(g) {
            let b = outlined.px_bounds();
            outlined.draw(|gx, gy, cov| {
                let x = b.min.x as i64 + i64::from(gx);
                let y = b.min.y as i64 + i64::from(gy);
                if x >= 0 && y >= 0 && (x as u32) < width && (y as u32) < height {
                    let v = (cov.clamp(0.0, 1.0) * 255.0) as u8;
                    let p = tile.get_pixel_mut(x as u32, y as u32);
                    p.0[0] = p.0[0].max(v);
                }
            });
        }
    }
    tile
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn white_png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn watermark_covers_the_whole_page_in_red_ink() {
        let png = white_png(600, 400);
        let marked = watermark_image(&png, "image/png", &watermark_text(Some("CAF"), "23/11/2026")).unwrap();
        let img = image::load_from_memory(&marked).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (600, 400));
        // Ink in every quadrant: the text repeats over the whole page.
        for (qx, qy) in [(0, 0), (300, 0), (0, 200), (300, 200)] {
            let inked = (qx..qx + 300)
                .flat_map(|x| (qy..qy + 200).map(move |y| (x, y)))
                .filter(|&(x, y)| {
                    let p = img.get_pixel(x, y).0;
                    p[0] > 200 && p[1] < 200 && p[2] < 200
                })
                .count();
            assert!(inked > 500, "quadrant ({qx},{qy}) has {inked} inked pixels");
        }
    }

    #[test]
    fn text_names_purpose_and_date() {
        assert_eq!(watermark_text(Some(" pour la CAF "), "01/02/2026"), "COPIE — pour la CAF — 01/02/2026");
        assert_eq!(watermark_text(None, "01/02/2026"), "COPIE — 01/02/2026");
        assert_eq!(watermark_text(Some(&"x".repeat(100)), "d").chars().count(), "COPIE —  — d".chars().count() + 60);
    }

    #[test]
    fn non_images_and_garbage_are_refused() {
        assert!(matches!(watermark_image(b"%PDF-1.7", "application/pdf", "t"), Err(ShareError::CannotWatermark)));
        assert!(matches!(watermark_image(b"not a png", "image/png", "t"), Err(ShareError::CannotWatermark)));
    }
}
