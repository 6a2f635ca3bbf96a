//! Edge maps of the working image: non-maximum suppression, colour-step filtering and hysteresis
//! thresholds taken from the edge strength distribution. The contour and line sources start here.

use image::{GrayImage, Luma};

use crate::planes::{Gradient, Plane};

use super::scoring::STEP_MIN;

/// The thinned colour-step edges of a working image and their strength percentiles.
pub(super) struct EdgeMap {
    nms: Plane,
    stats: MagStats,
}

impl EdgeMap {
    pub(super) fn new(grad: &Gradient, planes: &[Plane]) -> Self {
        let mut nms = non_max_suppress(grad);
        keep_steps(&mut nms, grad, planes);
        let stats = MagStats::of(&nms);
        Self { nms, stats }
    }

    /// Too few edge pixels for a `w × h` frame to hold a document (a flat or black frame).
    pub(super) fn is_flat(&self, w: usize, h: usize) -> bool {
        self.stats.count < (w + h) / 2
    }

    /// Strong edges only (thresholds from the 75th percentile of edge strength).
    pub(super) fn strong(&self) -> GrayImage {
        hysteresis(&self.nms, (self.stats.p75).max(10.0), (self.stats.p75 * 0.5).max(5.0))
    }

    /// Weaker edges too (thresholds from the median): faint borders on a similar background.
    pub(super) fn weak(&self) -> GrayImage {
        hysteresis(&self.nms, (self.stats.p50 * 0.8).max(4.0), (self.stats.p50 * 0.4).max(2.5))
    }
}

/// Magnitudes kept after non-maximum suppression along the gradient direction.
fn non_max_suppress(g: &Gradient) -> Plane {
    let (w, h) = (g.mag.w, g.mag.h);
    let mut out = Plane::new(w, h);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w - 1 {
            let i = y * w + x;
            let m = g.mag.data[i];
            if m < 1.0 {
                continue;
            }
            let (gx, gy) = (g.gx.data[i], g.gy.data[i]);
            let (ax, ay) = (gx.abs(), gy.abs());
            // Quantise the gradient direction into 4 bins.
            let (dx, dy): (isize, isize) = if ay <= 0.4142 * ax {
                (1, 0)
            } else if ax <= 0.4142 * ay {
                (0, 1)
            } else if (gx > 0.0) == (gy > 0.0) {
                (1, 1)
            } else {
                (1, -1)
            };
            let a = g.mag.data[((y as isize + dy) as usize) * w + (x as isize + dx) as usize];
            let b = g.mag.data[((y as isize - dy) as usize) * w + (x as isize - dx) as usize];
            if m >= a && m > b {
                out.data[i] = m;
            }
        }
    }
    out
}

/// Drops edge pixels that are not colour steps (thin lines: tile grout, text strokes, seams):
/// the colour 3 px before and after along the gradient must differ by at least `STEP_MIN`.
fn keep_steps(nms: &mut Plane, g: &Gradient, planes: &[Plane]) {
    let (w, h) = (nms.w, nms.h);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let m = nms.data[i];
            if m <= 0.0 {
                continue;
            }
            let (nx, ny) = (g.gx.data[i] / m.max(1e-3), g.gy.data[i] / m.max(1e-3));
            let (xf, yf) = (x as f32, y as f32);
            let mut d2 = 0.0;
            for p in planes {
                let dv = p.bilinear(xf + 3.0 * nx, yf + 3.0 * ny) - p.bilinear(xf - 3.0 * nx, yf - 3.0 * ny);
                d2 += dv * dv;
            }
            if d2 < STEP_MIN * STEP_MIN {
                nms.data[i] = 0.0;
            }
        }
    }
}

struct MagStats {
    p50: f32,
    p75: f32,
    count: usize,
}

impl MagStats {
    fn of(nms: &Plane) -> Self {
        let mut v: Vec<f32> = nms.data.iter().copied().filter(|&m| m >= 2.0).collect();
        let count = v.len();
        if v.is_empty() {
            return Self { p50: 0.0, p75: 0.0, count };
        }
        v.sort_by(f32::total_cmp);
        Self { p50: v[v.len() / 2], p75: v[v.len() * 3 / 4], count }
    }
}

fn hysteresis(nms: &Plane, hi: f32, lo: f32) -> GrayImage {
    let (w, h) = (nms.w, nms.h);
    let mut out = GrayImage::new(w as u32, h as u32);
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for y in 0..h {
        for x in 0..w {
            if nms.at(x, y) >= hi && out.get_pixel(x as u32, y as u32).0[0] == 0 {
                out.put_pixel(x as u32, y as u32, Luma([255]));
                stack.push((x, y));
                while let Some((cx, cy)) = stack.pop() {
                    for dy in -1isize..=1 {
                        for dx in -1isize..=1 {
                            let nx = cx as isize + dx;
                            let ny = cy as isize + dy;
                            if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                                continue;
                            }
                            let (nx, ny) = (nx as usize, ny as usize);
                            if nms.at(nx, ny) >= lo && out.get_pixel(nx as u32, ny as u32).0[0] == 0 {
                                out.put_pixel(nx as u32, ny as u32, Luma([255]));
                                stack.push((nx, ny));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
