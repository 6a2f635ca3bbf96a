//! Scoring a candidate quad on the working image: edge support along its sides, contrast across
//! them, whether its sides continue past its corners, whether its inside differs from around it,
//! and the plausibility of its area, angles and aspect. A cheap edge-only score shortlists first.

use crate::geometry::{Point, Quad};
use crate::planes::{Gradient, Plane};

/// A scored candidate.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cand {
    pub(super) quad: Quad,
    pub(super) score: f32,
}

/// Cheap prefilter (edge support only), then the full score on the best few dozen.
pub(super) fn shortlist_and_score(ctx: &ScoreCtx<'_>, quads: Vec<Quad>) -> Vec<Cand> {
    let mut pre: Vec<(f32, Quad)> =
        quads.into_iter().filter_map(|q| ctx.fast_score(&q).map(|s| (s, q))).filter(|(s, _)| *s > 0.15).collect();
    pre.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut shortlist: Vec<Quad> = Vec::new();
    for (_, q) in pre {
        if shortlist.iter().all(|t| t.max_corner_distance(&q) > 2.0) {
            shortlist.push(q);
            if shortlist.len() >= 40 {
                break;
            }
        }
    }
    shortlist
        .into_iter()
        .filter_map(|q| ctx.score(&q).map(|s| Cand { quad: q, score: s }))
        .filter(|c| c.score > 0.05)
        .collect()
}

/// Maps a raw score to `[0, 1]`: 0.30 → 0.5 (threshold), 0.6+ → ≈ 0.95.
pub(super) fn confidence_of(score: f32) -> f32 {
    let x = (score - 0.30) / 0.08;
    (1.0 / (1.0 + (-x).exp())).clamp(0.0, 1.0)
}

/// Integral image (`(w + 1) × (h + 1)`, zero first row and column) of a plane.
fn integral(p: &Plane) -> Vec<f64> {
    let (w, h) = (p.w, p.h);
    let mut out = vec![0.0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0.0f64;
        for x in 0..w {
            row += f64::from(p.data[y * w + x]);
            out[(y + 1) * (w + 1) + x + 1] = out[y * (w + 1) + x + 1] + row;
        }
    }
    out
}

/// What scoring a quad looks at: the blurred working planes, their gradient and integral images.
pub(super) struct ScoreCtx<'a> {
    /// Integral images of the working planes, `(w + 1) × (h + 1)`, for box means.
    integral: Vec<Vec<f64>>,
    pub(super) grad: &'a Gradient,
    pub(super) planes: &'a [Plane],
    w: f32,
    h: f32,
}

/// Gradient (grey levels per pixel) above which a side sample counts as supported.
const SUPPORT_MIN: f32 = 3.0;
/// Offset (working pixels) of the parallel lines a continuation must not share with texture.
const SPECIFIC_OFFSET: f32 = 4.0;
/// Inside/outside mean colour difference (grey levels) from which a quad counts as distinct.
const DISTINCT_FULL: f32 = 8.0;
/// Score factor kept by a quad whose inside looks exactly like its surroundings.
const DISTINCT_BASE: f32 = 0.4;
/// Score factor lost by a quad whose sides all continue past its corners.
const CONTINUATION_PENALTY: f32 = 0.6;
/// Colour difference (grey levels) across a side, 3 px each way, for a sample to count as a step.
pub(super) const STEP_MIN: f32 = 6.0;

impl<'a> ScoreCtx<'a> {
    pub(super) fn new(planes: &'a [Plane], grad: &'a Gradient, w: usize, h: usize) -> Self {
        Self { integral: planes.iter().map(integral).collect(), grad, planes, w: w as f32, h: h as f32 }
    }

    /// Geometry checks shared by both scores; returns (area fraction, max angle deviation, aspect).
    fn plausible(&self, q: &Quad) -> Option<(f32, f32, f32)> {
        if !q.is_convex() {
            return None;
        }
        let (w, h) = (self.w, self.h);
        let frac = q.area() / (w * h);
        if !(0.02..=1.02).contains(&frac) {
            return None;
        }
        let max_dev = q.angles().iter().map(|a| (a - 90.0).abs()).fold(0.0, f32::max);
        if max_dev > 55.0 {
            return None;
        }
        let sides = q.sides();
        let s_min = sides.iter().copied().fold(f32::MAX, f32::min);
        let s_max = sides.iter().copied().fold(0.0, f32::max);
        if s_min < 0.06 * w.min(h) {
            return None;
        }
        let a1 = 0.5 * (sides[0] + sides[2]);
        let a2 = 0.5 * (sides[1] + sides[3]);
        let aspect = a1.max(a2) / a1.min(a2).max(1.0);
        if aspect > 6.0 || s_max / s_min > 8.0 {
            return None;
        }
        Some((frac, max_dev, aspect))
    }

    /// Fraction of ~24 samples along `p0 → p1` that sit on a colour step perpendicular to it.
    fn side_support(&self, p0: Point, p1: Point) -> f32 {
        let (w, h) = (self.w, self.h);
        let len = p0.dist(p1).max(1e-3);
        let (nx, ny) = ((p1.y - p0.y) / len, -(p1.x - p0.x) / len);
        let (mut good, mut tot) = (0usize, 0usize);
        for i in 0..24 {
            let s = 0.1 + 0.8 * (i as f32 + 0.5) / 24.0;
            let px = p0.x + (p1.x - p0.x) * s;
            let py = p0.y + (p1.y - p0.y) * s;
            if px < 4.0 || py < 4.0 || px > w - 5.0 || py > h - 5.0 {
                continue;
            }
            tot += 1;
            if self.step_along(px, py, nx, ny, STEP_MIN) {
                good += 1;
            }
        }
        if tot < 8 { 0.0 } else { good as f32 / tot as f32 }
    }

    /// Quads with one side pushed outwards onto a parallel supported edge: recovers the real
    /// border when a strong inner edge (a card's coloured header band, a form's frame) won.
    pub(super) fn grown(&self, q: &Quad) -> Vec<Quad> {
        let mut out = Vec::new();
        let sides = q.sides();
        let reach = 0.35 * sides.iter().copied().fold(f32::MAX, f32::min);
        for k in 0..4 {
            let p0 = q.corners[k];
            let p1 = q.corners[(k + 1) % 4];
            let len = p0.dist(p1).max(1e-3);
            let (nx, ny) = ((p1.y - p0.y) / len, -(p1.x - p0.x) / len);
            // Every local maximum of support along the normal is a candidate position (the
            // strongest is not always the card's edge: a stripe of the background can beat it).
            let n = reach.max(3.0) as usize;
            let sup: Vec<f32> = (3..=n)
                .map(|d| {
                    let d = d as f32;
                    let a = Point::new(p0.x + d * nx, p0.y + d * ny);
                    let b = Point::new(p1.x + d * nx, p1.y + d * ny);
                    self.side_support(a, b)
                })
                .collect();
            let mut peaks: Vec<(f32, f32)> = Vec::new();
            for i in 0..sup.len() {
                let left = if i > 0 { sup[i - 1] } else { 0.0 };
                let right = sup.get(i + 1).copied().unwrap_or(0.0);
                if sup[i] > 0.5 && sup[i] >= left && sup[i] > right {
                    peaks.push((sup[i], (i + 3) as f32));
                }
            }
            peaks.sort_by(|a, b| b.0.total_cmp(&a.0));
            for &(_, d) in peaks.iter().take(3) {
                let mut c = q.corners;
                c[k] = Point::new(p0.x + d * nx, p0.y + d * ny);
                c[(k + 1) % 4] = Point::new(p1.x + d * nx, p1.y + d * ny);
                out.push(Quad { corners: c });
            }
        }
        out
    }

    /// Squared luma difference 3 px each side of `(px, py)` along `n`. (Luma only: with the
    /// chroma planes, a tartan's coloured stripes made every parallel line look like an edge; the
    /// gradient these samples are checked against is already the strongest channel's.)
    fn luma_step(&self, px: f32, py: f32, nx: f32, ny: f32) -> f32 {
        let l = &self.planes[0];
        let dv = l.bilinear(px + 3.0 * nx, py + 3.0 * ny) - l.bilinear(px - 3.0 * nx, py - 3.0 * ny);
        dv * dv
    }

    /// Whether `(px, py)` sits on a luma step whose gradient is along the unit normal `(nx, ny)`.
    fn step_along(&self, px: f32, py: f32, nx: f32, ny: f32, step_min: f32) -> bool {
        if self.luma_step(px, py, nx, ny) < step_min * step_min {
            return false;
        }
        let (w, h) = (self.grad.mag.w, self.grad.mag.h);
        for o in [-1.0f32, 0.0, 1.0] {
            let xi = (px + o * nx).round().clamp(0.0, (w - 1) as f32) as usize;
            let yi = (py + o * ny).round().clamp(0.0, (h - 1) as f32) as usize;
            let j = yi * w + xi;
            let d = (self.grad.gx.data[j] * nx + self.grad.gy.data[j] * ny).abs();
            if d >= SUPPORT_MIN && d >= 0.7 * self.grad.mag.data[j] {
                return true;
            }
        }
        false
    }

    /// How much the quad's sides *continue* past its corners, in `[0, 1]` (mean over the eight
    /// side ends). A document's edges stop at its corners; the lines of a tiled floor, a tablecloth
    /// or a form printed on the page go on, and so do the sides of a quad cut short at a card's
    /// header band or at a finger. Ends whose extension leaves the frame count as not continuing.
    pub(super) fn continuation(&self, q: &Quad) -> f32 {
        let mut sum = 0.0f32;
        for k in 0..4 {
            let p0 = q.corners[k];
            let p1 = q.corners[(k + 1) % 4];
            let len = p0.dist(p1).max(1e-3);
            let (tx, ty) = ((p1.x - p0.x) / len, (p1.y - p0.y) / len);
            let (nx, ny) = (ty, -tx);
            let reach = (0.25 * len).clamp(10.0, 40.0);
            for (c, dir) in [(p1, 1.0f32), (p0, -1.0)] {
                let Some(run) = self.extension_run(c, (dir * tx, dir * ty), (nx, ny), 0.0, reach) else {
                    continue;
                };
                // Only a run specific to this line counts: texture (a tartan, wood grain) shows
                // the same steps on parallel lines 7 px away, a tile joint or a card's
                // edge does not.
                let o = SPECIFIC_OFFSET;
                let off = if run >= 2 && o > 0.0 {
                    [o, -o]
                        .iter()
                        .filter_map(|&o| self.extension_run(c, (dir * tx, dir * ty), (nx, ny), o, reach))
                        .max()
                        .unwrap_or(0)
                } else {
                    0
                };
                sum += run.saturating_sub(off) as f32 / 8.0;
            }
        }
        sum / 8.0
    }

    /// How different the quad's inside is from a ring just outside it, in `[0, 1]`: the mean
    /// colour of a grid of inside 9×9 boxes against boxes 10 px outside each side (boxes average
    /// out fine patterns). A document
    /// differs from what it lies on; a patch of a tablecloth or a floor does not.
    fn distinctness(&self, q: &Quad) -> f32 {
        let nch = self.planes.len();
        let mut inside = [0.0f32; 3];
        let mut outside = [0.0f32; 3];
        let (mut n_in, mut n_out) = (0usize, 0usize);
        let [a, b, c, d] = q.corners;
        for i in 0..6 {
            for j in 0..6 {
                let (u, v) = (0.2 + 0.6 * i as f32 / 5.0, 0.2 + 0.6 * j as f32 / 5.0);
                let top = Point::new(a.x + (b.x - a.x) * u, a.y + (b.y - a.y) * u);
                let bot = Point::new(d.x + (c.x - d.x) * u, d.y + (c.y - d.y) * u);
                let (px, py) = (top.x + (bot.x - top.x) * v, top.y + (bot.y - top.y) * v);
                for ch in 0..nch.min(3) {
                    inside[ch] += self.box_mean(ch, px, py, 4);
                }
                n_in += 1;
            }
        }
        for k in 0..4 {
            let p0 = q.corners[k];
            let p1 = q.corners[(k + 1) % 4];
            let len = p0.dist(p1).max(1e-3);
            let (nx, ny) = ((p1.y - p0.y) / len, -(p1.x - p0.x) / len);
            for i in 0..10 {
                let s = 0.1 + 0.8 * i as f32 / 9.0;
                let px = p0.x + (p1.x - p0.x) * s + 10.0 * nx;
                let py = p0.y + (p1.y - p0.y) * s + 10.0 * ny;
                if px < 0.0 || py < 0.0 || px > self.w - 1.0 || py > self.h - 1.0 {
                    continue;
                }
                for ch in 0..nch.min(3) {
                    outside[ch] += self.box_mean(ch, px, py, 4);
                }
                n_out += 1;
            }
        }
        if n_out < 8 || n_in == 0 {
            return 1.0;
        }
        let mut d2 = 0.0;
        for ch in 0..nch.min(3) {
            let dv = inside[ch] / n_in as f32 - outside[ch] / n_out as f32;
            d2 += dv * dv;
        }
        (d2.sqrt() / DISTINCT_FULL).min(1.0)
    }

    /// Mean of channel `ch` over the `(2r+1)²` box around `(x, y)`, clipped to the image.
    fn box_mean(&self, ch: usize, x: f32, y: f32, r: usize) -> f32 {
        let (w, h) = (self.grad.mag.w, self.grad.mag.h);
        let xi = (x.round().max(0.0) as usize).min(w - 1);
        let yi = (y.round().max(0.0) as usize).min(h - 1);
        let (x0, x1) = (xi.saturating_sub(r), (xi + r + 1).min(w));
        let (y0, y1) = (yi.saturating_sub(r), (yi + r + 1).min(h));
        let Some(t) = self.integral.get(ch) else { return 0.0 };
        let at = |x: usize, y: usize| t[y * (w + 1) + x];
        let sum = at(x1, y1) - at(x0, y1) - at(x1, y0) + at(x0, y0);
        (sum / ((x1 - x0) * (y1 - y0)).max(1) as f64) as f32
    }

    /// Length (0..=8 samples) of the run of steps along `n` on the extension of a side past
    /// corner `c` in direction `t`, on the line shifted by `off` along `n`; one miss is tolerated
    /// (the perpendicular edge blurs the first samples). `None` when the extension leaves the
    /// frame too early to tell.
    fn extension_run(&self, c: Point, t: (f32, f32), n: (f32, f32), off: f32, reach: f32) -> Option<usize> {
        let (w, h) = (self.w, self.h);
        let (mut run, mut misses) = (0usize, 0usize);
        for i in 0..8 {
            let d = 4.0 + (reach - 4.0) * i as f32 / 7.0;
            let (px, py) = (c.x + d * t.0 + off * n.0, c.y + d * t.1 + off * n.1);
            if px < 4.0 || py < 4.0 || px > w - 5.0 || py > h - 5.0 {
                return (i >= 4).then_some(run);
            }
            if self.step_along(px, py, n.0, n.1, STEP_MIN) {
                run = i + 1;
            } else {
                misses += 1;
                if misses > 1 {
                    break;
                }
            }
        }
        Some(run)
    }

    /// Edge support only, sparse samples: to shortlist candidates cheaply.
    pub(super) fn fast_score(&self, q: &Quad) -> Option<f32> {
        self.plausible(q)?;
        let (w, h) = (self.w, self.h);
        let mut sup = [0.0f32; 4];
        for k in 0..4 {
            let p0 = q.corners[k];
            let p1 = q.corners[(k + 1) % 4];
            let len = p0.dist(p1);
            let (nx, ny) = ((p1.y - p0.y) / len, -(p1.x - p0.x) / len);
            let n = (len / 4.0).max(6.0) as usize;
            let (mut good, mut tot) = (0usize, 0usize);
            for i in 0..n {
                let s = 0.05 + 0.9 * (i as f32 + 0.5) / n as f32;
                let px = p0.x + (p1.x - p0.x) * s;
                let py = p0.y + (p1.y - p0.y) * s;
                if px < 2.0 || py < 2.0 || px > w - 3.0 || py > h - 3.0 {
                    continue;
                }
                tot += 1;
                if self.step_along(px, py, nx, ny, STEP_MIN * 0.7) {
                    good += 1;
                }
            }
            sup[k] = if tot > 0 { good as f32 / tot as f32 } else { 0.0 };
        }
        let mean = sup.iter().sum::<f32>() / 4.0;
        let min = sup.iter().copied().fold(f32::MAX, f32::min);
        Some((0.5 * mean + 0.5 * min) * (1.0 - CONTINUATION_PENALTY * self.continuation(q)))
    }

    /// The full score of a plausible quad: edge support and contrast along its four sides,
    /// discounted for sides that continue past the corners, an inside like its surroundings, a small
    /// area, skewed angles, an extreme aspect and sides out of frame.
    pub(super) fn score(&self, q: &Quad) -> Option<f32> {
        let (frac, max_dev, aspect) = self.plausible(q)?;
        let sides: [SideEvidence; 4] =
            std::array::from_fn(|k| self.side_evidence(q.corners[k], q.corners[(k + 1) % 4]));
        let supports = sides.map(|s| s.support);
        let contrasts = sides.map(|s| s.contrast);
        let inside_frac = sides.map(|s| s.visible);
        let mean = |v: &[f32; 4]| v.iter().sum::<f32>() / 4.0;
        let min = |v: &[f32; 4]| v.iter().copied().fold(f32::MAX, f32::min);
        // Sides partly out of frame are judged on their visible part, with a mild penalty.
        let visible = mean(&inside_frac);
        let support = 0.5 * mean(&supports) + 0.5 * min(&supports);
        let cterm: [f32; 4] = contrasts.map(|c| (c / 20.0).min(1.0));
        let contrast = 0.5 * mean(&cterm) + 0.5 * min(&cterm);
        let area_term = if frac < 0.08 { frac / 0.08 } else { 1.0 };
        let size_bonus = 0.85 + 0.15 * (frac / 0.5).min(1.0);
        let angle_term = 1.0 - 0.5 * ((max_dev - 25.0) / 30.0).clamp(0.0, 1.0);
        let aspect_term = if aspect > 4.0 { 0.8 } else { 1.0 };
        let distinct = self.distinctness(q);
        let score = support
            * (DISTINCT_BASE + (1.0 - DISTINCT_BASE) * distinct)
            * (1.0 - CONTINUATION_PENALTY * self.continuation(q))
            * (0.2 + 0.8 * contrast)
            * area_term
            * size_bonus
            * angle_term
            * aspect_term
            * (0.7 + 0.3 * visible);
        Some(score)
    }

    /// Edge support and contrast along the side `p0 → p1` of a clockwise quad; all zero for a
    /// side lying along the image border (the frame, not a document edge).
    fn side_evidence(&self, p0: Point, p1: Point) -> SideEvidence {
        let (w, h) = (self.w, self.h);
        let nch = self.planes.len();
        let len = p0.dist(p1);
        let (tx, ty) = ((p1.x - p0.x) / len, (p1.y - p0.y) / len);
        let (nx, ny) = (ty, -tx); // outward for a clockwise quad
        let on_border =
            |a: f32, b: f32, lim: f32| a.abs() < 3.0 && b.abs() < 3.0 || (a - lim).abs() < 3.0 && (b - lim).abs() < 3.0;
        if on_border(p0.x, p1.x, w - 1.0) || on_border(p0.y, p1.y, h - 1.0) {
            return SideEvidence::default();
        }
        let n = (len / 1.5).max(8.0) as usize;
        let mut sup = 0usize;
        let mut tot = 0usize;
        let mut diffs: Vec<f32> = Vec::with_capacity(n);
        for i in 0..n {
            let s = 0.05 + 0.9 * (i as f32 + 0.5) / n as f32;
            let px = p0.x + (p1.x - p0.x) * s;
            let py = p0.y + (p1.y - p0.y) * s;
            if px < 1.0 || py < 1.0 || px > w - 2.0 || py > h - 2.0 {
                continue;
            }
            tot += 1;
            let mut best = 0.0f32;
            for o in [-1.5f32, -0.75, 0.0, 0.75, 1.5] {
                let xi = (px + o * nx).round().clamp(0.0, w - 1.0) as usize;
                let yi = (py + o * ny).round().clamp(0.0, h - 1.0) as usize;
                let j = yi * self.grad.mag.w + xi;
                let d = (self.grad.gx.data[j] * nx + self.grad.gy.data[j] * ny).abs();
                if d >= 0.7 * self.grad.mag.data[j] {
                    best = best.max(d);
                }
            }
            // Colour step across the side: a document edge is a step, a line (grout, text,
            // table seam) is not.
            let (ix, iy) = (px - 3.0 * nx, py - 3.0 * ny);
            let (ox, oy) = (px + 3.0 * nx, py + 3.0 * ny);
            let mut d2 = 0.0;
            for c in 0..nch {
                let dv = self.planes[c].bilinear(ix, iy) - self.planes[c].bilinear(ox, oy);
                d2 += dv * dv;
            }
            if best >= SUPPORT_MIN && d2 >= STEP_MIN * STEP_MIN {
                sup += 1;
            }
            diffs.push(d2.sqrt());
        }
        let mut side = SideEvidence { visible: tot as f32 / n as f32, ..SideEvidence::default() };
        if tot > 0 {
            side.support = sup as f32 / tot as f32;
            diffs.sort_by(f32::total_cmp);
            side.contrast = diffs[diffs.len() / 2];
        }
        side
    }
}

/// What the samples along one side of a quad show.
#[derive(Debug, Clone, Copy, Default)]
struct SideEvidence {
    /// Fraction of the visible samples on a supported colour step.
    support: f32,
    /// Median colour difference across the side (grey levels).
    contrast: f32,
    /// Fraction of the samples inside the frame.
    visible: f32,
}
