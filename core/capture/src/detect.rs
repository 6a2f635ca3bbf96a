//! Document corner detection.
//!
//! At a working resolution (≈ 400 px), candidates come from three independent sources so that a
//! failure of one is covered by another, tried from the cheapest to the most expensive (a later
//! source runs only when nothing convincing was found yet):
//! 1. **edge contours**: colour-aware Canny (gradient of the strongest of L, R−G, (R+G)/2−B) at two
//!    sensitivities, gaps closed by dilation, outer *and* hole contours → convex hull → quad;
//! 2. **regions**: Otsu masks (bright, dark, low chroma), opened/closed → component outlines → quad;
//! 3. **lines**: orientation-restricted Hough transform; pairs of roughly parallel lines combined
//!    (photos only).
//!
//! Every candidate is scored on edge support along its four sides (gradient perpendicular to the
//! side), inside/outside contrast, area and angle plausibility, whether its sides *continue* past
//! its corners (background structure, or a quad cut short inside the document) and whether its
//! inside differs from its surroundings. The best few are refined on the working planes, rescored,
//! the leader tries pushing its sides outwards (header bands), and the winner is refined again at
//! full resolution by fitting robust lines to edge points found along each side's normal. Below
//! the confidence threshold the result is "not found": the whole frame is never returned as a
//! guess.

use image::{GrayImage, Luma, RgbImage};
use imageproc::contours::{BorderType, find_contours};
use imageproc::geometry::{approximate_polygon_dp, convex_hull};
use imageproc::point::Point as IPoint;
use serde::{Deserialize, Serialize};

use crate::decode::LumaFrame;
use crate::geometry::{Line, Point, Quad};
use crate::planes::{Gradient, LumaSampler, RgbSampler, Sampler, WorkImage, gradient};

/// Tuning of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectOptions {
    /// Long side of the working image in pixels.
    pub work_size: u32,
    /// Minimum confidence to report a document.
    pub min_confidence: f32,
    /// Refine the corners on the full-resolution image.
    pub refine_full: bool,
    /// Use the Hough line candidates (slower; off on the preview fast path).
    pub use_lines: bool,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self { work_size: 400, min_confidence: 0.5, refine_full: true, use_lines: true }
    }
}

impl DetectOptions {
    /// Settings for live preview frames (640×480 luma at 10+ fps on a cheap phone).
    pub fn preview() -> Self {
        Self { work_size: 320, min_confidence: 0.5, refine_full: true, use_lines: false }
    }
}

/// Outcome of a detection: a quad with a confidence, or nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The document's corners (TL, TR, BR, BL) in pixels of the input image, or `None`.
    pub quad: Option<Quad>,
    /// Confidence in `[0, 1]`; meaningful also when `quad` is `None` (best rejected score).
    pub confidence: f32,
}

impl Detection {
    /// Whether a document was found.
    pub fn found(&self) -> bool {
        self.quad.is_some()
    }

    /// The `coffre capture detect --json` shape.
    pub fn to_json_value(&self) -> DetectJson {
        match self.quad {
            Some(q) => DetectJson {
                found: true,
                corners: Some(q.to_array().map(|p| [round1(p[0]), round1(p[1])])),
                confidence: Some(round3(self.confidence)),
            },
            None => DetectJson { found: false, corners: None, confidence: None },
        }
    }

    /// `{"found": true, "corners": [[x,y],...], "confidence": 0.93}` or `{"found": false}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.to_json_value()).unwrap_or_else(|_| r#"{"found":false}"#.into())
    }
}

fn round1(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}
fn round3(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

/// JSON printed by `coffre capture detect --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectJson {
    /// Whether a document was found.
    pub found: bool,
    /// Corners in pixels of the EXIF-upright image, clockwise from top-left.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub corners: Option<[[f32; 2]; 4]>,
    /// Confidence in `[0, 1]`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confidence: Option<f32>,
}

/// Detects the document in an upright RGB photo.
pub fn detect(img: &RgbImage) -> Detection {
    detect_with(img, &DetectOptions::default())
}

/// [`detect`] with explicit options.
pub fn detect_with(img: &RgbImage, opts: &DetectOptions) -> Detection {
    let t0 = std::time::Instant::now();
    let work = WorkImage::from_rgb(img, opts.work_size);
    if std::env::var_os("COFFRE_DEBUG").is_some() {
        eprintln!("  t downsample: {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
    }
    let full = RgbSampler(img);
    run(&work, &full, opts)
}

/// Fast path for a live preview luma frame (e.g. 640×480 from CameraX / AVFoundation).
/// Corners are in pixels of the frame.
pub fn detect_preview(frame: &LumaFrame<'_>) -> Detection {
    detect_luma_with(frame, &DetectOptions::preview())
}

/// [`detect_preview`] with explicit options.
pub fn detect_luma_with(frame: &LumaFrame<'_>, opts: &DetectOptions) -> Detection {
    let work = WorkImage::from_luma(frame, opts.work_size);
    let full = LumaSampler(frame);
    run(&work, &full, opts)
}

/// A scored candidate.
#[derive(Debug, Clone, Copy)]
struct Cand {
    quad: Quad,
    score: f32,
}

fn run(work: &WorkImage, full: &dyn Sampler, opts: &DetectOptions) -> Detection {
    let none = Detection { quad: None, confidence: 0.0 };
    let debug = std::env::var_os("COFFRE_DEBUG").is_some();
    let t0 = std::time::Instant::now();
    let lap = |what: &str| {
        if debug {
            eprintln!("  t {what}: {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
        }
    };
    if work.w < 16 || work.h < 16 {
        return none;
    }
    let blurred: Vec<_> = work.planes.iter().map(|p| p.blur5()).collect();
    let grad = gradient(&blurred);
    let ctx = ScoreCtx {
        integral: blurred.iter().map(integral).collect(),
        grad: &grad,
        planes: &blurred,
        w: work.w as f32,
        h: work.h as f32,
    };

    lap("blur+gradient");
    let mut nms = non_max_suppress(&grad);
    keep_steps(&mut nms, &grad, &blurred);
    let stats = MagStats::of(&nms);
    lap("nms+steps");
    // Flat or black frame: nothing to find.
    if stats.count < (work.w + work.h) / 2 {
        return none;
    }
    // Candidate sources from the cheapest to the most expensive; a later source only runs when
    // the earlier ones found nothing convincing (most photos stop after the edge contours).
    let mut cands: Vec<Cand> = Vec::new();
    for source in 0..3 {
        let mut quads: Vec<Quad> = Vec::new();
        match source {
            0 => {
                for (hi, lo) in [
                    ((stats.p75).max(10.0), (stats.p75 * 0.5).max(5.0)),
                    ((stats.p50 * 0.8).max(4.0), (stats.p50 * 0.4).max(2.5)),
                ] {
                    let edges = hysteresis(&nms, hi, lo);
                    contour_quads(&edges, &mut quads);
                }
            }
            1 => region_quads(&blurred, &mut quads),
            _ => {
                if opts.use_lines {
                    let edges = hysteresis(&nms, (stats.p50 * 0.8).max(4.0), (stats.p50 * 0.4).max(2.5));
                    line_quads(&edges, &grad, &mut quads);
                }
            }
        }
        let n = quads.len();
        cands.extend(shortlist_and_score(&ctx, quads));
        cands.sort_by(|a, b| b.score.total_cmp(&a.score));
        if debug {
            eprintln!("  source {source}: {n} quads, best {:?}", cands.first().map(|c| c.score));
        }
        lap("source");
        if cands.first().is_some_and(|c| c.score >= EARLY_ACCEPT) {
            break;
        }
    }
    lap("scoring");
    let mut top: Vec<Cand> = Vec::new();
    for c in cands {
        if top.iter().all(|t| t.quad.max_corner_distance(&c.quad) > 3.0) {
            top.push(c);
            if top.len() >= 5 {
                break;
            }
        }
    }
    if let Some(v) = std::env::var_os("COFFRE_DEBUG_QUAD") {
        let c: Vec<f32> = v.to_string_lossy().split(',').filter_map(|t| t.trim().parse().ok()).collect();
        if c.len() == 8 {
            let q = Quad::from_array([[c[0], c[1]], [c[2], c[3]], [c[4], c[5]], [c[6], c[7]]]).scaled(1.0 / work.scale);
            eprintln!(
                "  probe: fast {:?} score {:?} continuation {:.2}",
                ctx.fast_score(&q),
                ctx.score(&q),
                ctx.continuation(&q)
            );
        }
    }
    if std::env::var_os("COFFRE_DEBUG").is_some() {
        for c in &top {
            eprintln!(
                "  cand {:.3} cont {:.2} {:?}",
                c.score,
                ctx.continuation(&c.quad),
                c.quad.scaled(work.scale).to_array()
            );
        }
    }
    let mut refined: Vec<Cand> = Vec::with_capacity(top.len());
    for c in top {
        let mut cur = c;
        for radius in [3.0, 1.5] {
            if let Some(r) = refine(&cur.quad, work, radius, 1.0)
                && let Some(s) = ctx.score(&r)
                && s >= cur.score * 0.97
            {
                cur = Cand { quad: r, score: s };
            }
        }
        if debug {
            eprintln!("  refined {:.3} {:?}", cur.score, cur.quad.scaled(work.scale).to_array());
        }
        refined.push(cur);
    }
    refined.sort_by(|a, b| b.score.total_cmp(&a.score));
    // Refinement makes near-duplicates converge: keep distinct quads only.
    let mut distinct: Vec<Cand> = Vec::with_capacity(refined.len());
    for c in refined {
        if distinct.iter().all(|t| t.quad.max_corner_distance(&c.quad) > 8.0) {
            distinct.push(c);
        }
    }
    let refined = distinct;
    let mut best: Option<Cand> = None;
    // Only the best refined candidate (and a close second) try pushing each side outwards (twice: a card can have
    // bands on two sides); the others cannot catch up with them.
    let lead = refined.first().map_or(0.0, |c| c.score);
    for (rank, c) in refined.into_iter().enumerate() {
        let mut cur = c;
        let rounds = if rank == 0 || (rank == 1 && c.score >= 0.9 * lead) { 2 } else { 0 };
        for _ in 0..rounds {
            let mut improved = false;
            // Rank the grown quads as they are, refine only the six best (refining is the
            // expensive part).
            let mut grown: Vec<(f32, Quad)> =
                ctx.grown(&cur.quad).into_iter().filter_map(|g| ctx.score(&g).map(|s| (s, g))).collect();
            grown.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, g) in grown.into_iter().take(6) {
                let g = refine(&g, work, 2.0, 1.0).unwrap_or(g);
                if debug {
                    eprintln!("  grown {:?} {:?}", ctx.score(&g), g.scaled(work.scale).to_array());
                }
                if let Some(s) = ctx.score(&g)
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
        if best.is_none_or(|b| cur.score > b.score) {
            best = Some(cur);
        }
    }
    lap("refine+grow");
    if debug && let Some(b) = best {
        eprintln!("  best {:.3} cont {:.2}", b.score, ctx.continuation(&b.quad));
    }
    let Some(best) = best else { return none };
    let confidence = confidence_of(best.score);
    if confidence < opts.min_confidence {
        return Detection { quad: None, confidence };
    }
    let mut quad = best.quad.scaled(work.scale);
    if opts.refine_full && work.scale > 1.2 {
        let s = work.scale;
        for (radius, step) in [(2.0 * s, (s / 3.0).max(1.0)), ((0.7 * s).max(3.0), (s / 6.0).max(0.75))] {
            if let Some(r) = refine(&quad, full, radius, step)
                && r.max_corner_distance(&quad) < 3.0 * radius
            {
                quad = r;
            }
        }
    }
    lap("full-res refine");
    Detection { quad: Some(Quad::from_points(quad.corners)), confidence }
}

/// Integral image (`(w + 1) × (h + 1)`, zero first row and column) of a plane.
fn integral(p: &crate::planes::Plane) -> Vec<f64> {
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

/// Score above which no further candidate source is tried.
const EARLY_ACCEPT: f32 = 0.92;

/// Cheap prefilter (edge support only), then the full score on the best few dozen.
fn shortlist_and_score(ctx: &ScoreCtx<'_>, quads: Vec<Quad>) -> Vec<Cand> {
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
fn confidence_of(score: f32) -> f32 {
    let x = (score - 0.30) / 0.08;
    (1.0 / (1.0 + (-x).exp())).clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Edges

/// Magnitudes kept after non-maximum suppression along the gradient direction.
fn non_max_suppress(g: &Gradient) -> crate::planes::Plane {
    let (w, h) = (g.mag.w, g.mag.h);
    let mut out = crate::planes::Plane::new(w, h);
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
fn keep_steps(nms: &mut crate::planes::Plane, g: &Gradient, planes: &[crate::planes::Plane]) {
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
    fn of(nms: &crate::planes::Plane) -> Self {
        let mut v: Vec<f32> = nms.data.iter().copied().filter(|&m| m >= 2.0).collect();
        let count = v.len();
        if v.is_empty() {
            return Self { p50: 0.0, p75: 0.0, count };
        }
        v.sort_by(f32::total_cmp);
        Self { p50: v[v.len() / 2], p75: v[v.len() * 3 / 4], count }
    }
}

fn hysteresis(nms: &crate::planes::Plane, hi: f32, lo: f32) -> GrayImage {
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

// ---------------------------------------------------------------------------------------------
// Candidate sources

/// Binary morphology with a (2k+1)² square, windows clipped at the image border: dilation
/// (`all = false`: any pixel set) or erosion (`all = true`: every pixel set). Separable, with
/// running counts, so the cost does not depend on `k`.
fn morph(mask: &GrayImage, k: usize, all: bool) -> GrayImage {
    if all { morph_impl::<true>(mask, k) } else { morph_impl::<false>(mask, k) }
}

fn morph_impl<const ALL: bool>(mask: &GrayImage, k: usize) -> GrayImage {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    if w == 0 || h == 0 {
        return mask.clone();
    }
    let src = mask.as_raw();
    let decide = |count: u32, len: u32| -> u8 {
        let set = if ALL { count == len } else { count > 0 };
        if set { 255 } else { 0 }
    };
    // Horizontal pass: sliding count over [x - k, x + k].
    let mut tmp = vec![0u8; w * h];
    for (row, trow) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        let mut count: u32 = row.iter().take(k.min(w)).map(|&v| u32::from(v != 0)).sum();
        for x in 0..w {
            if x + k < w {
                count += u32::from(row[x + k] != 0);
            }
            if x > k {
                count -= u32::from(row[x - k - 1] != 0);
            }
            let len = ((x + k).min(w - 1) - x.saturating_sub(k) + 1) as u32;
            trow[x] = decide(count, len);
        }
    }
    // Vertical pass with per-column counts over a sliding window of rows (cache friendly).
    let mut out = vec![0u8; w * h];
    let mut cnt = vec![0u32; w];
    for row in tmp.chunks_exact(w).take(k.min(h)) {
        cnt.iter_mut().zip(row).for_each(|(c, &v)| *c += u32::from(v != 0));
    }
    for y in 0..h {
        if y + k < h {
            let row = &tmp[(y + k) * w..(y + k + 1) * w];
            cnt.iter_mut().zip(row).for_each(|(c, &v)| *c += u32::from(v != 0));
        }
        if y > k {
            let row = &tmp[(y - k - 1) * w..(y - k) * w];
            cnt.iter_mut().zip(row).for_each(|(c, &v)| *c -= u32::from(v != 0));
        }
        let len = (y + k).min(h - 1) - y.saturating_sub(k) + 1;
        let orow = &mut out[y * w..(y + 1) * w];
        let len = len as u32;
        for (o, &c) in orow.iter_mut().zip(cnt.iter()) {
            *o = decide(c, len);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_else(|| GrayImage::new(w as u32, h as u32))
}

fn contour_quads(edges: &GrayImage, out: &mut Vec<Quad>) {
    let closed = morph(edges, 1, false);
    outline_quads(&closed, true, out);
}

/// Quads from the outlines of the white regions of a binary image.
fn outline_quads(mask: &GrayImage, with_holes: bool, out: &mut Vec<Quad>) {
    let (w, h) = (mask.width() as f32, mask.height() as f32);
    let contours = find_contours::<i32>(mask);
    for c in &contours {
        if c.border_type == BorderType::Hole && !with_holes {
            continue;
        }
        if c.points.len() < 40 {
            continue;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for p in &c.points {
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        let (bw, bh) = ((x1 - x0) as f32, (y1 - y0) as f32);
        if bw < 0.12 * w.min(h) || bh < 0.12 * w.min(h) || bw * bh < 0.03 * w * h {
            continue;
        }
        let hull = convex_hull(c.points.clone());
        quads_from_hull(&hull, out);
    }
}

/// Quads approximating a convex hull: Douglas–Peucker to 4 vertices, the 4 longest sides extended,
/// and the largest-area 4-subset of a simplified hull.
fn quads_from_hull(hull: &[IPoint<i32>], out: &mut Vec<Quad>) {
    if hull.len() < 4 {
        return;
    }
    let pts: Vec<Point> = hull.iter().map(|p| Point::new(p.x as f32, p.y as f32)).collect();
    let mut per = 0.0f64;
    for i in 0..pts.len() {
        per += f64::from(pts[i].dist(pts[(i + 1) % pts.len()]));
    }
    if per < 40.0 {
        return;
    }
    for frac in [0.01, 0.02, 0.04] {
        let simp = approximate_polygon_dp(hull, (per * frac).max(1.0), true);
        let sp: Vec<Point> = simp.iter().map(|p| Point::new(p.x as f32, p.y as f32)).collect();
        if sp.len() == 4 {
            push_quad(out, [sp[0], sp[1], sp[2], sp[3]]);
        } else if sp.len() > 4 && sp.len() <= 14 {
            longest_sides_quad(&sp, out);
            max_area_quad(&sp, out);
        }
    }
}

fn push_quad(out: &mut Vec<Quad>, pts: [Point; 4]) {
    let q = Quad::from_points(pts);
    if q.is_convex() {
        out.push(q);
    }
}

fn longest_sides_quad(poly: &[Point], out: &mut Vec<Quad>) {
    let n = poly.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| {
        let la = poly[a].dist(poly[(a + 1) % n]);
        let lb = poly[b].dist(poly[(b + 1) % n]);
        lb.total_cmp(&la)
    });
    let mut sides: Vec<usize> = idx[..4].to_vec();
    sides.sort_unstable();
    let lines: Vec<Option<Line>> = sides.iter().map(|&i| Line::through(poly[i], poly[(i + 1) % n])).collect();
    let mut corners = [Point::default(); 4];
    for k in 0..4 {
        let (Some(a), Some(b)) = (lines[k], lines[(k + 1) % 4]) else {
            return;
        };
        let Some(p) = a.intersect(&b) else { return };
        corners[k] = p;
    }
    push_quad(out, corners);
}

fn max_area_quad(poly: &[Point], out: &mut Vec<Quad>) {
    let n = poly.len();
    let mut best = (0.0f32, [0usize; 4]);
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                for d in c + 1..n {
                    let q = [poly[a], poly[b], poly[c], poly[d]];
                    let ar = crate::geometry::polygon_area(&q).abs();
                    if ar > best.0 {
                        best = (ar, [a, b, c, d]);
                    }
                }
            }
        }
    }
    if best.0 > 0.0 {
        let [a, b, c, d] = best.1;
        push_quad(out, [poly[a], poly[b], poly[c], poly[d]]);
    }
}

fn region_quads(planes: &[crate::planes::Plane], out: &mut Vec<Quad>) {
    let l = &planes[0];
    let (w, h) = (l.w as u32, l.h as u32);
    let to_gray = |f: &dyn Fn(usize) -> f32| -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| Luma([f((y * w + x) as usize).clamp(0.0, 255.0) as u8]))
    };
    let mut maps: Vec<GrayImage> = Vec::new();
    let lum = to_gray(&|i| l.data[i]);
    let t = imageproc::contrast::otsu_level(&lum);
    maps.push(imageproc::contrast::threshold(&lum, t, imageproc::contrast::ThresholdType::Binary));
    maps.push(imageproc::contrast::threshold(&lum, t, imageproc::contrast::ThresholdType::BinaryInverted));
    // Several brightness levels: paper is usually the brightest large region, even when Otsu
    // splits the background's own pattern (tiles and grout) instead.
    let mut hist = [0usize; 256];
    for p in lum.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let total = (w * h) as usize;
    for q in [0.5f32, 0.7, 0.85] {
        let mut acc = 0;
        let mut level = 255u8;
        for (i, &n) in hist.iter().enumerate() {
            acc += n;
            if acc as f32 >= q * total as f32 {
                level = i as u8;
                break;
            }
        }
        if level.abs_diff(t) > 6 && level < 250 {
            maps.push(imageproc::contrast::threshold(&lum, level, imageproc::contrast::ThresholdType::Binary));
        }
    }
    if planes.len() >= 3 {
        let sat = to_gray(&|i| {
            let (a, b) = (planes[1].data[i], planes[2].data[i]);
            (a * a + b * b).sqrt() * 2.0
        });
        let ts = imageproc::contrast::otsu_level(&sat);
        if ts > 8 {
            maps.push(imageproc::contrast::threshold(&sat, ts, imageproc::contrast::ThresholdType::BinaryInverted));
        }
    }
    for m in maps {
        let opened = morph(&morph(&m, 2, true), 2, false);
        let closed = morph(&morph(&opened, 2, false), 2, true);
        outline_quads(&closed, false, out);
    }
}

/// Orientation-restricted Hough transform; combines pairs of near-parallel lines into quads.
fn line_quads(edges: &GrayImage, g: &Gradient, out: &mut Vec<Quad>) {
    let (w, h) = (edges.width() as usize, edges.height() as usize);
    let cx = w as f32 / 2.0;
    let cy = h as f32 / 2.0;
    let rmax = ((cx * cx + cy * cy).sqrt()).ceil() as i32 + 1;
    let nr = (2 * rmax + 1) as usize;
    const NT: usize = 180;
    let mut acc = vec![0u32; NT * nr];
    let trig: Vec<(f32, f32)> = (0..NT)
        .map(|t| {
            let a = (t as f32).to_radians();
            (a.cos(), a.sin())
        })
        .collect();
    for y in 0..h {
        for x in 0..w {
            if edges.get_pixel(x as u32, y as u32).0[0] == 0 {
                continue;
            }
            let i = y * w + x;
            let ang = g.gy.data[i].atan2(g.gx.data[i]).to_degrees();
            let base = ang.rem_euclid(180.0).round() as i32;
            let (px, py) = (x as f32 - cx, y as f32 - cy);
            for dt in -3..=3 {
                let t = (base + dt).rem_euclid(NT as i32) as usize;
                let (c, s) = trig[t];
                let r = (px * c + py * s).round() as i32 + rmax;
                if r >= 0 && (r as usize) < nr {
                    acc[t * nr + r as usize] += 1;
                }
            }
        }
    }
    let min_votes = (0.10 * w.min(h) as f32) as u32;
    let mut peaks: Vec<(u32, usize, usize)> = Vec::new();
    for t in 0..NT {
        for r in 0..nr {
            let v = acc[t * nr + r];
            if v < min_votes {
                continue;
            }
            let mut is_max = true;
            'n: for dt in -4i32..=4 {
                for dr in -4i32..=4 {
                    if dt == 0 && dr == 0 {
                        continue;
                    }
                    let mut tt = t as i32 + dt;
                    let mut rr = r as i32 + dr;
                    if tt < 0 || tt >= NT as i32 {
                        // Wrap: (θ ± 180°, −r).
                        tt = tt.rem_euclid(NT as i32);
                        rr = 2 * rmax - rr;
                    }
                    if rr < 0 || rr >= nr as i32 {
                        continue;
                    }
                    let o = acc[tt as usize * nr + rr as usize];
                    if o > v || (o == v && (dt, dr) < (0, 0)) {
                        is_max = false;
                        break 'n;
                    }
                }
            }
            if is_max {
                peaks.push((v, t, r));
            }
        }
    }
    peaks.sort_by_key(|p| std::cmp::Reverse(p.0));
    peaks.truncate(std::env::var("COFFRE_T_PEAKS").ok().and_then(|v| v.parse().ok()).unwrap_or(20));
    let lines: Vec<(f32, Line)> = peaks
        .iter()
        .map(|&(_, t, r)| {
            let theta = (t as f64).to_radians();
            let rr = f64::from(r as i32 - rmax);
            // Shift back from centred coordinates.
            let l = Line::from_polar(theta, rr + theta.cos() * f64::from(cx) + theta.sin() * f64::from(cy));
            (t as f32, l)
        })
        .collect();
    let min_sep = 0.1 * w.min(h) as f32;
    let centre = Point::new(cx, cy);
    let mut pairs: Vec<(usize, usize, f32)> = Vec::new();
    for i in 0..lines.len() {
        for j in i + 1..lines.len() {
            let d = angle_diff(lines[i].0, lines[j].0);
            if d > 35.0 {
                continue;
            }
            let sep = (lines[i].1.distance(centre) - lines[j].1.distance(centre)).abs() as f32;
            let sep2 = (lines[i].1.distance(centre) + lines[j].1.distance(centre)).abs() as f32;
            if sep.max(sep2) < min_sep && d < 10.0 {
                continue;
            }
            let mean = mean_angle(lines[i].0, lines[j].0);
            pairs.push((i, j, mean));
        }
    }
    let (wf, hf) = (w as f32, h as f32);
    for a in 0..pairs.len() {
        for b in a + 1..pairs.len() {
            let (i, j, ma) = pairs[a];
            let (k, l, mb) = pairs[b];
            if i == k || i == l || j == k || j == l || angle_diff(ma, mb) < 45.0 {
                continue;
            }
            let ls = [lines[i].1, lines[k].1, lines[j].1, lines[l].1];
            let mut corners = [Point::default(); 4];
            let mut ok = true;
            for m in 0..4 {
                match ls[m].intersect(&ls[(m + 1) % 4]) {
                    Some(p) if p.x > -0.1 * wf && p.x < 1.1 * wf && p.y > -0.1 * hf && p.y < 1.1 * hf => corners[m] = p,
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                push_quad(out, corners);
            }
        }
    }
}

fn angle_diff(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(180.0);
    d.min(180.0 - d)
}

fn mean_angle(a: f32, b: f32) -> f32 {
    let d = (b - a).rem_euclid(180.0);
    let d = if d > 90.0 { d - 180.0 } else { d };
    (a + d / 2.0).rem_euclid(180.0)
}

// ---------------------------------------------------------------------------------------------
// Scoring

struct ScoreCtx<'a> {
    /// Integral images of the working planes, `(w + 1) × (h + 1)`, for box means.
    integral: Vec<Vec<f64>>,
    grad: &'a Gradient,
    planes: &'a [crate::planes::Plane],
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
const STEP_MIN: f32 = 6.0;

impl ScoreCtx<'_> {
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
    fn grown(&self, q: &Quad) -> Vec<Quad> {
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
    fn continuation(&self, q: &Quad) -> f32 {
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
    fn fast_score(&self, q: &Quad) -> Option<f32> {
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

    fn score(&self, q: &Quad) -> Option<f32> {
        if !q.is_convex() {
            return None;
        }
        let (w, h) = (self.w, self.h);
        let frac = q.area() / (w * h);
        if !(0.02..=1.02).contains(&frac) {
            return None;
        }
        let angles = q.angles();
        let max_dev = angles.iter().map(|a| (a - 90.0).abs()).fold(0.0, f32::max);
        if max_dev > 55.0 {
            return None;
        }
        let sides = q.sides();
        let (s_min, s_max) =
            (sides.iter().copied().fold(f32::MAX, f32::min), sides.iter().copied().fold(0.0, f32::max));
        if s_min < 0.06 * w.min(h) {
            return None;
        }
        // Aspect of the document from mean opposite sides.
        let a1 = 0.5 * (sides[0] + sides[2]);
        let a2 = 0.5 * (sides[1] + sides[3]);
        let aspect = a1.max(a2) / a1.min(a2).max(1.0);
        if aspect > 6.0 || s_max / s_min > 8.0 {
            return None;
        }

        let mut supports = [0.0f32; 4];
        let mut contrasts = [0.0f32; 4];
        let mut inside_frac = [0.0f32; 4];
        let nch = self.planes.len();
        for k in 0..4 {
            let p0 = q.corners[k];
            let p1 = q.corners[(k + 1) % 4];
            let len = p0.dist(p1);
            let (tx, ty) = ((p1.x - p0.x) / len, (p1.y - p0.y) / len);
            let (nx, ny) = (ty, -tx); // outward for a clockwise quad
            // A side lying along the image border is the frame, not a document edge.
            let on_border = |a: f32, b: f32, lim: f32| {
                a.abs() < 3.0 && b.abs() < 3.0 || (a - lim).abs() < 3.0 && (b - lim).abs() < 3.0
            };
            if on_border(p0.x, p1.x, w - 1.0) || on_border(p0.y, p1.y, h - 1.0) {
                continue;
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
            inside_frac[k] = tot as f32 / n as f32;
            if tot > 0 {
                supports[k] = sup as f32 / tot as f32;
                diffs.sort_by(f32::total_cmp);
                contrasts[k] = diffs[diffs.len() / 2];
            }
        }
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
}

// ---------------------------------------------------------------------------------------------
// Refinement

/// Moves each side of `q` onto the strongest nearby edge of `img` (within `radius` pixels along the
/// side's normal), fitting a robust line per side; corners are the intersections of adjacent lines.
pub(crate) fn refine(q: &Quad, img: &dyn Sampler, radius: f32, step: f32) -> Option<Quad> {
    let nch = img.channels();
    let mut buf = vec![0.0f32; nch];
    let mut lines: Vec<Line> = Vec::with_capacity(4);
    let nd = (radius / step).ceil() as i32;
    let npos = (2 * nd + 3) as usize;
    let mut prof = vec![0.0f32; npos * nch];
    for k in 0..4 {
        let p0 = q.corners[k];
        let p1 = q.corners[(k + 1) % 4];
        let len = p0.dist(p1);
        if len < 4.0 {
            return None;
        }
        let (tx, ty) = ((p1.x - p0.x) / len, (p1.y - p0.y) / len);
        let (nx, ny) = (ty, -tx);
        let m = ((len / (4.0 * step)) as usize).clamp(8, 48);
        let mut pts: Vec<Point> = Vec::with_capacity(m);
        for i in 0..m {
            let s = 0.08 + 0.84 * (i as f32 + 0.5) / m as f32;
            let cx = p0.x + (p1.x - p0.x) * s;
            let cy = p0.y + (p1.y - p0.y) * s;
            // Profile across the side, averaged along it.
            prof.iter_mut().for_each(|v| *v = 0.0);
            for j in 0..npos {
                let d = (j as i32 - nd - 1) as f32 * step;
                for t in [-2.0f32, -1.0, 0.0, 1.0, 2.0] {
                    let x = cx + d * nx + t * step * tx;
                    let y = cy + d * ny + t * step * ty;
                    if x < 0.0 || y < 0.0 || x > img.width() - 1.0 || y > img.height() - 1.0 {
                        continue;
                    }
                    img.sample(x, y, &mut buf);
                    for c in 0..nch {
                        prof[j * nch + c] += buf[c] / 5.0;
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
                continue;
            }
            // Sub-sample peak by parabola.
            let (a, b, c) = (mags[j - 1], mags[j], mags[j + 1]);
            let den = a - 2.0 * b + c;
            let off = if den.abs() > 1e-6 { (0.5 * (a - c) / den).clamp(-0.5, 0.5) } else { 0.0 };
            let d = (j as f32 - nd as f32 - 1.0 + off) * step;
            pts.push(Point::new(cx + d * nx, cy + d * ny));
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn synthetic(w: u32, h: u32, quad: [[f32; 2]; 4]) -> RgbImage {
        let q = Quad::from_array(quad);
        let poly: Vec<IPoint<i32>> =
            q.corners.iter().map(|p| IPoint::new(p.x.round() as i32, p.y.round() as i32)).collect();
        let mut img = RgbImage::from_fn(w, h, |x, y| {
            let v = 90 + ((x / 7 + y / 5) % 3) as u8 * 10;
            Rgb([v + 20, v, v - 30])
        });
        imageproc::drawing::draw_polygon_mut(&mut img, &poly, Rgb([235, 235, 228]));
        img
    }

    #[test]
    fn finds_a_bright_quad_on_texture() {
        let truth = [[120.0, 80.0], [520.0, 100.0], [500.0, 430.0], [140.0, 400.0]];
        let img = synthetic(640, 480, truth);
        let d = detect(&img);
        let q = d.quad.expect("found");
        let t = Quad::from_array(truth);
        assert!(q.max_corner_distance(&t) < 3.0, "{q:?}");
        assert!(d.confidence > 0.5);
    }

    #[test]
    fn fast_morphology_matches_imageproc() {
        use imageproc::distance_transform::Norm;
        let mut state = 12345u64;
        let mask = GrayImage::from_fn(53, 41, |_, _| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Luma([if (state >> 33).is_multiple_of(3) { 255 } else { 0 }])
        });
        for k in [1u8, 2] {
            let d = imageproc::morphology::dilate(&mask, Norm::LInf, k);
            let e = imageproc::morphology::erode(&mask, Norm::LInf, k);
            assert_eq!(morph(&mask, k as usize, false), d, "dilate {k}");
            assert_eq!(morph(&mask, k as usize, true), e, "erode {k}");
        }
    }

    #[test]
    fn flat_and_black_frames_are_not_documents() {
        for v in [0u8, 255, 128] {
            let img = RgbImage::from_pixel(400, 300, Rgb([v, v, v]));
            assert!(!detect(&img).found());
        }
    }

    #[test]
    fn json_shapes() {
        let d = Detection { quad: None, confidence: 0.1 };
        assert_eq!(d.to_json(), r#"{"found":false}"#);
        let d = Detection {
            quad: Some(Quad::from_array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])),
            confidence: 0.93,
        };
        assert_eq!(
            d.to_json(),
            r#"{"found":true,"corners":[[0.0,0.0],[10.0,0.0],[10.0,10.0],[0.0,10.0]],"confidence":0.93}"#
        );
    }
}
