//! Candidate quads from outlines: of closed edge contours, and of bright, dark and low-chroma
//! regions (Otsu and quantile masks). Each outline's convex hull is turned into a few quads.

use image::{GrayImage, Luma};
use imageproc::contours::{BorderType, find_contours};
use imageproc::geometry::{approximate_polygon_dp, convex_hull};
use imageproc::point::Point as IPoint;

use crate::geometry::{Line, Point, Quad};
use crate::planes::Plane;

use super::morph::morph;

pub(super) fn contour_quads(edges: &GrayImage, out: &mut Vec<Quad>) {
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
            out.extend(Quad::convex_from([sp[0], sp[1], sp[2], sp[3]]));
        } else if sp.len() > 4 && sp.len() <= 14 {
            longest_sides_quad(&sp, out);
            max_area_quad(&sp, out);
        }
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
    out.extend(Quad::convex_from(corners));
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
        out.extend(Quad::convex_from([poly[a], poly[b], poly[c], poly[d]]));
    }
}

pub(super) fn region_quads(planes: &[Plane], out: &mut Vec<Quad>) {
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
