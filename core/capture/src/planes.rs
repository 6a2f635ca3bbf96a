//! Float working planes: fast area downsampling, blur, gradients, bilinear samplers.

use image::RgbImage;

use crate::decode::LumaFrame;

/// One float channel.
#[derive(Debug, Clone)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub data: Vec<f32>,
}

impl Plane {
    pub fn new(w: usize, h: usize) -> Self {
        Self { w, h, data: vec![0.0; w * h] }
    }

    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.w + x]
    }

    /// Bilinear sample, clamped to the border.
    #[inline]
    pub fn bilinear(&self, x: f32, y: f32) -> f32 {
        let xm = (self.w - 1) as f32;
        let ym = (self.h - 1) as f32;
        let x = x.clamp(0.0, xm);
        let y = y.clamp(0.0, ym);
        let x0 = x as usize;
        let y0 = y as usize;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let a = self.at(x0, y0) * (1.0 - fx) + self.at(x1, y0) * fx;
        let b = self.at(x0, y1) * (1.0 - fx) + self.at(x1, y1) * fx;
        a * (1.0 - fy) + b * fy
    }

    /// Separable binomial [1 4 6 4 1]/16 blur.
    pub fn blur5(&self) -> Plane {
        let (w, h) = (self.w, self.h);
        let mut tmp = Plane::new(w, h);
        let k = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
        for y in 0..h {
            let row = &self.data[y * w..(y + 1) * w];
            let out = &mut tmp.data[y * w..(y + 1) * w];
            for x in 0..w {
                let mut s = 0.0;
                for (i, kv) in k.iter().enumerate() {
                    let xx = (x as isize + i as isize - 2).clamp(0, w as isize - 1) as usize;
                    s += kv * row[xx];
                }
                out[x] = s;
            }
        }
        let mut out = Plane::new(w, h);
        for y in 0..h {
            let rows: [usize; 5] =
                std::array::from_fn(|i| (y as isize + i as isize - 2).clamp(0, h as isize - 1) as usize);
            for x in 0..w {
                let mut s = 0.0;
                for (i, kv) in k.iter().enumerate() {
                    s += kv * tmp.data[rows[i] * w + x];
                }
                out.data[y * w + x] = s;
            }
        }
        out
    }
}

/// Working-resolution channels: luma and (for colour input) two opponent chroma channels.
pub(crate) struct WorkImage {
    pub planes: Vec<Plane>,
    /// Full-resolution pixels per working pixel.
    pub scale: f32,
    pub w: usize,
    pub h: usize,
}

/// Output size and the per-output-pixel source sample positions for an area downsample (at most
/// 4 × 4 samples per output pixel: fewer let fine fabrics alias into false edges).
fn sample_grid(src: usize, dst: usize) -> Vec<Vec<usize>> {
    let s = src as f32 / dst as f32;
    let k = (s.ceil() as usize).clamp(1, 4);
    (0..dst)
        .map(|o| {
            (0..k)
                .map(|i| {
                    let p = (o as f32 + (i as f32 + 0.5) / k as f32) * s;
                    (p as usize).min(src - 1)
                })
                .collect()
        })
        .collect()
}

fn work_dims(w: u32, h: u32, max_side: u32) -> (usize, usize, f32) {
    let long = w.max(h) as f32;
    let s = (long / max_side as f32).max(1.0);
    let ow = ((w as f32 / s).round() as usize).max(1);
    let oh = ((h as f32 / s).round() as usize).max(1);
    (ow, oh, w as f32 / ow as f32)
}

impl WorkImage {
    /// Area-average downsample of an RGB image to at most `max_side`, as L and weighted opponent
    /// chroma C1 = w(R−G), C2 = w((R+G)/2−B).
    pub fn from_rgb(img: &RgbImage, max_side: u32) -> Self {
        let (ow, oh, scale) = work_dims(img.width(), img.height(), max_side);
        let xs = sample_grid(img.width() as usize, ow);
        let ys = sample_grid(img.height() as usize, oh);
        let raw = img.as_raw();
        let stride = img.width() as usize * 3;
        let mut l = Plane::new(ow, oh);
        let mut c1 = Plane::new(ow, oh);
        let mut c2 = Plane::new(ow, oh);
        let mut acc = vec![[0u32; 3]; ow];
        for (oy, yrow) in ys.iter().enumerate() {
            acc.iter_mut().for_each(|a| *a = [0; 3]);
            for &sy in yrow {
                let row = &raw[sy * stride..(sy + 1) * stride];
                for (ox, xcol) in xs.iter().enumerate() {
                    let a = &mut acc[ox];
                    for &sx in xcol {
                        let p = &row[sx * 3..sx * 3 + 3];
                        a[0] += u32::from(p[0]);
                        a[1] += u32::from(p[1]);
                        a[2] += u32::from(p[2]);
                    }
                }
            }
            for (ox, a) in acc.iter().enumerate() {
                let n = (yrow.len() * xs[ox].len()) as f32;
                let (r, g, b) = (a[0] as f32 / n, a[1] as f32 / n, a[2] as f32 / n);
                let i = oy * ow + ox;
                l.data[i] = 0.299 * r + 0.587 * g + 0.114 * b;
                c1.data[i] = CHROMA_WEIGHT * (r - g);
                c2.data[i] = CHROMA_WEIGHT * (0.5 * (r + g) - b);
            }
        }
        Self { planes: vec![l, c1, c2], scale, w: ow, h: oh }
    }

    /// Area-average downsample of a luma plane.
    pub fn from_luma(frame: &LumaFrame<'_>, max_side: u32) -> Self {
        let (ow, oh, scale) = work_dims(frame.width(), frame.height(), max_side);
        let xs = sample_grid(frame.width() as usize, ow);
        let ys = sample_grid(frame.height() as usize, oh);
        let mut l = Plane::new(ow, oh);
        let mut acc = vec![0u32; ow];
        for (oy, yrow) in ys.iter().enumerate() {
            acc.iter_mut().for_each(|a| *a = 0);
            for &sy in yrow {
                let row = frame.row(sy as u32);
                for (ox, xcol) in xs.iter().enumerate() {
                    for &sx in xcol {
                        acc[ox] += u32::from(row[sx]);
                    }
                }
            }
            for (ox, a) in acc.iter().enumerate() {
                l.data[oy * ow + ox] = *a as f32 / (yrow.len() * xs[ox].len()) as f32;
            }
        }
        Self { planes: vec![l], scale, w: ow, h: oh }
    }
}

/// Gradient field: per pixel, the Sobel gradient of the channel where it is strongest.
pub(crate) struct Gradient {
    pub gx: Plane,
    pub gy: Plane,
    pub mag: Plane,
}

/// Relative weight of chroma edges against luma edges (chroma is noisier in JPEG).
pub(crate) const CHROMA_WEIGHT: f32 = 0.6;

pub(crate) fn gradient(planes: &[Plane]) -> Gradient {
    let (w, h) = (planes[0].w, planes[0].h);
    let mut gx = Plane::new(w, h);
    let mut gy = Plane::new(w, h);
    let mut mag = Plane::new(w, h);
    let wt = 1.0 / 8.0;
    for p in planes {
        for y in 1..h.saturating_sub(1) {
            let r0 = &p.data[(y - 1) * w..y * w];
            let r1 = &p.data[y * w..(y + 1) * w];
            let r2 = &p.data[(y + 1) * w..(y + 2) * w];
            for x in 1..w - 1 {
                let dx = (r0[x + 1] + 2.0 * r1[x + 1] + r2[x + 1]) - (r0[x - 1] + 2.0 * r1[x - 1] + r2[x - 1]);
                let dy = (r2[x - 1] + 2.0 * r2[x] + r2[x + 1]) - (r0[x - 1] + 2.0 * r0[x] + r0[x + 1]);
                let (dx, dy) = (dx * wt, dy * wt);
                let m = (dx * dx + dy * dy).sqrt();
                let i = y * w + x;
                if m > mag.data[i] {
                    mag.data[i] = m;
                    gx.data[i] = dx;
                    gy.data[i] = dy;
                }
            }
        }
    }
    Gradient { gx, gy, mag }
}

/// Anything the corner refiner can sample: a few float channels at sub-pixel positions.
pub(crate) trait Sampler {
    fn width(&self) -> f32;
    fn height(&self) -> f32;
    fn channels(&self) -> usize;
    /// Writes the channel values at `(x, y)` (clamped to the border) into `out`.
    fn sample(&self, x: f32, y: f32, out: &mut [f32]);
}

impl Sampler for WorkImage {
    fn width(&self) -> f32 {
        self.w as f32
    }
    fn height(&self) -> f32 {
        self.h as f32
    }
    fn channels(&self) -> usize {
        self.planes.len()
    }
    fn sample(&self, x: f32, y: f32, out: &mut [f32]) {
        for (o, p) in out.iter_mut().zip(&self.planes) {
            *o = p.bilinear(x, y);
        }
    }
}

/// Full-resolution RGB sampled as L, C1, C2 (same weights as the working planes).
pub(crate) struct RgbSampler<'a>(pub &'a RgbImage);

impl Sampler for RgbSampler<'_> {
    fn width(&self) -> f32 {
        self.0.width() as f32
    }
    fn height(&self) -> f32 {
        self.0.height() as f32
    }
    fn channels(&self) -> usize {
        3
    }
    fn sample(&self, x: f32, y: f32, out: &mut [f32]) {
        let img = self.0;
        let x = x.clamp(0.0, (img.width() - 1) as f32);
        let y = y.clamp(0.0, (img.height() - 1) as f32);
        let x0 = x as u32;
        let y0 = y as u32;
        let x1 = (x0 + 1).min(img.width() - 1);
        let y1 = (y0 + 1).min(img.height() - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let mut c = [0.0f32; 3];
        for (ch, cv) in c.iter_mut().enumerate() {
            let p = |xx, yy| f32::from(img.get_pixel(xx, yy).0[ch]);
            let a = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let b = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            *cv = a * (1.0 - fy) + b * fy;
        }
        let (r, g, b) = (c[0], c[1], c[2]);
        let vals = [0.299 * r + 0.587 * g + 0.114 * b, CHROMA_WEIGHT * (r - g), CHROMA_WEIGHT * (0.5 * (r + g) - b)];
        for (o, v) in out.iter_mut().zip(vals) {
            *o = v;
        }
    }
}

/// Full-resolution luma frame sampler.
pub(crate) struct LumaSampler<'a>(pub &'a LumaFrame<'a>);

impl Sampler for LumaSampler<'_> {
    fn width(&self) -> f32 {
        self.0.width() as f32
    }
    fn height(&self) -> f32 {
        self.0.height() as f32
    }
    fn channels(&self) -> usize {
        1
    }
    fn sample(&self, x: f32, y: f32, out: &mut [f32]) {
        let f = self.0;
        let x = x.clamp(0.0, (f.width() - 1) as f32);
        let y = y.clamp(0.0, (f.height() - 1) as f32);
        let x0 = x as u32;
        let y0 = y as u32;
        let x1 = (x0 + 1).min(f.width() - 1);
        let y1 = (y0 + 1).min(f.height() - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let r0 = f.row(y0);
        let r1 = f.row(y1);
        let a = f32::from(r0[x0 as usize]) * (1.0 - fx) + f32::from(r0[x1 as usize]) * fx;
        let b = f32::from(r1[x0 as usize]) * (1.0 - fx) + f32::from(r1[x1 as usize]) * fx;
        if let Some(o) = out.first_mut() {
            *o = a * (1.0 - fy) + b * fy;
        }
    }
}
