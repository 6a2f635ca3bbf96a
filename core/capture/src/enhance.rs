//! Enhancement: illumination flattening (shadow and background removal), then colour, greyscale or
//! black-and-white text output.

use image::{GrayImage, Luma, Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use crate::deskew::PaperFormat;
use crate::lighting::LightField;

/// Output mode of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Colour, background whitened (ID cards, coloured forms, photos).
    Colour,
    /// Greyscale, background whitened.
    Grey,
    /// Black and white: shadows removed, then binarised (letters, receipts).
    Text,
}

impl std::str::FromStr for Mode {
    type Err = crate::error::CaptureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "colour" | "color" => Ok(Mode::Colour),
            "grey" | "gray" | "greyscale" | "grayscale" => Ok(Mode::Grey),
            "text" | "bw" => Ok(Mode::Text),
            _ => Err(crate::error::CaptureError::Unsupported),
        }
    }
}

/// An enhanced page, ready to encode.
#[derive(Debug, Clone)]
pub enum Enhanced {
    /// Colour pixels.
    Colour(RgbImage),
    /// Grey pixels.
    Grey(GrayImage),
    /// Bilevel pixels (0 = ink, 255 = paper).
    Text(GrayImage),
}

impl Enhanced {
    /// The mode of this page.
    pub fn mode(&self) -> Mode {
        match self {
            Enhanced::Colour(_) => Mode::Colour,
            Enhanced::Grey(_) => Mode::Grey,
            Enhanced::Text(_) => Mode::Text,
        }
    }

    /// Width and height.
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Enhanced::Colour(i) => i.dimensions(),
            Enhanced::Grey(i) | Enhanced::Text(i) => i.dimensions(),
        }
    }

    /// The page as RGB (for thumbnails).
    pub fn to_rgb(&self) -> RgbImage {
        match self {
            Enhanced::Colour(i) => i.clone(),
            Enhanced::Grey(i) | Enhanced::Text(i) => RgbImage::from_fn(i.width(), i.height(), |x, y| {
                let v = i.get_pixel(x, y).0[0];
                Rgb([v, v, v])
            }),
        }
    }
}

/// Picks a mode from a deskewed page: ID cards → colour; pages with significant colour → colour;
/// photos and large mid-tone areas → grey; otherwise text.
pub fn choose_mode(page: &RgbImage, format: PaperFormat) -> Mode {
    if format == PaperFormat::Id1 {
        return Mode::Colour;
    }
    let small = image::imageops::thumbnail(page, 256, 256);
    let (bg, _) = background(&small, 8);
    let mut colourful = 0usize;
    let mut midtone = 0usize;
    let n = (small.width() * small.height()).max(1) as usize;
    for (x, y, p) in small.enumerate_pixels() {
        let b = bg.get_pixel(x, y).0;
        let c: [f32; 3] = std::array::from_fn(|i| f32::from(p.0[i]) / f32::from(b[i]).max(1.0));
        let l = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
        let maxc = c.iter().copied().fold(0.0, f32::max);
        let minc = c.iter().copied().fold(f32::MAX, f32::min);
        if maxc - minc > 0.22 && l < 0.95 {
            colourful += 1;
        }
        if (0.25..0.75).contains(&l) {
            midtone += 1;
        }
    }
    let (cf, mf) = (colourful as f32 / n as f32, midtone as f32 / n as f32);
    if cf > 0.06 {
        Mode::Colour
    } else if mf > 0.12 {
        Mode::Grey
    } else {
        Mode::Text
    }
}

/// Per-channel paper colour estimated over blocks of `1/cells` of the long side: the block maximum
/// of a slightly smoothed image, dilated and smoothed, bilinearly upsampled. Also returns the
/// global paper white.
fn background(img: &RgbImage, cells: u32) -> (RgbImage, [f32; 3]) {
    let (w, h) = img.dimensions();
    let bs = (w.max(h) / cells.max(1)).max(4);
    let (gw, gh) = (w.div_ceil(bs), h.div_ceil(bs));
    // Block 90th percentile per channel (robust to noise, ignores text strokes).
    let mut grid = vec![[0.0f32; 3]; (gw * gh) as usize];
    let mut hist = vec![[0u32; 256]; 3];
    for gy in 0..gh {
        for gx in 0..gw {
            for hc in hist.iter_mut() {
                hc.iter_mut().for_each(|v| *v = 0);
            }
            let (x0, y0) = (gx * bs, gy * bs);
            let (x1, y1) = ((x0 + bs).min(w), (y0 + bs).min(h));
            let step = ((bs / 16).max(1)) as usize;
            let mut cnt = 0u32;
            for y in (y0..y1).step_by(step) {
                for x in (x0..x1).step_by(step) {
                    let p = img.get_pixel(x, y).0;
                    for c in 0..3 {
                        hist[c][p[c] as usize] += 1;
                    }
                    cnt += 1;
                }
            }
            let target = (cnt as f32 * 0.9) as u32;
            for c in 0..3 {
                let mut acc = 0;
                let mut v = 255;
                for (i, &n) in hist[c].iter().enumerate() {
                    acc += n;
                    if acc > target {
                        v = i;
                        break;
                    }
                }
                grid[(gy * gw + gx) as usize][c] = v as f32;
            }
        }
    }
    // Dilate (max) 3×3 to step over dark blocks (big letters, stamps), then blur 3×3.
    let at = |g: &Vec<[f32; 3]>, x: i64, y: i64| {
        let xx = x.clamp(0, i64::from(gw) - 1) as u32;
        let yy = y.clamp(0, i64::from(gh) - 1) as u32;
        g[(yy * gw + xx) as usize]
    };
    let mut dil = grid.clone();
    for gy in 0..gh {
        for gx in 0..gw {
            let mut m = [0.0f32; 3];
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let v = at(&grid, i64::from(gx) + dx, i64::from(gy) + dy);
                    for c in 0..3 {
                        m[c] = m[c].max(v[c]);
                    }
                }
            }
            // Only lift a block if it is much darker than its neighbourhood (likely content).
            let own = grid[(gy * gw + gx) as usize];
            for c in 0..3 {
                dil[(gy * gw + gx) as usize][c] = if own[c] < 0.35 * m[c] { m[c] } else { own[c] };
            }
        }
    }
    let mut blur = dil.clone();
    for gy in 0..gh {
        for gx in 0..gw {
            let mut s = [0.0f32; 3];
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let v = at(&dil, i64::from(gx) + dx, i64::from(gy) + dy);
                    for c in 0..3 {
                        s[c] += v[c] / 9.0;
                    }
                }
            }
            blur[(gy * gw + gx) as usize] = s;
        }
    }
    let mut white = [0.0f32; 3];
    for v in &blur {
        for c in 0..3 {
            white[c] = white[c].max(v[c]);
        }
    }
    // Upsample bilinearly (cell centres).
    let out = RgbImage::from_fn(w, h, |x, y| {
        let fx = ((x as f32 + 0.5) / bs as f32 - 0.5).clamp(0.0, (gw - 1) as f32);
        let fy = ((y as f32 + 0.5) / bs as f32 - 0.5).clamp(0.0, (gh - 1) as f32);
        let (x0, y0) = (fx as i64, fy as i64);
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let a = at(&blur, x0, y0);
        let b = at(&blur, x0 + 1, y0);
        let c = at(&blur, x0, y0 + 1);
        let d = at(&blur, x0 + 1, y0 + 1);
        let mut p = [0u8; 3];
        for k in 0..3 {
            let v = (a[k] * (1.0 - ax) + b[k] * ax) * (1.0 - ay) + (c[k] * (1.0 - ax) + d[k] * ax) * ay;
            p[k] = v.round().clamp(1.0, 255.0) as u8;
        }
        Rgb(p)
    });
    (out, white)
}

/// Enhances a deskewed page of a known format: identity cards (ID-1) keep their colours — only the
/// light is evened out, with a smooth model that cannot mistake the holder's photo for a shadow
/// (see `lighting.rs`); other pages go through [`enhance`].
pub fn enhance_format(page: &RgbImage, mode: Mode, format: PaperFormat) -> Enhanced {
    if format != PaperFormat::Id1 {
        return enhance(page, mode);
    }
    let light = LightField::fit(page);
    match mode {
        Mode::Colour => Enhanced::Colour(light.apply_rgb(page)),
        Mode::Grey => Enhanced::Grey(light.apply_luma(page, light.top())),
        Mode::Text => {
            let norm = light.apply_luma(page, 255.0);
            let smooth = imageproc::filter::gaussian_blur_f32(&norm, 0.7);
            let t = text_threshold(&smooth);
            let (w, h) = page.dimensions();
            Enhanced::Text(GrayImage::from_fn(w, h, |x, y| {
                Luma([if smooth.get_pixel(x, y).0[0] < t { 0 } else { 255 }])
            }))
        }
    }
}

/// Enhances a deskewed page in the given mode, flattening the paper block by block (shadows of any
/// shape are removed; large dark areas are lightened, so identity cards use [`enhance_format`]).
pub fn enhance(page: &RgbImage, mode: Mode) -> Enhanced {
    let (w, h) = page.dimensions();
    // Background at a reduced size to keep this cheap on 9 MP pages.
    let small = image::imageops::thumbnail(page, (w / 4).max(1), (h / 4).max(1));
    let (bg_small, white) = background(&small, 24);
    let bg = |x: u32, y: u32| -> [f32; 3] {
        let sx = (x as f32 / w as f32 * bg_small.width() as f32).min((bg_small.width() - 1) as f32);
        let sy = (y as f32 / h as f32 * bg_small.height() as f32).min((bg_small.height() - 1) as f32);
        bg_small.get_pixel(sx as u32, sy as u32).0.map(f32::from)
    };
    match mode {
        Mode::Colour => {
            // Divide by the local paper colour, but never brighten more than 2× the global gain,
            // so that photos and dark areas keep their tones.
            let out = RgbImage::from_fn(w, h, |x, y| {
                let b = bg(x, y);
                let p = page.get_pixel(x, y).0;
                Rgb(std::array::from_fn(|c| {
                    let floor = 0.5 * white[c].max(1.0);
                    let v = f32::from(p[c]) / b[c].max(floor) * 255.0;
                    stretch(v, 20.0, 245.0)
                }))
            });
            Enhanced::Colour(out)
        }
        Mode::Grey => Enhanced::Grey(normalised_luma(page, &bg, 15.0, 240.0)),
        Mode::Text => {
            let norm = normalised_luma(page, &bg, 0.0, 255.0);
            let smooth = imageproc::filter::gaussian_blur_f32(&norm, 0.7);
            let t = text_threshold(&smooth);
            let bin = GrayImage::from_fn(w, h, |x, y| Luma([if smooth.get_pixel(x, y).0[0] < t { 0 } else { 255 }]));
            Enhanced::Text(bin)
        }
    }
}

fn stretch(v: f32, black: f32, white: f32) -> u8 {
    ((v - black) / (white - black) * 255.0).round().clamp(0.0, 255.0) as u8
}

fn normalised_luma(page: &RgbImage, bg: &dyn Fn(u32, u32) -> [f32; 3], black: f32, white: f32) -> GrayImage {
    let (w, h) = page.dimensions();
    GrayImage::from_fn(w, h, |x, y| {
        let b = bg(x, y);
        let p = page.get_pixel(x, y).0;
        let l = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
        let lb = 0.299 * b[0] + 0.587 * b[1] + 0.114 * b[2];
        Luma([stretch(l / lb.max(24.0) * 255.0, black, white)])
    })
}

/// Otsu on the normalised page, kept within a sane band so a blank page does not binarise noise.
fn text_threshold(norm: &GrayImage) -> u8 {
    let t = imageproc::contrast::otsu_level(norm);
    t.clamp(150, 205)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mode_removes_a_shadow() {
        // Paper with a dark shadow on the right half and a black stroke in both halves.
        let img = RgbImage::from_fn(400, 300, |x, y| {
            let paper = if x > 200 { 120 } else { 235 };
            let ink = (100..110).contains(&y) && (x % 200) > 40 && (x % 200) < 160;
            let v = if ink { paper / 5 } else { paper };
            Rgb([v, v, v])
        });
        let Enhanced::Text(bin) = enhance(&img, Mode::Text) else { panic!("mode") };
        assert_eq!(bin.get_pixel(300, 50).0[0], 255, "shadowed paper turns white");
        assert_eq!(bin.get_pixel(300, 105).0[0], 0, "ink in shadow stays black");
        assert_eq!(bin.get_pixel(100, 105).0[0], 0);
    }

    #[test]
    fn auto_mode_picks_text_for_black_on_white() {
        let img = RgbImage::from_fn(300, 400, |x, y| {
            let ink = y % 20 < 3 && x > 30 && x < 270;
            if ink { Rgb([20, 20, 20]) } else { Rgb([240, 238, 230]) }
        });
        assert_eq!(choose_mode(&img, PaperFormat::A4), Mode::Text);
        assert_eq!(choose_mode(&img, PaperFormat::Id1), Mode::Colour);
    }
}
