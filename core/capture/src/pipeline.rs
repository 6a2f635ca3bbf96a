//! The whole pipeline in one call: bytes → upright photo → quad → deskewed, enhanced, encoded page.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::decode::{DecodeLimits, decode_with_limits};
use crate::deskew::{DeskewOptions, PaperFormat, deskew};
use crate::detect::{CONFIDENT, DetectOptions, detect_with};
use crate::encode::{EncodeOptions, EncodedPage, encode_page, thumbnail};
use crate::enhance::{Mode, choose_mode, enhance_format};
use crate::error::{CaptureError, Result};
use crate::geometry::Quad;
use crate::orient::{Rotation, detect_orientation};
use crate::quality::{BLANK_INK, BLUR_REFUSE_MM, BLUR_WARN_MM, PageQuality, QualityWarning, blur_mm, ink_fraction};

/// Options of [`capture`].
#[derive(Debug, Clone, Default)]
pub struct CaptureOptions {
    /// Corners chosen or corrected by the person (pixels of the EXIF-upright photo). When set,
    /// detection is skipped.
    pub corners: Option<Quad>,
    /// Force a mode; `None` chooses automatically.
    pub mode: Option<Mode>,
    /// When nothing is detected and no corners are given, keep the whole photo instead of failing
    /// with [`CaptureError::NoDocument`]. Off by default: the app should let the person place the
    /// corners.
    pub whole_frame_if_not_found: bool,
    /// Turn the page by this instead of detecting its reading orientation (`Some(Rotation::None)`
    /// keeps it as photographed). `None`: sideways and upside-down pages are turned upright.
    pub rotation: Option<Rotation>,
    /// Detector tuning.
    pub detect: DetectOptions,
    /// Decoder memory bound.
    pub limits: DecodeLimits,
}

/// One captured page with how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturedPage {
    /// The encoded page (what the vault stores).
    pub image: EncodedPage,
    /// Mode used.
    pub mode: Mode,
    /// Recognised format.
    pub format: PaperFormat,
    /// Corners used, in pixels of the upright photo (`None` when the whole frame was kept).
    pub quad: Option<Quad>,
    /// Detection confidence (`None` when the caller gave the corners).
    pub confidence: Option<f32>,
    /// Sharpness and ink measured on this page.
    #[serde(default)]
    pub quality: Option<PageQuality>,
    /// Problems to tell the person about (the page was kept).
    #[serde(default)]
    pub warnings: Vec<QualityWarning>,
    /// How the deskewed page was turned to read upright (detected or asked for).
    #[serde(default)]
    pub rotation: Rotation,
}

/// A captured document: pages plus a thumbnail of the first page, ready for the vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturedDocument {
    /// Pages in order.
    pub pages: Vec<CapturedPage>,
    /// JPEG thumbnail of the first page.
    pub thumbnail: EncodedPage,
}

impl CapturedDocument {
    /// All pages as one PDF.
    pub fn to_pdf(&self) -> Result<Vec<u8>> {
        let pages: Vec<EncodedPage> = self.pages.iter().map(|p| p.image.clone()).collect();
        crate::pdf::assemble_pdf(&pages)
    }
}

/// Decodes, detects, deskews, enhances and encodes one photo.
pub fn capture(photo: &[u8], opts: &CaptureOptions) -> Result<CapturedDocument> {
    let img = decode_with_limits(photo, opts.limits)?;
    capture_image(&img, opts)
}

/// [`capture`] for several photos (one page each), e.g. both sides of a card or a multi-page letter.
/// Corners in `opts` apply to every photo; use [`capture_image`] per page for per-page corners.
pub fn capture_pages(photos: &[&[u8]], opts: &CaptureOptions) -> Result<CapturedDocument> {
    let mut pages = Vec::new();
    let mut thumb = None;
    for bytes in photos {
        let doc = capture(bytes, opts)?;
        if thumb.is_none() {
            thumb = Some(doc.thumbnail);
        }
        pages.extend(doc.pages);
    }
    let thumbnail = thumb.ok_or(CaptureError::Empty)?;
    Ok(CapturedDocument { pages, thumbnail })
}

/// The pipeline on an already decoded, upright photo.
pub fn capture_image(img: &RgbImage, opts: &CaptureOptions) -> Result<CapturedDocument> {
    let (quad, confidence) = match opts.corners {
        Some(q) => (Some(q), None),
        None => {
            let d = detect_with(img, &opts.detect);
            match d.quad {
                Some(q) => (Some(q), Some(d.confidence)),
                None if opts.whole_frame_if_not_found => (None, Some(d.confidence)),
                None => {
                    return Err(CaptureError::NoDocument { confidence: d.confidence });
                }
            }
        }
    };
    let frame = Quad::from_array([
        [0.0, 0.0],
        [img.width() as f32, 0.0],
        [img.width() as f32, img.height() as f32],
        [0.0, img.height() as f32],
    ]);
    let q = quad.unwrap_or(frame);
    // Mode from a small preview warp, then the real warp at the mode's resolution.
    let preview = deskew(img, &q, &DeskewOptions { max_long_side: 400, ..DeskewOptions::default() })?;
    let mode = opts.mode.unwrap_or_else(|| choose_mode(&preview.image, preview.format));
    let dpi = match (mode, preview.format) {
        (Mode::Text, _) | (_, PaperFormat::Id1) => 300.0,
        _ => 200.0,
    };
    let mut page = deskew(
        img,
        &q,
        &DeskewOptions { dpi, max_long_side: if mode == Mode::Text { 3508 } else { 2339 }, ..DeskewOptions::default() },
    )?;
    // Sideways or upside down in the photo: turn the page so that it reads upright.
    let rotation = opts.rotation.unwrap_or_else(|| detect_orientation(&page.image, page.format).rotation);
    if rotation != Rotation::None {
        page.image = rotation.apply(&page.image);
    }
    // The corners follow, so that the first one is the page's reading top-left.
    let turns = (rotation.degrees() / 90) as usize;
    let quad = quad.map(|q| Quad { corners: std::array::from_fn(|i| q.corners[(i + 4 - turns) % 4]) });
    // A blurred photo binarises to a white sheet: refuse it before spending time on it.
    let Some(blur) = blur_mm(&page.image, page.dpi) else {
        return Err(CaptureError::BlankPage { ink: 0.0 });
    };
    if blur >= BLUR_REFUSE_MM {
        return Err(CaptureError::Blurred { blur_mm: blur, limit_mm: BLUR_REFUSE_MM });
    }
    let enhanced = enhance_format(&page.image, mode, page.format);
    let ink = ink_fraction(&enhanced);
    if ink < BLANK_INK {
        return Err(CaptureError::BlankPage { ink });
    }
    let mut warnings = if blur >= BLUR_WARN_MM { vec![QualityWarning::SlightlyBlurred] } else { Vec::new() };
    if confidence.is_some_and(|c| c < CONFIDENT) && quad.is_some() {
        warnings.push(QualityWarning::CheckCorners);
    }
    let encoded = encode_page(&enhanced, page.dpi, &EncodeOptions::for_page(mode, page.format))?;
    let thumbnail = thumbnail(&enhanced)?;
    Ok(CapturedDocument {
        pages: vec![CapturedPage {
            image: encoded,
            mode,
            format: page.format,
            quad,
            confidence,
            quality: Some(PageQuality { blur_mm: blur, ink }),
            warnings,
            rotation,
        }],
        thumbnail,
    })
}

/// Decodes a photo and returns the `coffre capture detect --json` line.
pub fn detect_json(photo: &[u8]) -> Result<String> {
    let img = crate::decode::decode(photo)?;
    Ok(crate::detect::detect(&img).to_json())
}
