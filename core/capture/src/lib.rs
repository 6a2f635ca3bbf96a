#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![allow(clippy::needless_range_loop)] // index loops read better in pixel code

mod autocapture;
mod decode;
mod deskew;
mod detect;
mod encode;
mod enhance;
mod error;
mod geometry;
mod lighting;
mod orient;
mod pdf;
mod pipeline;
mod planes;
mod quality;

pub use autocapture::{AutoCapture, AutoCaptureConfig, CaptureAdvice};
pub use decode::{DecodeLimits, LumaFrame, MIN_SIDE, decode, decode_with_limits, upright_dimensions};
pub use deskew::{DeskewOptions, Deskewed, PaperFormat, deskew, estimate_aspect, snap_format};
pub use detect::{
    CONFIDENT, CandidateSource, DetectJson, DetectOptions, DetectTrace, Detection, TraceEvent, detect,
    detect_luma_traced, detect_luma_with, detect_preview, detect_traced, detect_with,
};
pub use encode::{EncodeOptions, EncodedPage, THUMBNAIL_SIDE, encode_page, thumbnail};
pub use enhance::{Enhanced, Mode, choose_mode, enhance, enhance_format};
pub use error::{CaptureError, Result};
pub use geometry::{Point, Quad, quad_iou};
pub use orient::{Orientation, Rotation, detect_orientation, rotate_encoded};
pub use pdf::assemble_pdf;
pub use pipeline::{
    CaptureOptions, CapturedDocument, CapturedPage, capture, capture_image, capture_pages, detect_json,
};
pub use quality::{
    BLANK_INK, BLUR_REFUSE_MM, BLUR_WARN_MM, MEASURE_DPI, PREVIEW_BLUR_PX, PageQuality, QualityWarning, blur_mm,
    blur_px, ink_fraction,
};
