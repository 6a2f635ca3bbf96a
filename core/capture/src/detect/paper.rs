//! Does the found quad hold a paper document? A framed painting, a window, a poster or a block of
//! tiles are quads with strong edges too. Paper documents (letters, forms, receipts, and the pale
//! background of identity cards) are mostly a bright, nearly grey surface: the share of such
//! pixels inside the quad tells them from a painting or a plant, which are colourful or dark.

use crate::geometry::Quad;
use crate::planes::{CHROMA_WEIGHT, WorkImage};

/// Below this share of paper-like pixels inside the quad, it is not taken for a document.
pub(super) const MIN_PAPER_SHARE: f32 = 0.3;

/// Colour saturation (opponent chroma over brightness) above which a pixel is not paper: white and
/// grey paper are near 0.03, an ID card's pale background 0.1, a cream façade 0.19, sky 0.5.
const MAX_PAPER_SATURATION: f32 = 0.16;

/// Brightness, relative to the brightest tenth of the quad, below which a pixel is not paper: low
/// enough for paper under a hand's cast shadow (about half as bright as the lit part).
const MIN_PAPER_BRIGHTNESS: f32 = 0.45;

/// Share, in `[0, 1]`, of the quad's inside (its central 80 %) that looks like paper: at least
/// `MIN_PAPER_BRIGHTNESS` of the brightest tenth, and less saturated than `MAX_PAPER_SATURATION`. Luma-only frames have no chroma: brightness alone decides there.
pub(super) fn paper_share(work: &WorkImage, q: &Quad) -> f32 {
    let c = q.corners;
    let (cx, cy) = (c.iter().map(|p| p.x).sum::<f32>() / 4.0, c.iter().map(|p| p.y).sum::<f32>() / 4.0);
    // Shrink towards the centre: the border strip can hold the background or a frame.
    let inner = c.map(|p| (cx + 0.8 * (p.x - cx), cy + 0.8 * (p.y - cy)));
    let inside = |x: f32, y: f32| {
        (0..4).all(|i| {
            let (a, b) = (inner[i], inner[(i + 1) % 4]);
            (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0) >= 0.0
        })
    };
    let l = &work.planes[0];
    let chroma = work.planes.len() >= 3;
    let mut px: Vec<(f32, f32)> = Vec::new();
    for y in 0..work.h {
        for x in 0..work.w {
            if inside(x as f32 + 0.5, y as f32 + 0.5) {
                let lum = l.at(x, y);
                let sat = if chroma {
                    let (c1, c2) = (work.planes[1].at(x, y), work.planes[2].at(x, y));
                    c1.hypot(c2) / CHROMA_WEIGHT / lum.max(1.0)
                } else {
                    0.0
                };
                px.push((lum, sat));
            }
        }
    }
    if px.len() < 16 {
        return 0.0;
    }
    let mut lums: Vec<f32> = px.iter().map(|p| p.0).collect();
    lums.sort_by(f32::total_cmp);
    let bright = lums[lums.len() * 9 / 10];
    let paper =
        px.iter().filter(|(lum, sat)| *lum >= MIN_PAPER_BRIGHTNESS * bright && *sat < MAX_PAPER_SATURATION).count();
    paper as f32 / px.len() as f32
}
