//! Errors of the capture pipeline.

/// What went wrong in a capture step. Messages never contain image content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The bytes are not a JPEG, PNG or WebP we can read (unknown format).
    #[error("unsupported image format")]
    Unsupported,
    /// A HEIC/HEIF photo (iPhone default): no decoder without a C toolchain on the phone, so the
    /// person is asked for a JPEG (see [`CaptureError::advice_fr`]).
    #[error("HEIC photos are not supported: share the photo as JPEG")]
    Heic,
    /// The file is truncated or corrupt.
    #[error("corrupt or truncated image: {0}")]
    Corrupt(String),
    /// The image has more pixels than the memory bound allows.
    #[error("image too large: {megapixels:.1} megapixels, limit {limit:.1}")]
    TooLarge {
        /// Megapixels of the input.
        megapixels: f64,
        /// The limit in megapixels.
        limit: f64,
    },
    /// The image is too small to hold a document.
    #[error("image too small: {width}x{height}, need at least {min}x{min}")]
    TooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Minimum side in pixels.
        min: u32,
    },
    /// A raw luma frame whose stride or buffer length does not match its size.
    #[error("invalid frame: {0}")]
    InvalidFrame(&'static str),
    /// Corners given by the caller are not a convex quad inside the image.
    #[error("invalid corners: {0}")]
    InvalidCorners(&'static str),
    /// No document was found in the photo (and no corners were given).
    #[error("no document found (confidence {confidence:.2})")]
    NoDocument {
        /// Best rejected confidence.
        confidence: f32,
    },
    /// The photo is too blurred to read: nothing is stored. Advice: retake it holding the phone
    /// still (see [`CaptureError::advice_fr`]).
    #[error("the photo is too blurred ({blur_mm:.2} mm of blur on the paper, limit {limit_mm:.2} mm)")]
    Blurred {
        /// Estimated blur of the page, millimetres of paper (see `quality::blur_mm`).
        blur_mm: f32,
        /// The refusal threshold it reached.
        limit_mm: f32,
    },
    /// After enhancement the page is (almost) empty: storing it would keep a white sheet.
    #[error("the page came out empty (ink {ink:.4})")]
    BlankPage {
        /// Fraction of ink pixels left.
        ink: f32,
    },
    /// No page to assemble, or an empty document.
    #[error("nothing to assemble")]
    Empty,
    /// An encoder failed (should not happen with valid pixels).
    #[error("encoding failed: {0}")]
    Encode(String),
}

impl CaptureError {
    /// What the person should do, in French, for the errors caused by the photo itself.
    pub fn advice_fr(&self) -> Option<&'static str> {
        match self {
            CaptureError::Blurred { .. } => Some("La photo est floue. Reprenez-la en tenant le téléphone immobile."),
            CaptureError::Heic => Some(
                "Les photos HEIC (iPhone) ne sont pas acceptées. Partagez-la en JPEG, ou sur l'iPhone choisissez \
                 Réglages > Appareil photo > Formats > « Le plus compatible ».",
            ),
            CaptureError::BlankPage { .. } => Some(
                "La page est vide : rien n'est lisible sur la photo. Reprenez-la avec plus de lumière, bien à plat, \
                 en tenant le téléphone immobile.",
            ),
            _ => None,
        }
    }

    /// The same advice in English.
    pub fn advice_en(&self) -> Option<&'static str> {
        match self {
            CaptureError::Blurred { .. } => Some("The photo is blurred. Retake it holding the phone still."),
            CaptureError::Heic => Some(
                "HEIC photos (iPhone) are not accepted. Share it as JPEG, or on the iPhone choose Settings > Camera > \
                 Formats > \"Most Compatible\".",
            ),
            CaptureError::BlankPage { .. } => Some(
                "The page is empty: nothing can be read in the photo. Retake it with more light, flat, holding the \
                 phone still.",
            ),
            _ => None,
        }
    }
}

/// Result of capture operations.
pub type Result<T> = std::result::Result<T, CaptureError>;
