//! Reading orientation of a deskewed page, without OCR (no tesseract on a phone).
//!
//! The deskewed page's top-left corner is the one nearest the photo's top-left, so a page
//! photographed sideways or upside down comes out that way. Two questions, answered on an ink
//! mask at about 100 dpi:
//! 1. **Which axis do the text lines follow?** A known format decides first (an A4 or Letter page
//!    is portrait, an ID-1 card landscape, a long strip such as a receipt is read along its
//!    length); otherwise the projection profile across text lines alternates line/gap sharply and
//!    the one along them does not.
//! 2. **Which way up?** Latin text has more ink *above* its x-height band (capitals, b d f h k l t,
//!    accents) than below it (g j p q y); lines are aligned on the left and ragged on the right;
//!    a letter's header and a card's coloured band are at the top. The three cues vote.

use image::{GrayImage, RgbImage, imageops};

use crate::deskew::PaperFormat;

/// How to turn a deskewed page so that it reads upright.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rotation {
    /// Already upright.
    #[default]
    None,
    /// Turn 90° clockwise.
    Cw90,
    /// Turn 180°.
    Cw180,
    /// Turn 270° clockwise (90° counter-clockwise).
    Cw270,
}

impl Rotation {
    /// From degrees clockwise (0, 90, 180, 270); `None` for any other angle.
    pub fn from_degrees(deg: u32) -> Option<Self> {
        match deg % 360 {
            0 => Some(Rotation::None),
            90 => Some(Rotation::Cw90),
            180 => Some(Rotation::Cw180),
            270 => Some(Rotation::Cw270),
            _ => None,
        }
    }

    /// Degrees clockwise.
    pub fn degrees(self) -> u32 {
        self.quarter_turns() * 90
    }

    fn quarter_turns(self) -> u32 {
        match self {
            Rotation::None => 0,
            Rotation::Cw90 => 1,
            Rotation::Cw180 => 2,
            Rotation::Cw270 => 3,
        }
    }

    fn from_quarter_turns(q: u32) -> Self {
        [Rotation::None, Rotation::Cw90, Rotation::Cw180, Rotation::Cw270][(q % 4) as usize]
    }

    /// This rotation followed by `then`.
    pub fn then(self, then: Rotation) -> Rotation {
        Rotation::from_quarter_turns(self.quarter_turns() + then.quarter_turns())
    }

    /// Applies the rotation to an RGB image.
    pub fn apply(self, img: &RgbImage) -> RgbImage {
        match self {
            Rotation::None => img.clone(),
            Rotation::Cw90 => imageops::rotate90(img),
            Rotation::Cw180 => imageops::rotate180(img),
            Rotation::Cw270 => imageops::rotate270(img),
        }
    }

    /// Applies the rotation to a grey image.
    pub fn apply_gray(self, img: &GrayImage) -> GrayImage {
        match self {
            Rotation::None => img.clone(),
            Rotation::Cw90 => imageops::rotate90(img),
            Rotation::Cw180 => imageops::rotate180(img),
            Rotation::Cw270 => imageops::rotate270(img),
        }
    }
}

/// The detected orientation and how sure the vote was (0 = a coin toss, 1 = every cue agrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orientation {
    /// Rotation that makes the page upright.
    pub rotation: Rotation,
    /// Margin of the up/down vote in `[0, 1]`.
    pub confidence: f32,
}

/// Long side of the ink mask (≈ 100 dpi on an A4 page, full resolution on a card at 300 dpi).
const MASK_LONG_SIDE: u32 = 1200;

/// Detects the reading orientation of a deskewed page.
pub fn detect_orientation(page: &RgbImage, format: PaperFormat) -> Orientation {
    let (w, h) = page.dimensions();
    let k = (MASK_LONG_SIDE as f32 / w.max(h) as f32).min(1.0);
    let small = imageops::thumbnail(page, ((w as f32 * k) as u32).max(8), ((h as f32 * k) as u32).max(8));
    let luma = GrayImage::from_fn(small.width(), small.height(), |x, y| {
        let p = small.get_pixel(x, y).0;
        image::Luma([(0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) as u8])
    });
    let ink = ink_mask(&luma);
    let landscape = w > h;
    // Axis: the format's natural shape when known, else the profiles.
    let sideways = match format {
        PaperFormat::A4 | PaperFormat::Letter => landscape,
        PaperFormat::Id1 => !landscape,
        // Long strips (receipts, tickets) are read along their length: monospaced columns would
        // make the profile along the lines alternate too.
        PaperFormat::Other if w.max(h) as f32 >= 1.3 * w.min(h) as f32 => landscape,
        PaperFormat::Other => {
            let rows = alternation(&profile(&ink, true));
            let cols = alternation(&profile(&ink, false));
            cols > rows * 1.1
        }
    };
    let base = if sideways { Rotation::Cw90 } else { Rotation::None };
    let (ink_b, luma_b) = (base.apply_gray(&ink), base.apply_gray(&luma));
    let vote = upright_vote(&ink_b, &luma_b, format);
    let rotation = if vote >= 0.0 { base } else { base.then(Rotation::Cw180) };
    Orientation { rotation, confidence: vote.abs().min(1.0) }
}

/// Ink pixels (255): darker than 80 % of the mean of their 31 × 31 neighbourhood.
fn ink_mask(luma: &GrayImage) -> GrayImage {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(luma.get_pixel(x as u32, y as u32).0[0]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let r = 15usize;
    GrayImage::from_fn(w as u32, h as u32, |x, y| {
        let (x, y) = (x as usize, y as usize);
        let (x0, y0, x1, y1) = (x.saturating_sub(r), y.saturating_sub(r), (x + r + 1).min(w), (y + r + 1).min(h));
        let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
            - integral[y0 * (w + 1) + x1]
            - integral[y1 * (w + 1) + x0];
        let mean = sum as f32 / ((x1 - x0) * (y1 - y0)) as f32;
        let v = f32::from(luma.get_pixel(x as u32, y as u32).0[0]);
        image::Luma([if v < 0.8 * mean { 255 } else { 0 }])
    })
}

/// Ink per row (`rows`) or per column, as fractions of the line length.
fn profile(ink: &GrayImage, rows: bool) -> Vec<f32> {
    let (w, h) = ink.dimensions();
    let (n, len) = if rows { (h, w) } else { (w, h) };
    (0..n)
        .map(|i| {
            let c = (0..len)
                .filter(|&j| {
                    let (x, y) = if rows { (j, i) } else { (i, j) };
                    ink.get_pixel(x, y).0[0] > 0
                })
                .count();
            c as f32 / len.max(1) as f32
        })
        .collect()
}

/// How sharply a profile alternates: total variation over total mass (text lines across the
/// profile give high values, the same text along it low ones).
fn alternation(p: &[f32]) -> f32 {
    let mass: f32 = p.iter().sum();
    let tv: f32 = p.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
    if mass <= 0.0 { 0.0 } else { tv / mass }
}

/// Positive when the page (text lines horizontal) reads upright, negative when upside down.
fn upright_vote(ink: &GrayImage, luma: &GrayImage, format: PaperFormat) -> f32 {
    let rows = profile(ink, true);
    let lines = text_lines(&rows);
    // 1. Ascenders against descenders.
    let (mut above, mut below) = (0.0f32, 0.0f32);
    for &(y0, y1) in &lines {
        let peak = rows[y0..y1].iter().copied().fold(0.0, f32::max);
        let core: Vec<usize> = (y0..y1).filter(|&y| rows[y] >= 0.5 * peak).collect();
        let (Some(&c0), Some(&c1)) = (core.first(), core.last()) else { continue };
        above += rows[y0..c0].iter().sum::<f32>();
        below += rows[c1 + 1..y1].iter().sum::<f32>();
    }
    let ascenders = if above + below > 0.0 { (above - below) / (above + below) } else { 0.0 };
    // 2. Left-aligned, ragged-right lines.
    let (w, _) = ink.dimensions();
    let (mut starts, mut ends) = (Vec::new(), Vec::new());
    for &(y0, y1) in &lines {
        let cols: Vec<u32> = (0..w).filter(|&x| (y0..y1).any(|y| ink.get_pixel(x, y as u32).0[0] > 0)).collect();
        if let (Some(&a), Some(&b)) = (cols.first(), cols.last()) {
            starts.push(a as f32);
            ends.push(b as f32);
        }
    }
    let (ss, se) = (spread(&starts), spread(&ends));
    let alignment = if ss + se > 0.0 { (se - ss) / (se + ss) } else { 0.0 };
    // 3. Heavier top: a letter's header, a receipt's lines (ink in the top and bottom 20 %), a
    //    card's coloured band (mean darkness there).
    let band = |from: u32, to: u32| {
        let mut s = 0.0f64;
        for y in from..to {
            for x in 0..luma.width() {
                s += f64::from(255 - luma.get_pixel(x, y).0[0]);
            }
        }
        s / f64::from((to - from).max(1) * luma.width().max(1))
    };
    let hgt = luma.height();
    let (top, bottom) = if format == PaperFormat::Id1 {
        (band(0, hgt / 5), band(hgt - hgt / 5, hgt))
    } else {
        // Ink, not darkness: a light gradient across a page must not count.
        let n = rows.len() / 5;
        let sum = |r: &[f32]| f64::from(r.iter().sum::<f32>());
        (sum(&rows[..n]), sum(&rows[rows.len() - n..]))
    };
    let heavier_top = if top + bottom > 0.0 { ((top - bottom) / (top + bottom)) as f32 } else { 0.0 };
    // Receipts are in capitals and digits (few ascenders): their heavy top (lines printed from
    // the top, blank paper at the bottom) decides.
    let band_weight = if format == PaperFormat::Other { 2.5 } else { 1.0 };
    let n_lines = lines.len().min(8) as f32 / 8.0;
    (1.5 * ascenders + 0.6 * alignment) * n_lines + band_weight * heavier_top
}

/// Runs of rows with ink, at least 4 rows tall: (first row, one past the last).
fn text_lines(rows: &[f32]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (y, &v) in rows.iter().chain(std::iter::once(&0.0)).enumerate() {
        match (start, v > 0.004) {
            (None, true) => start = Some(y),
            (Some(s), false) => {
                if y - s >= 4 && y - s <= 80 {
                    out.push((s, y));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Median absolute deviation from the median.
fn spread(v: &[f32]) -> f32 {
    if v.len() < 3 {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let m = s[s.len() / 2];
    let mut d: Vec<f32> = s.iter().map(|x| (x - m).abs()).collect();
    d.sort_by(f32::total_cmp);
    d[d.len() / 2]
}

/// Turns a stored page (the bytes the vault keeps: a 1-bit PNG text page, a JPEG colour or grey
/// page, or any PNG/JPEG/WebP) and encodes it again in the same kind: bilevel pages stay lossless
/// 1-bit PNG (their resolution kept), other PNGs stay lossless PNG, JPEGs are re-encoded at
/// quality 92 within 110 % of their size (one generation of JPEG loss).
pub fn rotate_encoded(bytes: &[u8], rotation: Rotation) -> crate::Result<crate::EncodedPage> {
    use crate::error::CaptureError;
    let img = crate::decode::decode(bytes)?;
    let turned = rotation.apply(&img);
    let (w, h) = turned.dimensions();
    match image::guess_format(bytes) {
        Ok(image::ImageFormat::Png) => {
            let dpi = png_dpi(bytes).unwrap_or(300.0);
            let bilevel = turned.pixels().all(|p| p.0.iter().all(|&c| c == 0 || c == 255) && p.0[0] == p.0[1]);
            if bilevel {
                let grey = image::imageops::grayscale(&turned);
                return crate::encode::encode_page(
                    &crate::Enhanced::Text(grey),
                    dpi,
                    &crate::EncodeOptions { max_bytes: usize::MAX, jpeg_quality: 92, min_jpeg_quality: 45 },
                );
            }
            let mut out = Vec::new();
            turned
                .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
                .map_err(|e| CaptureError::Encode(e.to_string()))?;
            Ok(crate::EncodedPage { bytes: out, mime: "image/png".into(), width: w, height: h, dpi })
        }
        _ => {
            let grey = turned.pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]);
            let page = if grey {
                crate::Enhanced::Grey(image::imageops::grayscale(&turned))
            } else {
                crate::Enhanced::Colour(turned)
            };
            let budget = bytes.len() + bytes.len() / 10 + 4096;
            crate::encode::encode_page(
                &page,
                0.0,
                &crate::EncodeOptions { max_bytes: budget, jpeg_quality: 92, min_jpeg_quality: 45 },
            )
        }
    }
}

/// Resolution recorded in a PNG's `pHYs` chunk (dots per inch), if any.
fn png_dpi(bytes: &[u8]) -> Option<f32> {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().ok()?;
    let dims = reader.info().pixel_dims?;
    (dims.unit == png::Unit::Meter && dims.xppu > 0).then(|| (dims.xppu as f32 * 0.0254).round())
}
