//! Candidate quads from straight lines: an orientation-restricted Hough transform, its strongest
//! peaks, and every pair of near-parallel lines crossed with another pair.

use image::GrayImage;

use crate::geometry::{Line, Point, Quad};
use crate::planes::Gradient;

/// Strongest Hough peaks kept as lines (their pairs of pairs grow as the fourth power).
const LINE_PEAKS: usize = 20;

/// Angle bins of the accumulator, one per degree.
const NT: usize = 180;

/// Orientation-restricted Hough transform; combines pairs of near-parallel lines into quads.
pub(super) fn line_quads(edges: &GrayImage, g: &Gradient, out: &mut Vec<Quad>) {
    let (w, h) = (edges.width() as usize, edges.height() as usize);
    let acc = Accumulator::vote(edges, g);
    let lines = acc.strongest_lines((0.10 * w.min(h) as f32) as u32);
    let pairs = parallel_pairs(&lines, 0.1 * w.min(h) as f32, Point::new(acc.cx, acc.cy));
    crossed_pairs(&lines, &pairs, w as f32, h as f32, out);
}

/// Votes per (angle, distance) bin; distances from the image centre, offset by `rmax`.
struct Accumulator {
    votes: Vec<u32>,
    nr: usize,
    rmax: i32,
    cx: f32,
    cy: f32,
}

impl Accumulator {
    /// Each edge pixel votes for the lines within 3° of its gradient's normal.
    fn vote(edges: &GrayImage, g: &Gradient) -> Self {
        let (w, h) = (edges.width() as usize, edges.height() as usize);
        let cx = w as f32 / 2.0;
        let cy = h as f32 / 2.0;
        let rmax = ((cx * cx + cy * cy).sqrt()).ceil() as i32 + 1;
        let nr = (2 * rmax + 1) as usize;
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
        Self { votes: acc, nr, rmax, cx, cy }
    }

    /// Whether bin `(t, r)` holding `v` votes is the maximum of its 9×9 neighbourhood (ties go to
    /// the first bin in scan order; angles wrap to `(θ ± 180°, −r)`).
    fn is_peak(&self, t: usize, r: usize, v: u32) -> bool {
        let (nr, rmax, acc) = (self.nr, self.rmax, &self.votes);
        for dt in -4i32..=4 {
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
                    return false;
                }
            }
        }
        true
    }

    /// The [`LINE_PEAKS`] strongest peaks with at least `min_votes`, as `(angle in degrees, line)`
    /// in image coordinates.
    fn strongest_lines(&self, min_votes: u32) -> Vec<(f32, Line)> {
        let nr = self.nr;
        let mut peaks: Vec<(u32, usize, usize)> = Vec::new();
        for t in 0..NT {
            for r in 0..nr {
                let v = self.votes[t * nr + r];
                if v >= min_votes && self.is_peak(t, r, v) {
                    peaks.push((v, t, r));
                }
            }
        }
        peaks.sort_by_key(|p| std::cmp::Reverse(p.0));
        peaks.truncate(LINE_PEAKS);
        let (rmax, cx, cy) = (self.rmax, self.cx, self.cy);
        peaks
            .iter()
            .map(|&(_, t, r)| {
                let theta = (t as f64).to_radians();
                let rr = f64::from(r as i32 - rmax);
                // Shift back from centred coordinates.
                let l = Line::from_polar(theta, rr + theta.cos() * f64::from(cx) + theta.sin() * f64::from(cy));
                (t as f32, l)
            })
            .collect()
    }
}

/// Pairs of lines within 35° of each other (opposite sides of a document), with their mean angle;
/// nearly identical lines (closer than `min_sep` and within 10°) are not a pair.
fn parallel_pairs(lines: &[(f32, Line)], min_sep: f32, centre: Point) -> Vec<(usize, usize, f32)> {
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
    pairs
}

/// Quads from two pairs of four distinct lines at least 45° apart whose corners lie near the
/// `wf × hf` frame.
fn crossed_pairs(lines: &[(f32, Line)], pairs: &[(usize, usize, f32)], wf: f32, hf: f32, out: &mut Vec<Quad>) {
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
                out.extend(Quad::convex_from(corners));
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
