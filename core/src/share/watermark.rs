//! A visible watermark burned into shared copies of identity documents, in the manner of the State's
//! FiligraneFacile service: a line such as `COPIE — pour la CAF — 23/11/2026` repeated diagonally over
//! the whole page, so the copy cannot pass for the original or for a copy made for someone else.
//! Only the copy is marked; the original in the vault is never touched.
//!
//! The mark must not be removable by a recipient who knows how it is made (issue 13, finding 4: a
//! semi-transparent blend of a fixed tile was inverted exactly with a white page marked the same
//! day). So it destroys what it covers: each inked pixel is replaced by noisy ink, never blended,
//! and the edges are dithered rather than anti-aliased; its angle, size, spacing and offset are drawn
//! per copy from the operating system's random source, so no other copy tells where it lies; and it
//! is burned into a copy reduced to what an ID copy needs ([`COPY_LONG_SIDE`]). A visible mark deters
//! reuse; it cannot prevent it (the uncovered pixels stay readable, which is the point of a copy).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage};

use super::ShareError;

/// Largest image side we decode for watermarking (a phone photo is ~4000 px).
const MAX_SIDE: u32 = 10_000;
/// Long side of an identity copy: an ID card or passport page stays readable when printed at A4
/// width, and a recipient gets nothing sharper than that.
pub const COPY_LONG_SIDE: u32 = 1600;
/// Mean ink of the watermark (a dark red), and how far each pixel strays from it.
const INK: [f32; 3] = [180.0, 24.0, 36.0];
const INK_NOISE: f32 = 40.0;

/// The watermark text, from the catalogue: "COPIE", the purpose or recipient, the date. In French
/// for the recipients (French offices) whatever the holder's language; the purpose is the holder's
/// own words, in any script (an Arabic purpose is shaped when burned, see [`watermark_image`]).
pub fn watermark_text(lang: coffre_l10n::Lang, purpose: Option<&str>, date: &str) -> String {
    use coffre_l10n::{Args, t};
    match purpose.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => t(lang, "watermark-copy-for", &Args::new().text("purpose", truncate(p, 60)).text("date", date)),
        None => t(lang, "watermark-copy", &Args::new().text("date", date)),
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars { s.to_string() } else { s.chars().take(max_chars - 1).chain(['…']).collect() }
}

/// Burns `text` into an image (JPEG or PNG bytes), reduced to [`COPY_LONG_SIDE`], and re-encodes it
/// in the same format. Each call draws a new layout: two copies are never marked alike.
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
    let mut rgb = reduced(img.to_rgb8());
    burn(&mut rgb, text, &mut Noise::from_os())?;
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

/// The image with its long side brought down to [`COPY_LONG_SIDE`] (never enlarged).
fn reduced(img: RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    if long <= COPY_LONG_SIDE {
        return img;
    }
    let scale = COPY_LONG_SIDE as f32 / long as f32;
    let (nw, nh) = (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
    image::imageops::resize(&img, nw, nh, image::imageops::FilterType::Triangle)
}

/// Per-copy randomness: a small generator seeded from the operating system's random source. It only
/// has to make each copy's layout and ink unpredictable from any other copy; the pixels it covers
/// carry nothing of the original whatever it draws.
struct Noise(u64);

impl Noise {
    fn from_os() -> Self {
        Self(u64::from_le_bytes(coffre_crypto::random_bytes::<8>()))
    }

    /// splitmix64.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [a, b).
    fn range(&mut self, a: f32, b: f32) -> f32 {
        a + (b - a) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

/// Covers `img` with a diagonal, repeated rendering of `text` in opaque, noisy ink, laid out at
/// random: angle ±(20°–40°), text height, line and word spacing, offset and row shift.
fn burn(img: &mut RgbImage, text: &str, noise: &mut Noise) -> Result<(), ShareError> {
    let font = FontRef::try_from_slice(dejavu::sans::bold()).map_err(|_| ShareError::CannotWatermark)?;
    let (w, h) = img.dimensions();
    // Text height ~1/20–1/26 of the page diagonal: readable on a phone, several lines per page.
    let diag = ((w as f32).powi(2) + (h as f32).powi(2)).sqrt();
    let px = (diag / noise.range(20.0, 26.0)).clamp(12.0, 400.0);
    let (gap, line_spacing) = (noise.range(1.0, 2.0), noise.range(1.9, 2.6));
    let tile = render_tile(&font, PxScale::from(px), text, gap, line_spacing);
    let (tw, th) = tile.dimensions();
    if tw == 0 || th == 0 {
        return Ok(());
    }
    let sign = if noise.next_u64() & 1 == 0 { -1.0 } else { 1.0 };
    let angle = sign * noise.range(20.0, 40.0).to_radians();
    let (sin, cos) = angle.sin_cos();
    let (off_u, off_v) = (noise.range(0.0, tw as f32), noise.range(0.0, th as f32));
    let row_shift = noise.range(0.25, 0.75) * tw as f32;
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    for (x, y, pixel) in img.enumerate_pixels_mut() {
        // Rotate the page coordinates into the tile's frame; odd rows shift along the line.
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let u = dx * cos + dy * sin + off_u;
        let v = -dx * sin + dy * cos + off_v;
        let row = (v / th as f32).floor();
        let shift = if (row as i64).rem_euclid(2) == 1 { row_shift } else { 0.0 };
        let tu = (u + shift).rem_euclid(tw as f32) as u32;
        let tv = v.rem_euclid(th as f32) as u32;
        let Luma([a]) = *tile.get_pixel(tu.min(tw - 1), tv.min(th - 1));
        // Dithered edge: a pixel is either inked whole or left alone, never a blend of both.
        if a == 0 || f32::from(a) / 255.0 < noise.range(0.2, 0.8) {
            continue;
        }
        *pixel = Rgb(std::array::from_fn(|i| (INK[i] + noise.range(-INK_NOISE, INK_NOISE)).clamp(0.0, 255.0) as u8));
    }
    Ok(())
}

/// One line of text as coverage (0..255), followed by `gap` text heights of space, in a tile
/// `line_spacing` lines high. The line is shaped first ([`coffre_l10n::shaping`]): Arabic letters
/// joined and right to left, the rest left to right.
fn render_tile(font: &FontRef<'_>, scale: PxScale, text: &str, gap: f32, line_spacing: f32) -> GrayImage {
    let scaled = font.as_scaled(scale);
    let unit = scaled.h_scale_factor();
    let mut caret = 0.0f32;
    let mut glyphs = Vec::new();
    let shaped = coffre_l10n::shaping::shape_line(dejavu::sans::bold(), text, coffre_l10n::Direction::LeftToRight);
    for g in shaped.map(|l| l.glyphs).unwrap_or_default() {
        let x = caret + g.x_offset as f32 * unit;
        let y = scaled.ascent() - g.y_offset as f32 * unit;
        glyphs.push(ab_glyph::GlyphId(g.id).with_scale_and_position(scale, ab_glyph::point(x, y)));
        caret += g.x_advance as f32 * unit;
    }
    let line_h = scaled.height();
    let width = (caret + scale.x * gap).ceil().max(1.0) as u32;
    let height = (line_h * line_spacing).ceil().max(1.0) as u32;
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
    use coffre_l10n::Lang;

    fn white_png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn watermark_covers_the_whole_page_in_red_ink() {
        let png = white_png(600, 400);
        let marked = watermark_image(&png, "image/png", &watermark_text(Lang::Fr, Some("CAF"), "23/11/2026")).unwrap();
        let img = image::load_from_memory(&marked).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (600, 400));
        // Ink in every quadrant: the text repeats over the whole page.
        for (qx, qy) in [(0, 0), (300, 0), (0, 200), (300, 200)] {
            let inked = (qx..qx + 300)
                .flat_map(|x| (qy..qy + 200).map(move |y| (x, y)))
                .filter(|&(x, y)| {
                    let p = img.get_pixel(x, y).0;
                    p[0] > 100 && p[1] < 100 && p[2] < 100
                })
                .count();
            assert!(inked > 500, "quadrant ({qx},{qy}) has {inked} inked pixels");
        }
    }

    fn marked_white(w: u32, h: u32) -> RgbImage {
        let png = white_png(w, h);
        image::load_from_memory(&watermark_image(&png, "image/png", "COPIE — pour la CAF — 23/11/2026").unwrap())
            .unwrap()
            .to_rgb8()
    }

    #[test]
    fn every_marked_pixel_is_ink_never_a_blend_of_page_and_ink() {
        let img = marked_white(800, 500);
        let (mut inked, mut blended) = (0, 0);
        for p in img.pixels() {
            match p.0 {
                [255, 255, 255] => {}
                [_, g, b] if g < 70 && b < 80 => inked += 1,
                _ => blended += 1,
            }
        }
        assert!(inked > 800 * 500 / 20, "only {inked} inked pixels");
        assert_eq!(blended, 0, "pixels mixing page and ink leak the page under the mark");
    }

    #[test]
    fn two_copies_are_marked_differently() {
        let (a, b) = (marked_white(800, 500), marked_white(800, 500));
        let ink = |p: &Rgb<u8>| p.0 != [255, 255, 255];
        let in_a = a.pixels().filter(|p| ink(p)).count();
        let in_both = a.pixels().zip(b.pixels()).filter(|(p, q)| ink(p) && ink(q)).count();
        // Independent layouts overlap about as much as the ink density (~20 %), far from 100 %.
        assert!(in_both * 2 < in_a, "{in_both} of {in_a} inked pixels are at the same place in both copies");
        let same_colour = a.pixels().zip(b.pixels()).filter(|(p, q)| ink(p) && p == q).count();
        assert!(same_colour * 10 < in_a, "the ink is not noisy: {same_colour} of {in_a} identical");
    }

    #[test]
    fn copies_are_reduced_to_what_an_id_copy_needs() {
        assert_eq!(marked_white(3200, 2000).dimensions(), (1600, 1000));
        assert_eq!(marked_white(1000, 4000).dimensions(), (400, 1600));
        assert_eq!(marked_white(600, 400).dimensions(), (600, 400), "never enlarged");
    }

    #[test]
    fn text_names_purpose_and_date() {
        assert_eq!(watermark_text(Lang::Fr, Some(" pour la CAF "), "01/02/2026"), "COPIE — pour la CAF — 01/02/2026");
        assert_eq!(watermark_text(Lang::Fr, None, "01/02/2026"), "COPIE — 01/02/2026");
        assert_eq!(watermark_text(Lang::En, None, "01/02/2026"), "COPY — 01/02/2026");
        assert_eq!(
            watermark_text(Lang::Fr, Some(&"x".repeat(100)), "d").chars().count(),
            "COPIE —  — d".chars().count() + 60
        );
    }

    /// The line as the watermark draws it: glyph ids left to right, read back from the tile's
    /// columns of ink. Compared with the same shaper's output and with the letters drawn one by one.
    fn ink_columns(tile: &GrayImage) -> Vec<bool> {
        (0..tile.width()).map(|x| (0..tile.height()).any(|y| tile.get_pixel(x, y).0[0] > 127)).collect()
    }

    #[test]
    fn an_arabic_purpose_is_shaped_joined_and_right_to_left() {
        let font = FontRef::try_from_slice(dejavu::sans::bold()).unwrap();
        let scale = PxScale::from(48.0);
        let purpose = "مركز الإيواء";
        let tile = render_tile(&font, scale, purpose, 0.0, 1.0);
        // What the same shaper gives, drawn glyph by glyph: the tile is exactly that.
        let line = coffre_l10n::shaping::shape_line(dejavu::sans::bold(), purpose, coffre_l10n::Direction::LeftToRight)
            .unwrap();
        let face_ids: Vec<u16> = purpose.chars().filter(|c| !c.is_whitespace()).map(|c| font.glyph_id(c).0).collect();
        let shaped_ids: Vec<u16> = line.glyphs.iter().filter(|g| g.text != " ").map(|g| g.id).collect();
        assert_ne!(shaped_ids, face_ids, "letters joined: their glyphs are the joined forms");
        let reversed: Vec<u16> = face_ids.iter().rev().copied().collect();
        assert_ne!(shaped_ids, reversed, "not merely reversed isolated letters");
        // The old drawing (each letter's own glyph, in typing order) leaves a gap after every
        // letter; joined letters touch: fewer separate pieces of ink.
        let scaled = font.as_scaled(scale);
        let mut naive = GrayImage::new(tile.width() * 2, tile.height());
        let mut caret = 0.0;
        for c in purpose.chars() {
            let g = font.glyph_id(c).with_scale_and_position(scale, ab_glyph::point(caret, scaled.ascent()));
            caret += scaled.h_advance(font.glyph_id(c));
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|x, y, cov| {
                    let (x, y) = (b.min.x as u32 + x, b.min.y as u32 + y);
                    if x < naive.width() && y < naive.height() && cov > 0.5 {
                        naive.put_pixel(x, y, Luma([255]));
                    }
                });
            }
        }
        let pieces = |cols: Vec<bool>| cols.windows(2).filter(|w| !w[0] && w[1]).count();
        let (shaped_pieces, naive_pieces) = (pieces(ink_columns(&tile)), pieces(ink_columns(&naive)));
        assert!(shaped_pieces < naive_pieces, "shaped {shaped_pieces} pieces, letter by letter {naive_pieces}");
        let logical: String = line.glyphs.iter().rev().map(|g| g.text.as_str()).collect();
        assert_eq!(logical, purpose, "right to left on the page");
    }

    #[test]
    fn non_images_and_garbage_are_refused() {
        assert!(matches!(watermark_image(b"%PDF-1.7", "application/pdf", "t"), Err(ShareError::CannotWatermark)));
        assert!(matches!(watermark_image(b"not a png", "image/png", "t"), Err(ShareError::CannotWatermark)));
    }
}
