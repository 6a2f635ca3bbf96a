//! Is the page worth keeping? Sharpness of the deskewed page and ink left after enhancement, so that a
//! blurred photo is refused with advice instead of being stored as a blank white page.
//!
//! Sharpness is the width of the page's edges: a step of contrast `C` blurred by a Gaussian of
//! width `σ` has a steepest slope of `C / (σ √(2π))`, so `σ ≈ C / (√(2π) · slope)`. Each pixel
//! near an edge compares its Sobel slope with the contrast around it (local max − min), so
//! shadows, lighting and faint print do not matter; the page's value is a high percentile of that
//! ratio (the edges' peaks). It is measured at a fixed resolution of the paper
//! ([`MEASURE_DPI`]) and reported in millimetres of paper, i.e. against the size of printed text,
//! whatever the camera's resolution.

use image::{GrayImage, RgbImage};
use serde::{Deserialize, Serialize};

use crate::enhance::Enhanced;

/// Resolution at which sharpness is measured, in dots per inch of the paper (≈ 4 px per mm):
/// area averaging down to it also averages out sensor noise.
pub const MEASURE_DPI: f32 = 100.0;
/// Blur (Gaussian width, millimetres of paper) from which a page is refused: 10-point body text
/// (x-height ≈ 1.6 mm) is no longer readable.
/// The sharp fixtures measure at most 0.53 mm (`tests/quality.rs`), text photographed with 0.8 mm
/// of blur no longer reads (OCR error above 30 %, docs/capture.md).
pub const BLUR_REFUSE_MM: f32 = 0.7;
/// Blur from which the person is warned (the page is kept): small print gets soft.
pub const BLUR_WARN_MM: f32 = 0.6;
/// Blur (pixels of a preview frame) above which auto-capture waits: the phone is moving or not
/// focused yet. Sharp 640×480 previews measure about 1 px.
pub const PREVIEW_BLUR_PX: f32 = 2.0;
/// Fraction of ink pixels below which an enhanced page counts as empty.
pub const BLANK_INK: f32 = 0.0015;
/// Margin left out of the measurement (fraction of each side): a sliver of background or the
/// paper's own edge can remain after deskewing.
const MARGIN: f32 = 0.03;

/// What the quality check found on one page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageQuality {
    /// Estimated blur (Gaussian width) in millimetres of paper; 0 = crisp.
    pub blur_mm: f32,
    /// Fraction of the enhanced page that is ink (dark pixels).
    pub ink: f32,
}

/// A problem worth telling the person about, while keeping the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QualityWarning {
    /// The page is soft: readable, but a steadier photo would be better.
    SlightlyBlurred,
    /// The corners were found with a confidence below `CONFIDENT`: the app shows them for the
    /// person to check and adjust.
    CheckCorners,
}

impl QualityWarning {
    /// Advice for the person, French first.
    pub fn advice_fr(self) -> &'static str {
        match self {
            QualityWarning::SlightlyBlurred => {
                "La photo est un peu floue. Si le texte est difficile à lire, reprenez-la en tenant le téléphone immobile."
            }
            QualityWarning::CheckCorners => {
                "Les bords du document ne sont pas sûrs. Vérifiez la page, et si elle est coupée, indiquez les coins."
            }
        }
    }

    /// The same advice in English.
    pub fn advice_en(self) -> &'static str {
        match self {
            QualityWarning::SlightlyBlurred => {
                "The photo is slightly blurred. If the text is hard to read, retake it holding the phone still."
            }
            QualityWarning::CheckCorners => {
                "The document's edges are uncertain. Check the page, and if it is cut, give the corners."
            }
        }
    }
}

/// Estimated blur, in millimetres of paper, of a deskewed page whose resolution is `dpi`; `None`
/// when the page has no edge at all (nothing printed on it).
pub fn blur_mm(page: &RgbImage, dpi: f32) -> Option<f32> {
    let scale = (MEASURE_DPI / dpi.max(1.0)).min(1.0);
    let (w, h) = page.dimensions();
    let (sw, sh) = (((w as f32 * scale).round() as u32).max(16), ((h as f32 * scale).round() as u32).max(16));
    let small = image::imageops::thumbnail(page, sw, sh);
    let luma = image::imageops::grayscale(&small);
    let px_per_mm = dpi.max(1.0) * scale / 25.4;
    blur_px(&luma).map(|b| b / px_per_mm)
}

/// Estimated blur (Gaussian width in pixels) of a grey image; `None` when it has no edge at all.
pub fn blur_px(luma: &GrayImage) -> Option<f32> {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let (mx, my) = ((w as f32 * MARGIN) as usize + 1, (h as f32 * MARGIN) as usize + 1);
    if w <= 2 * mx + 2 || h <= 2 * my + 2 {
        return None;
    }
    let raw = luma.as_raw();
    let at = |x: usize, y: usize| i32::from(raw[y * w + x]);
    let (lo, hi) = local_range(raw, w, h);
    // Steepest slope of each edge against the contrast around it: 1 / (σ √(2π)) for a blurred step.
    let mut ratios = [0u32; 256];
    for y in my..h - my {
        for x in mx..w - mx {
            let range = i32::from(hi[y * w + x]) - i32::from(lo[y * w + x]);
            if range < MIN_EDGE {
                continue;
            }
            let gx = (at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2 * at(x - 1, y) + at(x - 1, y + 1));
            let gy = (at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2 * at(x, y - 1) + at(x + 1, y - 1));
            let slope = (gx as f32).hypot(gy as f32) / 8.0;
            ratios[((slope / range as f32) * 255.0).round().min(255.0) as usize] += 1;
        }
    }
    if ratios.iter().all(|&n| n == 0) {
        return None;
    }
    let ratio = percentile(&ratios, EDGE_PERCENTILE) / 255.0;
    Some(1.0 / (ratio.max(1e-3) * (2.0 * std::f32::consts::PI).sqrt()))
}

/// Smallest local contrast (grey levels) that counts as an edge rather than noise or texture.
const MIN_EDGE: i32 = 24;
/// Half-width of the window the local contrast is taken over (pixels at [`MEASURE_DPI`]): wide
/// enough to see both sides of an edge blurred up to the refusal threshold.
const WINDOW: usize = 7;
/// Which slope-to-contrast ratio stands for the page: the peaks of edges are a small share of the
/// pixels near an edge.
const EDGE_PERCENTILE: f32 = 0.95;

/// Minimum and maximum over a (2·WINDOW+1)² square around each pixel (separable passes).
fn local_range(raw: &[u8], w: usize, h: usize) -> (Vec<u8>, Vec<u8>) {
    let pass = |src: &[u8], horizontal: bool, take_max: bool| -> Vec<u8> {
        let mut out = vec![0u8; src.len()];
        for y in 0..h {
            for x in 0..w {
                let (a, b) = if horizontal {
                    (x.saturating_sub(WINDOW), (x + WINDOW).min(w - 1))
                } else {
                    (y.saturating_sub(WINDOW), (y + WINDOW).min(h - 1))
                };
                let mut v = if take_max { 0 } else { 255 };
                for k in a..=b {
                    let p = if horizontal { src[y * w + k] } else { src[k * w + x] };
                    v = if take_max { v.max(p) } else { v.min(p) };
                }
                out[y * w + x] = v;
            }
        }
        out
    };
    let lo = pass(&pass(raw, true, false), false, false);
    let hi = pass(&pass(raw, true, true), false, true);
    (lo, hi)
}

fn percentile(hist: &[u32; 256], q: f32) -> f32 {
    let total: u64 = hist.iter().map(|&n| u64::from(n)).sum();
    let target = (total as f32 * q) as u64;
    let mut acc = 0u64;
    for (v, &n) in hist.iter().enumerate() {
        acc += u64::from(n);
        if acc > target {
            return v as f32;
        }
    }
    255.0
}

/// Fraction of ink in an enhanced page (dark pixels of its luma), on a coarse grid of samples.
pub fn ink_fraction(page: &Enhanced) -> f32 {
    let (w, h) = page.dimensions();
    let step = ((w.max(h) / 1200).max(1)) as usize;
    let dark = |v: u8| v < 128;
    let (mut ink, mut n) = (0u64, 0u64);
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            let v = match page {
                Enhanced::Colour(i) => {
                    let p = i.get_pixel(x, y).0;
                    ((u16::from(p[0]) * 77 + u16::from(p[1]) * 150 + u16::from(p[2]) * 29) >> 8) as u8
                }
                Enhanced::Grey(i) | Enhanced::Text(i) => i.get_pixel(x, y).0[0],
            };
            ink += u64::from(dark(v));
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { ink as f32 / n as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, Rgb};

    fn text_like(sigma: f32) -> GrayImage {
        let img = RgbImage::from_fn(800, 1100, |x, y| {
            let ink = (y % 24) < 10 && (x % 9) < 3 && x > 60 && x < 740 && y > 80 && y < 1000;
            if ink { Rgb([30, 30, 30]) } else { Rgb([235, 235, 230]) }
        });
        let img = if sigma > 0.0 { imageproc::filter::gaussian_blur_f32(&img, sigma) } else { img };
        image::imageops::grayscale(&img)
    }

    #[test]
    fn blur_estimate_follows_the_blur() {
        let est = |sigma: f32| blur_px(&text_like(sigma)).expect("edges");
        let (sharp, soft, blurred) = (est(0.0), est(1.5), est(3.0));
        assert!(sharp < 1.0, "sharp {sharp}");
        assert!(sharp < soft && soft < blurred, "{sharp} {soft} {blurred}");
        assert!((soft - 1.5).abs() < 0.6 && (blurred - 3.0).abs() < 1.0, "{soft} {blurred}");
        assert_eq!(blur_px(&GrayImage::from_pixel(300, 300, Luma([200]))), None);
    }

    #[test]
    fn ink_of_blank_and_written_pages() {
        let blank = Enhanced::Text(GrayImage::from_pixel(400, 500, Luma([255])));
        assert_eq!(ink_fraction(&blank), 0.0);
        let written = Enhanced::Text(text_like(0.0));
        assert!(ink_fraction(&written) > 0.05);
    }
}
