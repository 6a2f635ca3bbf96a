//! Lighting correction that keeps colours: for identity documents.
//!
//! The page flattening of `enhance` divides every block by its own paper colour, which is right for
//! a letter (white paper everywhere, shadows in any shape) but wrong for a card whose photo is a
//! large dark area: the face is taken for a shadow and comes out light, with a halo around it
//! (issue 15: a dark face went from RGB (91, 71, 60) to (194, 154, 119)). Here the light falling
//! on the card is modelled as a *smooth* surface — a quadratic in x and y of the card background's
//! brightness, fitted robustly so that dark content (face, header band, text) is left out of the
//! fit — and the page is multiplied by one gain per pixel so that the whole card is lit like its
//! brightest part. A quadratic cannot follow the outline of a face, so no halo can appear, and an
//! evenly lit card keeps its colours (gain 1). The price: a sharp cast shadow across a card is
//! only softened, not removed (see docs/capture.md).

use image::{GrayImage, RgbImage};

/// Gain field of a card: multiply a pixel's channels by `gain(x, y)` to light it evenly.
pub(crate) struct LightField {
    coef: [f64; 6],
    w: f64,
    h: f64,
    top: f64,
}

/// Largest brightening applied anywhere (a darker area is content, not shade).
const MAX_GAIN: f64 = 1.8;

impl LightField {
    /// Fits the card background's brightness on `page` (a deskewed card).
    pub(crate) fn fit(page: &RgbImage) -> Self {
        let (w, h) = page.dimensions();
        let cells = 16u32;
        let bs = (w.max(h) / cells).max(2);
        let (gw, gh) = (w.div_ceil(bs), h.div_ceil(bs));
        // Per block: the 75th percentile of luma (the background between text strokes).
        let mut samples: Vec<(f64, f64, f64)> = Vec::new();
        let step = (bs / 12).max(1) as usize;
        let mut vals = Vec::new();
        for gy in 0..gh {
            for gx in 0..gw {
                vals.clear();
                let (x0, y0) = (gx * bs, gy * bs);
                for y in (y0..(y0 + bs).min(h)).step_by(step) {
                    for x in (x0..(x0 + bs).min(w)).step_by(step) {
                        let p = page.get_pixel(x, y).0;
                        vals.push(0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]));
                    }
                }
                if vals.is_empty() {
                    continue;
                }
                vals.sort_by(f64::total_cmp);
                let v = vals[(vals.len() * 3 / 4).min(vals.len() - 1)];
                let (cx, cy) = (
                    (f64::from(x0) + f64::from(bs) / 2.0) / f64::from(w),
                    (f64::from(y0) + f64::from(bs) / 2.0) / f64::from(h),
                );
                samples.push((cx, cy, v));
            }
        }
        // Robust fit: start from every block, then keep only the blocks near the surface or above
        // it (content is darker than the light, never brighter).
        let mut keep: Vec<bool> = vec![true; samples.len()];
        let mut coef = [samples.iter().map(|s| s.2).fold(0.0, f64::max), 0.0, 0.0, 0.0, 0.0, 0.0];
        for round in 0..6 {
            if let Some(c) = least_squares(&samples, &keep) {
                coef = c;
            }
            let tol = if round < 2 { 0.15 } else { 0.07 };
            for (k, s) in keep.iter_mut().zip(&samples) {
                let f = eval(&coef, s.0, s.1).max(1.0);
                *k = s.2 >= f * (1.0 - tol);
            }
            if keep.iter().filter(|k| **k).count() < 6 {
                keep.iter_mut().for_each(|k| *k = true);
                break;
            }
        }
        // The brightest lit part of the card keeps its colours.
        let mut top = 1.0f64;
        for gy in 0..=8 {
            for gx in 0..=8 {
                top = top.max(eval(&coef, f64::from(gx) / 8.0, f64::from(gy) / 8.0));
            }
        }
        Self { coef, w: f64::from(w), h: f64::from(h), top: top.min(255.0) }
    }

    /// Brightness of the card background where it is best lit.
    pub(crate) fn top(&self) -> f32 {
        self.top as f32
    }

    /// Gain at pixel `(x, y)`, in `[1, MAX_GAIN]`.
    pub(crate) fn gain(&self, x: u32, y: u32) -> f32 {
        let l = eval(&self.coef, (f64::from(x) + 0.5) / self.w, (f64::from(y) + 0.5) / self.h);
        (self.top / l.max(1.0)).clamp(1.0, MAX_GAIN) as f32
    }

    /// The card lit evenly, colours kept.
    pub(crate) fn apply_rgb(&self, page: &RgbImage) -> RgbImage {
        let mut out = page.clone();
        for (x, y, p) in out.enumerate_pixels_mut() {
            let g = self.gain(x, y);
            p.0 = p.0.map(|c| (f32::from(c) * g).round().min(255.0) as u8);
        }
        out
    }

    /// Luma of the card lit evenly, scaled so that the card background is `white`.
    pub(crate) fn apply_luma(&self, page: &RgbImage, white: f32) -> GrayImage {
        let k = white / self.top as f32;
        GrayImage::from_fn(page.width(), page.height(), |x, y| {
            let p = page.get_pixel(x, y).0;
            let l = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
            image::Luma([(l * self.gain(x, y) * k).round().clamp(0.0, 255.0) as u8])
        })
    }
}

fn terms(x: f64, y: f64) -> [f64; 6] {
    [1.0, x, y, x * x, y * y, x * y]
}

fn eval(c: &[f64; 6], x: f64, y: f64) -> f64 {
    terms(x, y).iter().zip(c).map(|(t, k)| t * k).sum()
}

/// Least-squares quadratic through the kept samples (normal equations, Gaussian elimination).
fn least_squares(samples: &[(f64, f64, f64)], keep: &[bool]) -> Option<[f64; 6]> {
    let mut a = [[0.0f64; 7]; 6];
    let mut n = 0;
    for (s, _) in samples.iter().zip(keep).filter(|(_, k)| **k) {
        let t = terms(s.0, s.1);
        for i in 0..6 {
            for j in 0..6 {
                a[i][j] += t[i] * t[j];
            }
            a[i][6] += t[i] * s.2;
        }
        n += 1;
    }
    if n < 6 {
        return None;
    }
    for i in 0..6 {
        a[i][i] += 1e-6; // keeps a degenerate layout (one row of blocks) solvable
    }
    for col in 0..6 {
        let piv = (col..6).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        for r in 0..6 {
            if r != col {
                let f = a[r][col] / a[col][col];
                for c in col..7 {
                    a[r][c] -= f * a[col][c];
                }
            }
        }
    }
    Some(std::array::from_fn(|i| a[i][6] / a[i][i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn an_evenly_lit_card_keeps_its_dark_photo() {
        // Pale card with a large dark square (a photo): nothing to correct.
        let card = RgbImage::from_fn(320, 200, |x, y| {
            if (20..120).contains(&x) && (40..180).contains(&y) { Rgb([91, 71, 60]) } else { Rgb([214, 228, 240]) }
        });
        let out = LightField::fit(&card).apply_rgb(&card);
        assert_eq!(out.get_pixel(70, 110).0, [91, 71, 60]);
        assert_eq!(out.get_pixel(250, 100).0, [214, 228, 240]);
    }

    #[test]
    fn a_light_gradient_is_evened_out() {
        let card = RgbImage::from_fn(320, 200, |x, y| {
            let k = 1.0 - 0.3 * x as f32 / 320.0;
            let c = if (20..120).contains(&x) && (40..180).contains(&y) {
                [91.0, 71.0, 60.0]
            } else {
                [214.0, 228.0, 240.0]
            };
            Rgb(c.map(|v: f32| (v * k) as u8))
        });
        let out = LightField::fit(&card).apply_rgb(&card);
        let (l, r) = (out.get_pixel(150, 20).0[1], out.get_pixel(310, 20).0[1]);
        assert!(l.abs_diff(r) <= 6, "background {l} vs {r}");
    }
}
