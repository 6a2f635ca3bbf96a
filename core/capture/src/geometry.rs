//! Small plane geometry: points, quads, homographies, line fits, polygon IoU.

use serde::{Deserialize, Serialize};

/// A point in pixel coordinates (x to the right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    /// Column, in pixels.
    pub x: f32,
    /// Row, in pixels.
    pub y: f32,
}

impl Point {
    /// A point.
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    pub(crate) fn dist(self, o: Point) -> f32 {
        ((self.x - o.x).powi(2) + (self.y - o.y).powi(2)).sqrt()
    }

    pub(crate) fn is_finite(self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }
}

/// Four corners of a document, clockwise from top-left in image coordinates:
/// top-left, top-right, bottom-right, bottom-left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quad {
    /// The corners in the order TL, TR, BR, BL.
    pub corners: [Point; 4],
}

impl Quad {
    /// Builds a quad from four points in any order: they are sorted clockwise around their centroid,
    /// starting with the corner nearest the image's top-left (smallest x + y).
    pub fn from_points(points: [Point; 4]) -> Self {
        let cx = points.iter().map(|p| p.x).sum::<f32>() / 4.0;
        let cy = points.iter().map(|p| p.y).sum::<f32>() / 4.0;
        let mut pts = points;
        // atan2 with y down: increasing angle is clockwise on screen.
        pts.sort_by(|a, b| {
            let aa = (a.y - cy).atan2(a.x - cx);
            let bb = (b.y - cy).atan2(b.x - cx);
            aa.total_cmp(&bb)
        });
        let start = (0..4).min_by(|&i, &j| (pts[i].x + pts[i].y).total_cmp(&(pts[j].x + pts[j].y))).unwrap_or(0);
        let corners = [pts[start], pts[(start + 1) % 4], pts[(start + 2) % 4], pts[(start + 3) % 4]];
        Self { corners }
    }

    /// [`Quad::from_points`] when the result is convex: the one shape check of every candidate source.
    pub(crate) fn convex_from(points: [Point; 4]) -> Option<Self> {
        let q = Self::from_points(points);
        q.is_convex().then_some(q)
    }

    /// Builds a quad from `[[x, y]; 4]`, sorting the corners like [`Quad::from_points`].
    pub fn from_array(a: [[f32; 2]; 4]) -> Self {
        Self::from_points(a.map(|p| Point::new(p[0], p[1])))
    }

    /// Corners as `[[x, y]; 4]`.
    pub fn to_array(&self) -> [[f32; 2]; 4] {
        self.corners.map(|p| [p.x, p.y])
    }

    /// Area in square pixels (shoelace).
    pub fn area(&self) -> f32 {
        polygon_area(&self.corners).abs()
    }

    /// The quad with every coordinate multiplied by `s`.
    pub fn scaled(&self, s: f32) -> Self {
        Self { corners: self.corners.map(|p| Point::new(p.x * s, p.y * s)) }
    }

    /// True when every corner is finite and the polygon is strictly convex and clockwise.
    pub fn is_convex(&self) -> bool {
        if !self.corners.iter().all(|p| p.is_finite()) {
            return false;
        }
        let mut sign = 0.0f32;
        for i in 0..4 {
            let a = self.corners[i];
            let b = self.corners[(i + 1) % 4];
            let c = self.corners[(i + 2) % 4];
            let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
            if cross.abs() < 1e-6 {
                return false;
            }
            if sign == 0.0 {
                sign = cross.signum();
            } else if cross.signum() != sign {
                return false;
            }
        }
        true
    }

    /// Interior angles in degrees.
    pub(crate) fn angles(&self) -> [f32; 4] {
        let mut out = [0.0; 4];
        for (i, o) in out.iter_mut().enumerate() {
            let p = self.corners[i];
            let a = self.corners[(i + 3) % 4];
            let b = self.corners[(i + 1) % 4];
            let (ux, uy) = (a.x - p.x, a.y - p.y);
            let (vx, vy) = (b.x - p.x, b.y - p.y);
            let d = ((ux * ux + uy * uy) * (vx * vx + vy * vy)).sqrt().max(1e-9);
            *o = ((ux * vx + uy * vy) / d).clamp(-1.0, 1.0).acos().to_degrees();
        }
        out
    }

    /// Side lengths: top, right, bottom, left.
    pub(crate) fn sides(&self) -> [f32; 4] {
        let c = &self.corners;
        [c[0].dist(c[1]), c[1].dist(c[2]), c[2].dist(c[3]), c[3].dist(c[0])]
    }

    /// Largest corner displacement to `other`, in pixels (corners compared in order).
    pub fn max_corner_distance(&self, other: &Quad) -> f32 {
        (0..4).map(|i| self.corners[i].dist(other.corners[i])).fold(0.0, f32::max)
    }
}

pub(crate) fn polygon_area(p: &[Point]) -> f32 {
    let n = p.len();
    let mut s = 0.0f64;
    for i in 0..n {
        let a = p[i];
        let b = p[(i + 1) % n];
        s += f64::from(a.x) * f64::from(b.y) - f64::from(b.x) * f64::from(a.y);
    }
    (s / 2.0) as f32
}

/// Intersection over union of two convex quads (0 when either is degenerate).
pub fn quad_iou(a: &Quad, b: &Quad) -> f32 {
    let inter = convex_clip(&a.corners, &b.corners);
    let ia = polygon_area(&inter).abs();
    let ua = a.area() + b.area() - ia;
    if ua <= 0.0 { 0.0 } else { (ia / ua).clamp(0.0, 1.0) }
}

/// Sutherland–Hodgman clipping of `subject` by the convex polygon `clip`.
fn convex_clip(subject: &[Point], clip: &[Point]) -> Vec<Point> {
    let orient = polygon_area(clip).signum();
    let mut out: Vec<Point> = subject.to_vec();
    let n = clip.len();
    for i in 0..n {
        if out.is_empty() {
            break;
        }
        let a = clip[i];
        let b = clip[(i + 1) % n];
        let inside = |p: Point| orient * ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)) >= 0.0;
        let input = std::mem::take(&mut out);
        let m = input.len();
        for j in 0..m {
            let cur = input[j];
            let prev = input[(j + m - 1) % m];
            let (ci, pi) = (inside(cur), inside(prev));
            if ci {
                if !pi && let Some(x) = seg_line_intersection(prev, cur, a, b) {
                    out.push(x);
                }
                out.push(cur);
            } else if pi && let Some(x) = seg_line_intersection(prev, cur, a, b) {
                out.push(x);
            }
        }
    }
    out
}

fn seg_line_intersection(p: Point, q: Point, a: Point, b: Point) -> Option<Point> {
    let l1 = Line::through(p, q)?;
    let l2 = Line::through(a, b)?;
    l1.intersect(&l2)
}

/// A line `a x + b y = c` with `a² + b² = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Line {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

impl Line {
    pub fn through(p: Point, q: Point) -> Option<Line> {
        let dx = f64::from(q.x - p.x);
        let dy = f64::from(q.y - p.y);
        let n = (dx * dx + dy * dy).sqrt();
        if n < 1e-9 {
            return None;
        }
        let a = -dy / n;
        let b = dx / n;
        let c = a * f64::from(p.x) + b * f64::from(p.y);
        Some(Line { a, b, c })
    }

    pub fn from_polar(theta: f64, r: f64) -> Line {
        Line { a: theta.cos(), b: theta.sin(), c: r }
    }

    pub fn intersect(&self, o: &Line) -> Option<Point> {
        let det = self.a * o.b - self.b * o.a;
        if det.abs() < 1e-9 {
            return None;
        }
        let x = (self.c * o.b - self.b * o.c) / det;
        let y = (self.a * o.c - self.c * o.a) / det;
        let p = Point::new(x as f32, y as f32);
        p.is_finite().then_some(p)
    }

    pub fn distance(&self, p: Point) -> f64 {
        self.a * f64::from(p.x) + self.b * f64::from(p.y) - self.c
    }

    /// Total least squares fit with weights; None when degenerate.
    pub fn fit_weighted(points: &[Point], weights: &[f64]) -> Option<Line> {
        let mut sw = 0.0;
        let (mut mx, mut my) = (0.0, 0.0);
        for (p, &w) in points.iter().zip(weights) {
            sw += w;
            mx += w * f64::from(p.x);
            my += w * f64::from(p.y);
        }
        if sw <= 1e-12 {
            return None;
        }
        mx /= sw;
        my /= sw;
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (p, &w) in points.iter().zip(weights) {
            let dx = f64::from(p.x) - mx;
            let dy = f64::from(p.y) - my;
            sxx += w * dx * dx;
            sxy += w * dx * dy;
            syy += w * dy * dy;
        }
        // Direction = principal eigenvector; normal is orthogonal.
        let theta = 0.5 * (2.0 * sxy).atan2(sxx - syy);
        let (dx, dy) = (theta.cos(), theta.sin());
        let (a, b) = (-dy, dx);
        Some(Line { a, b, c: a * mx + b * my })
    }

    /// Robust fit: weighted TLS re-weighted with Tukey's biweight.
    pub fn fit_robust(points: &[Point], min_scale: f64) -> Option<Line> {
        if points.len() < 2 {
            return None;
        }
        let mut w = vec![1.0; points.len()];
        let mut line = Line::fit_weighted(points, &w)?;
        for _ in 0..5 {
            let mut res: Vec<f64> = points.iter().map(|p| line.distance(*p).abs()).collect();
            let mut sorted = res.clone();
            sorted.sort_by(f64::total_cmp);
            let med = sorted[sorted.len() / 2];
            let scale = (med * 1.4826 * 4.685).max(min_scale);
            for (wi, r) in w.iter_mut().zip(res.iter_mut()) {
                let u = *r / scale;
                *wi = if u < 1.0 { (1.0 - u * u).powi(2) } else { 0.0 };
            }
            line = Line::fit_weighted(points, &w)?;
        }
        Some(line)
    }
}

/// A plane projective transform, row-major 3×3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Homography(pub [f64; 9]);

impl Homography {
    /// The homography mapping `from[i]` to `to[i]`.
    pub fn from_points(from: &[Point; 4], to: &[Point; 4]) -> Option<Homography> {
        let mut m = [[0.0f64; 9]; 8];
        for i in 0..4 {
            let (x, y) = (f64::from(from[i].x), f64::from(from[i].y));
            let (u, v) = (f64::from(to[i].x), f64::from(to[i].y));
            m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        let h = solve8(m)?;
        Some(Homography([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]))
    }

    #[cfg(test)]
    pub fn apply(&self, p: Point) -> Point {
        let h = &self.0;
        let (x, y) = (f64::from(p.x), f64::from(p.y));
        let w = h[6] * x + h[7] * y + h[8];
        let w = if w.abs() < 1e-12 { 1e-12 } else { w };
        Point::new(((h[0] * x + h[1] * y + h[2]) / w) as f32, ((h[3] * x + h[4] * y + h[5]) / w) as f32)
    }
}

/// Gaussian elimination with partial pivoting on an 8×9 augmented matrix.
fn solve8(mut m: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let piv = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, piv);
        for r in 0..8 {
            if r != col {
                let f = m[r][col] / m[col][col];
                if f != 0.0 {
                    for c in col..9 {
                        m[r][c] -= f * m[col][c];
                    }
                }
            }
        }
    }
    let mut out = [0.0; 8];
    for i in 0..8 {
        out[i] = m[i][8] / m[i][i];
        if !out[i].is_finite() {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(a: [[f32; 2]; 4]) -> Quad {
        Quad::from_array(a)
    }

    #[test]
    fn orders_clockwise_from_top_left() {
        let quad = q([[10.0, 90.0], [90.0, 10.0], [10.0, 10.0], [90.0, 90.0]]);
        assert_eq!(quad.to_array(), [[10.0, 10.0], [90.0, 10.0], [90.0, 90.0], [10.0, 90.0]]);
        assert!(quad.is_convex());
    }

    #[test]
    fn iou_of_shifted_squares() {
        let a = q([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]);
        let b = q([[5.0, 0.0], [15.0, 0.0], [15.0, 10.0], [5.0, 10.0]]);
        assert!((quad_iou(&a, &b) - 1.0 / 3.0).abs() < 1e-4);
        assert!((quad_iou(&a, &a) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn homography_maps_corners() {
        let from = [Point::new(0.0, 0.0), Point::new(1.0, 0.0), Point::new(1.0, 1.0), Point::new(0.0, 1.0)];
        let to = [Point::new(10.0, 20.0), Point::new(200.0, 30.0), Point::new(220.0, 300.0), Point::new(5.0, 250.0)];
        let h = Homography::from_points(&from, &to).expect("solvable");
        for i in 0..4 {
            assert!(h.apply(from[i]).dist(to[i]) < 1e-3);
        }
    }

    #[test]
    fn robust_line_ignores_outliers() {
        let mut pts: Vec<Point> = (0..50).map(|i| Point::new(i as f32, 2.0 * i as f32 + 1.0)).collect();
        pts.push(Point::new(10.0, 200.0));
        pts.push(Point::new(30.0, -100.0));
        let l = Line::fit_robust(&pts, 0.5).expect("fit");
        assert!(l.distance(Point::new(20.0, 41.0)).abs() < 1e-3);
    }
}
