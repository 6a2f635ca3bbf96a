//! Refinement of the shortlisted candidates: sides moved onto the strongest nearby edge on the
//! working planes, near-duplicates merged, the leaders' sides pushed outwards (header bands), and
//! the winner's corners refined again at full resolution.

use crate::geometry::{Line, Point, Quad};
use crate::planes::{Sampler, WorkImage};

use super::scoring::{Cand, ScoreCtx};
use super::trace::{TraceEvent, Tracer};

/// The candidates after refining `top` on the working image and growing the leaders, best first
/// (the runners-up tell whether the winner was a close call).
pub(super) fn best_refined(ctx: &ScoreCtx<'_>, work: &WorkImage, top: Vec<Cand>, trace: &mut Tracer<'_>) -> Vec<Cand> {
    let mut refined: Vec<Cand> = Vec::with_capacity(top.len());
    for c in top {
        let cur = refine_on_work(ctx, work, c);
        trace.emit(|| TraceEvent::Refined { score: cur.score, corners: cur.quad.scaled(work.scale).to_array() });
        refined.push(cur);
    }
    refined.sort_by(|a, b| b.score.total_cmp(&a.score));
    // Refinement makes near-duplicates converge: keep distinct quads only.
    let refined = distinct(refined, 8.0, usize::MAX);
    let mut out: Vec<Cand> = Vec::with_capacity(refined.len());
    // Only the best refined candidate (and a close second) try pushing each side outwards (twice: a card can have
    // bands on two sides); the others cannot catch up with them.
    let lead = refined.first().map_or(0.0, |c| c.score);
    for (rank, c) in refined.into_iter().enumerate() {
        let rounds = if rank == 0 || (rank == 1 && c.score >= 0.9 * lead) { 2 } else { 0 };
        out.push(grow(ctx, work, c, rounds, trace));
    }
    // Stable: the first of equal scores wins, as before.
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// Candidates in order, without those whose corners all lie within `min_distance` of a kept one;
/// at most `max` of them.
pub(super) fn distinct(cands: Vec<Cand>, min_distance: f32, max: usize) -> Vec<Cand> {
    let mut kept: Vec<Cand> = Vec::new();
    for c in cands {
        if kept.iter().all(|t| t.quad.max_corner_distance(&c.quad) > min_distance) {
            kept.push(c);
            if kept.len() >= max {
                break;
            }
        }
    }
    kept
}

/// Two refinement passes on the working planes, each kept only if the score holds up.
fn refine_on_work(ctx: &ScoreCtx<'_>, work: &WorkImage, c: Cand) -> Cand {
    let mut cur = c;
    for radius in [3.0, 1.5] {
        if let Some(r) = refine(&cur.quad, work, radius, 1.0)
            && let Some(s) = ctx.score(&r)
            && s >= cur.score * 0.97
        {
            cur = Cand { quad: r, score: s };
        }
    }
    cur
}

/// Up to `rounds` rounds of pushing one side outwards, while that improves the score.
fn grow(ctx: &ScoreCtx<'_>, work: &WorkImage, c: Cand, rounds: usize, trace: &mut Tracer<'_>) -> Cand {
    let mut cur = c;
    for _ in 0..rounds {
        let mut improved = false;
        // Rank the grown quads as they are, refine only the six best (refining is the
        // expensive part).
        let mut grown: Vec<(f32, Quad)> =
            ctx.grown(&cur.quad).into_iter().filter_map(|g| ctx.score(&g).map(|s| (s, g))).collect();
        grown.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, g) in grown.into_iter().take(6) {
            let g = refine(&g, work, 2.0, 1.0).unwrap_or(g);
            let score = ctx.score(&g);
            trace.emit(|| TraceEvent::Grown { score, corners: g.scaled(work.scale).to_array() });
            if let Some(s) = score
                && s > cur.score + 0.005
            {
                cur = Cand { quad: g, score: s };
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    cur
}

/// Two passes on the full-resolution image (`scale` = full pixels per working pixel), each kept
/// only if it stays near the quad it started from.
pub(super) fn at_full_resolution(quad: Quad, scale: f32, full: &dyn Sampler) -> Quad {
    let s = scale;
    let mut quad = quad;
    for (radius, step) in [(2.0 * s, (s / 3.0).max(1.0)), ((0.7 * s).max(3.0), (s / 6.0).max(0.75))] {
        if let Some(r) = refine(&quad, full, radius, step)
            && r.max_corner_distance(&quad) < 3.0 * radius
        {
            quad = r;
        }
    }
    quad
}

/// Moves each side of `q` onto the strongest nearby edge of `img` (within `radius` pixels along the
/// side's normal), fitting a robust line per side; corners are the intersections of adjacent lines.
fn refine(q: &Quad, img: &dyn Sampler, radius: f32, step: f32) -> Option<Quad> {
    let mut profile = Profile::new(img.channels(), radius, step);
    let mut lines: Vec<Line> = Vec::with_capacity(4);
    for k in 0..4 {
        let p0 = q.corners[k];
        let p1 = q.corners[(k + 1) % 4];
        let len = p0.dist(p1);
        if len < 4.0 {
            return None;
        }
        let t = ((p1.x - p0.x) / len, (p1.y - p0.y) / len);
        let n = (t.1, -t.0);
        let m = ((len / (4.0 * step)) as usize).clamp(8, 48);
        let mut pts: Vec<Point> = Vec::with_capacity(m);
        for i in 0..m {
            let s = 0.08 + 0.84 * (i as f32 + 0.5) / m as f32;
            let c = Point::new(p0.x + (p1.x - p0.x) * s, p0.y + (p1.y - p0.y) * s);
            pts.extend(profile.edge_point(img, c, t, n));
        }
        let line = if pts.len() * 10 >= m * 4 {
            Line::fit_robust(&pts, f64::from(step) * 0.75)?
        } else {
            Line::through(p0, p1)?
        };
        lines.push(line);
    }
    let mut corners = [Point::default(); 4];
    for k in 0..4 {
        corners[(k + 1) % 4] = lines[k].intersect(&lines[(k + 1) % 4])?;
    }
    let out = Quad { corners };
    (out.is_convex() && out.max_corner_distance(q) <= 3.0 * radius + 2.0).then_some(out)
}

/// The colour profile across a side at one point: `2 nd + 3` positions `step` apart along the
/// normal, each the mean of 5 samples along the side. Its buffers are reused from point to point.
struct Profile {
    nch: usize,
    nd: i32,
    npos: usize,
    step: f32,
    values: Vec<f32>,
    buf: Vec<f32>,
}

impl Profile {
    fn new(nch: usize, radius: f32, step: f32) -> Self {
        let nd = (radius / step).ceil() as i32;
        let npos = (2 * nd + 3) as usize;
        Self { nch, nd, npos, step, values: vec![0.0f32; npos * nch], buf: vec![0.0f32; nch] }
    }

    /// The strongest edge across the side through `c` (tangent `t`, normal `n`), weighted towards
    /// the side's current position and located to a fraction of a step; `None` if too faint.
    fn edge_point(&mut self, img: &dyn Sampler, c: Point, t: (f32, f32), n: (f32, f32)) -> Option<Point> {
        let (nch, nd, npos, step) = (self.nch, self.nd, self.npos, self.step);
        let (cx, cy) = (c.x, c.y);
        let ((tx, ty), (nx, ny)) = (t, n);
        // Profile across the side, averaged along it.
        let prof = &mut self.values;
        prof.iter_mut().for_each(|v| *v = 0.0);
        for j in 0..npos {
            let d = (j as i32 - nd - 1) as f32 * step;
            for t in [-2.0f32, -1.0, 0.0, 1.0, 2.0] {
                let x = cx + d * nx + t * step * tx;
                let y = cy + d * ny + t * step * ty;
                if x < 0.0 || y < 0.0 || x > img.width() - 1.0 || y > img.height() - 1.0 {
                    continue;
                }
                img.sample(x, y, &mut self.buf);
                for c in 0..nch {
                    prof[j * nch + c] += self.buf[c] / 5.0;
                }
            }
        }
        let mut best = (0.0f32, 0usize);
        let mut mags = vec![0.0f32; npos];
        for j in 1..npos - 1 {
            let mut s2 = 0.0;
            for c in 0..nch {
                let dv = prof[(j + 1) * nch + c] - prof[(j - 1) * nch + c];
                s2 += dv * dv;
            }
            let mag = s2.sqrt() / (2.0 * step);
            mags[j] = mag;
            let d = (j as i32 - nd - 1) as f32 / nd.max(1) as f32;
            let wgt = mag * (1.0 - 0.4 * d * d);
            if wgt > best.0 {
                best = (wgt, j);
            }
        }
        let j = best.1;
        if best.0 < 2.0 || j == 0 || j + 1 >= npos {
            return None;
        }
        // Sub-sample peak by parabola.
        let (a, b, c) = (mags[j - 1], mags[j], mags[j + 1]);
        let den = a - 2.0 * b + c;
        let off = if den.abs() > 1e-6 { (0.5 * (a - c) / den).clamp(-0.5, 0.5) } else { 0.0 };
        let d = (j as f32 - nd as f32 - 1.0 + off) * step;
        Some(Point::new(cx + d * nx, cy + d * ny))
    }
}
