//! Perspective correction into an upright rectangle, with snapping to A4 / Letter / ID-1 proportions.

use image::{Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use crate::error::{CaptureError, Result};
use crate::geometry::{Homography, Point, Quad};

/// Physical format the page was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PaperFormat {
    /// ISO A4, 210 × 297 mm.
    A4,
    /// US Letter, 215.9 × 279.4 mm.
    Letter,
    /// ISO/IEC 7810 ID-1 card, 85.60 × 53.98 mm (identity card, titre de séjour, carte Vitale).
    Id1,
    /// Anything else (receipt, half sheet...): proportions measured from the photo.
    Other,
}

impl PaperFormat {
    /// (short, long) side in millimetres, when known.
    pub fn size_mm(self) -> Option<(f32, f32)> {
        match self {
            PaperFormat::A4 => Some((210.0, 297.0)),
            PaperFormat::Letter => Some((215.9, 279.4)),
            PaperFormat::Id1 => Some((53.98, 85.60)),
            PaperFormat::Other => None,
        }
    }
}

/// How to deskew.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeskewOptions {
    /// Snap to A4 / Letter / ID-1 when the measured proportions are within `snap_tolerance`.
    pub snap: bool,
    /// Relative tolerance on long/short for snapping (default 0.06).
    pub snap_tolerance: f32,
    /// Output resolution for recognised formats, in dots per inch.
    pub dpi: f32,
    /// Cap on the output's long side, in pixels (also used for unrecognised formats).
    pub max_long_side: u32,
}

impl Default for DeskewOptions {
    fn default() -> Self {
        Self { snap: true, snap_tolerance: 0.06, dpi: 300.0, max_long_side: 3508 }
    }
}

/// An upright page cut out of a photo.
#[derive(Debug, Clone)]
pub struct Deskewed {
    /// The page pixels.
    pub image: RgbImage,
    /// Recognised format.
    pub format: PaperFormat,
    /// Resolution in dots per inch when the format is known (else an estimate assuming 200 dpi).
    pub dpi: f32,
}

/// Estimates the true width/height ratio of the rectangle seen as `q` (TL, TR, BR, BL), using
/// Zhang & He's focal-length-aware method ("Whiteboard scanning", 2007) with the principal point at
/// the image centre; falls back to mean opposite side lengths when the view is nearly frontal.
pub fn estimate_aspect(q: &Quad, image_w: u32, image_h: u32) -> f32 {
    let c = &q.corners;
    let sides = q.sides();
    let naive = (sides[0] + sides[2]) / (sides[1] + sides[3]).max(1e-3);
    let (u0, v0) = (f64::from(image_w) / 2.0, f64::from(image_h) / 2.0);
    let h = |p: Point| [f64::from(p.x) - u0, f64::from(p.y) - v0, 1.0];
    // Zhang's numbering: m1=(0,0), m2=(w,0), m3=(0,h), m4=(w,h).
    let (m1, m2, m3, m4) = (h(c[0]), h(c[1]), h(c[3]), h(c[2]));
    let cross =
        |a: [f64; 3], b: [f64; 3]| [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let k2 = dot(cross(m1, m4), m3) / dot(cross(m2, m4), m3);
    let k3 = dot(cross(m1, m4), m2) / dot(cross(m3, m4), m2);
    let n2 = [k2 * m2[0] - m1[0], k2 * m2[1] - m1[1], k2 * m2[2] - m1[2]];
    let n3 = [k3 * m3[0] - m1[0], k3 * m3[1] - m1[1], k3 * m3[2] - m1[2]];
    let diag = (u0 * u0 + v0 * v0).sqrt() * 2.0;
    // Nearly frontal: the vanishing points are at infinity and f is unobservable.
    if (n2[2] * n3[2]).abs() < 1e-6 || !k2.is_finite() || !k3.is_finite() {
        return naive;
    }
    let f2 = -(n2[0] * n3[0] + n2[1] * n3[1]) / (n2[2] * n3[2]);
    if !(f2.is_finite() && f2 > (0.3 * diag).powi(2) && f2 < (6.0 * diag).powi(2)) {
        return naive;
    }
    let nn = |n: [f64; 3]| (n[0] * n[0] + n[1] * n[1]) / f2 + n[2] * n[2];
    let r = (nn(n2) / nn(n3)).sqrt() as f32;
    if r.is_finite() && r > 0.0 && (r / naive - 1.0).abs() < 0.5 { r } else { naive }
}

/// Picks the format whose proportions are nearest to `aspect` (width/height), within tolerance.
pub fn snap_format(aspect: f32, tolerance: f32) -> PaperFormat {
    let r = if aspect >= 1.0 { aspect } else { 1.0 / aspect };
    let mut best = (f32::MAX, PaperFormat::Other);
    for f in [PaperFormat::A4, PaperFormat::Letter, PaperFormat::Id1] {
        if let Some((s, l)) = f.size_mm() {
            let e = (r / (l / s) - 1.0).abs();
            if e < tolerance && e < best.0 {
                best = (e, f);
            }
        }
    }
    best.1
}

/// Warps the quad `q` of `img` into an upright rectangle.
pub fn deskew(img: &RgbImage, q: &Quad, opts: &DeskewOptions) -> Result<Deskewed> {
    validate_quad(q, img.width(), img.height())?;
    let aspect = estimate_aspect(q, img.width(), img.height());
    let format = if opts.snap { snap_format(aspect, opts.snap_tolerance) } else { PaperFormat::Other };
    let landscape = aspect >= 1.0;
    let (mut w, mut h, mut dpi) = match format.size_mm() {
        Some((s, l)) => {
            let (wmm, hmm) = if landscape { (l, s) } else { (s, l) };
            (wmm / 25.4 * opts.dpi, hmm / 25.4 * opts.dpi, opts.dpi)
        }
        None => {
            // Native size: the longer of each pair of opposite sides.
            let s = q.sides();
            let long = s.iter().copied().fold(0.0, f32::max);
            let (w, h) = if landscape { (long, long / aspect) } else { (long * aspect, long) };
            (w, h, 200.0)
        }
    };
    let long = w.max(h);
    let cap = opts.max_long_side as f32;
    if long > cap {
        let k = cap / long;
        w *= k;
        h *= k;
        dpi *= k;
    }
    let (ow, oh) = ((w.round() as u32).max(8), (h.round() as u32).max(8));
    let image = warp(img, q, ow, oh)?;
    Ok(Deskewed { image, format, dpi })
}

pub(crate) fn validate_quad(q: &Quad, w: u32, h: u32) -> Result<()> {
    if !q.is_convex() {
        return Err(CaptureError::InvalidCorners("not a convex quadrilateral"));
    }
    let (wf, hf) = (w as f32, h as f32);
    let margin = 0.25 * wf.max(hf);
    if q.corners.iter().any(|p| p.x < -margin || p.y < -margin || p.x > wf + margin || p.y > hf + margin) {
        return Err(CaptureError::InvalidCorners("corners far outside the image"));
    }
    if q.area() < 64.0 {
        return Err(CaptureError::InvalidCorners("quadrilateral too small"));
    }
    Ok(())
}

/// Perspective warp with bilinear sampling, 2×2 supersampled when shrinking.
pub(crate) fn warp(img: &RgbImage, q: &Quad, ow: u32, oh: u32) -> Result<RgbImage> {
    let dst = [
        Point::new(0.0, 0.0),
        Point::new(ow as f32, 0.0),
        Point::new(ow as f32, oh as f32),
        Point::new(0.0, oh as f32),
    ];
    let hmg =
        Homography::from_points(&dst, &q.corners).ok_or(CaptureError::InvalidCorners("degenerate quadrilateral"))?;
    let shrink = (q.sides()[0] / ow as f32).max(q.sides()[1] / oh as f32);
    let offs: &[(f32, f32)] =
        if shrink > 1.6 { &[(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] } else { &[(0.5, 0.5)] };
    let (iw, ih) = (img.width() as f32, img.height() as f32);
    let raw = img.as_raw();
    let stride = img.width() as usize * 3;
    let mut out = RgbImage::new(ow, oh);
    let hm = hmg.0;
    for y in 0..oh {
        for x in 0..ow {
            let mut acc = [0.0f32; 3];
            for &(dx, dy) in offs {
                let (u, v) = (f64::from(x as f32 + dx), f64::from(y as f32 + dy));
                let wz = hm[6] * u + hm[7] * v + hm[8];
                let sx = ((hm[0] * u + hm[1] * v + hm[2]) / wz) as f32 - 0.5;
                let sy = ((hm[3] * u + hm[4] * v + hm[5]) / wz) as f32 - 0.5;
                let sx = sx.clamp(0.0, iw - 1.001);
                let sy = sy.clamp(0.0, ih - 1.001);
                let (x0, y0) = (sx as usize, sy as usize);
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let i00 = y0 * stride + x0 * 3;
                let i10 = i00 + 3;
                let i01 = i00 + stride;
                let i11 = i01 + 3;
                for c in 0..3 {
                    let a = f32::from(raw[i00 + c]) * (1.0 - fx) + f32::from(raw[i10 + c]) * fx;
                    let b = f32::from(raw[i01 + c]) * (1.0 - fx) + f32::from(raw[i11 + c]) * fx;
                    acc[c] += a * (1.0 - fy) + b * fy;
                }
            }
            let n = offs.len() as f32;
            out.put_pixel(x, y, Rgb(acc.map(|v| (v / n).round().clamp(0.0, 255.0) as u8)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontal_aspect_is_side_ratio() {
        let q = Quad::from_array([[100.0, 100.0], [310.0, 100.0], [310.0, 397.0], [100.0, 397.0]]);
        let a = estimate_aspect(&q, 640, 480);
        assert!((a - 210.0 / 297.0).abs() < 0.01, "{a}");
        assert_eq!(snap_format(a, 0.06), PaperFormat::A4);
        assert_eq!(snap_format(85.6 / 53.98, 0.06), PaperFormat::Id1);
        assert_eq!(snap_format(3.0, 0.06), PaperFormat::Other);
    }

    #[test]
    fn rejects_bad_corners() {
        let img = RgbImage::new(100, 100);
        let bow = Quad {
            corners: [Point::new(0.0, 0.0), Point::new(90.0, 90.0), Point::new(90.0, 0.0), Point::new(0.0, 90.0)],
        };
        assert!(deskew(&img, &bow, &DeskewOptions::default()).is_err());
    }
}
