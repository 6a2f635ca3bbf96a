#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use rxing::qrcode::common::ErrorCorrectionLevel;
use rxing::qrcode::encoder::qrcode_encoder;
use rxing::{BarcodeFormat, DecodeHints};

/// Largest payload accepted, in bytes of UTF-8. Every Coffre payload is far below (a share link is
/// ~90 bytes, a mandate request ~600); a QR of this size still scans from a phone screen.
pub const MAX_PAYLOAD: usize = 1_200;

/// Longest side a photo is scaled down to before decoding: a 12 MP photo decodes as fast as a preview
/// frame, and a QR filling a tenth of the frame still has ~3 pixels per module.
const DECODE_MAX_SIDE: u32 = 1_600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error("payload of {0} bytes is larger than {MAX_PAYLOAD}")]
    TooLong(usize),
    #[error("no QR code found in the image")]
    NotFound,
    #[error("a QR code was seen but could not be read")]
    Unreadable,
    #[error("not a readable image")]
    BadImage,
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
}

/// How much damage the code survives. Screens use [`EcLevel::Medium`]; print uses [`EcLevel::Quartile`]
/// (paper gets folded and stained).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcLevel {
    Low,
    Medium,
    Quartile,
    High,
}

impl EcLevel {
    fn rxing(self) -> ErrorCorrectionLevel {
        match self {
            EcLevel::Low => ErrorCorrectionLevel::L,
            EcLevel::Medium => ErrorCorrectionLevel::M,
            EcLevel::Quartile => ErrorCorrectionLevel::Q,
            EcLevel::High => ErrorCorrectionLevel::H,
        }
    }
}

/// The modules of a QR symbol, row-major, `true` = dark. No quiet zone: the drawer adds 4 modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    size: u32,
    modules: Vec<bool>,
}

/// Modules of quiet zone the standard asks for around the symbol.
pub const QUIET_ZONE: u32 = 4;

impl QrMatrix {
    /// Modules per side (21 for version 1 … 177 for version 40).
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Whether the module at column `x`, row `y` is dark; out of range is light (the quiet zone).
    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        x < self.size && y < self.size && self.modules[(y * self.size + x) as usize]
    }

    /// All modules, row-major, `size * size` of them.
    pub fn modules(&self) -> &[bool] {
        &self.modules
    }

    /// Render as an 8-bit grey image, `scale` pixels per module, with the standard quiet zone.
    pub fn to_luma(&self, scale: u32) -> image::GrayImage {
        let scale = scale.max(1);
        let side = (self.size + 2 * QUIET_ZONE) * scale;
        image::GrayImage::from_fn(side, side, |px, py| {
            let (x, y) = (px / scale, py / scale);
            let dark = x >= QUIET_ZONE && y >= QUIET_ZONE && self.is_dark(x - QUIET_ZONE, y - QUIET_ZONE);
            image::Luma([if dark { 0 } else { 255 }])
        })
    }

    /// PNG bytes, `scale` pixels per module (8 prints sharply at 300 dpi for a 3 cm code).
    pub fn to_png(&self, scale: u32) -> Result<Vec<u8>, QrError> {
        let mut out = std::io::Cursor::new(Vec::new());
        self.to_luma(scale)
            .write_to(&mut out, image::ImageFormat::Png)
            .map_err(|_| QrError::InvalidInput("image too large to encode"))?;
        Ok(out.into_inner())
    }
}

/// Encode `text` (UTF-8, byte mode) as a QR symbol.
pub fn encode(text: &str, level: EcLevel) -> Result<QrMatrix, QrError> {
    if text.len() > MAX_PAYLOAD {
        return Err(QrError::TooLong(text.len()));
    }
    if text.is_empty() {
        return Err(QrError::InvalidInput("empty payload"));
    }
    let code = catch_unwind(AssertUnwindSafe(|| qrcode_encoder::encode(text, level.rxing())))
        .map_err(|_| QrError::InvalidInput("payload cannot be encoded"))?
        .map_err(|_| QrError::InvalidInput("payload cannot be encoded"))?;
    let matrix = code.getMatrix().as_ref().ok_or(QrError::InvalidInput("payload cannot be encoded"))?;
    let size = matrix.getWidth();
    let mut modules = Vec::with_capacity((size * size) as usize);
    for y in 0..size {
        for x in 0..size {
            modules.push(matrix.get(x, y) == 1);
        }
    }
    Ok(QrMatrix { size, modules })
}

/// Decode the first QR code in a grey frame. `stride` is the bytes per row (≥ `width`), as camera
/// buffers pad their rows.
pub fn decode_luma(luma: &[u8], width: u32, height: u32, stride: u32) -> Result<String, QrError> {
    if width == 0 || height == 0 {
        return Err(QrError::InvalidInput("empty frame"));
    }
    if stride < width {
        return Err(QrError::InvalidInput("row stride shorter than the width"));
    }
    let needed = (stride as usize)
        .checked_mul(height as usize - 1)
        .and_then(|n| n.checked_add(width as usize))
        .ok_or(QrError::InvalidInput("frame dimensions overflow"))?;
    if luma.len() < needed {
        return Err(QrError::InvalidInput("frame buffer shorter than its dimensions"));
    }
    let mut grey = image::GrayImage::new(width, height);
    for (y, row) in grey.rows_mut().enumerate() {
        let start = y * stride as usize;
        for (px, &v) in row.zip(&luma[start..start + width as usize]) {
            px.0[0] = v;
        }
    }
    decode_grey(grey)
}

/// Decode the first QR code in a photo (JPEG or PNG bytes).
pub fn decode_image(bytes: &[u8]) -> Result<String, QrError> {
    let img = image::load_from_memory(bytes).map_err(|_| QrError::BadImage)?;
    decode_grey(img.into_luma8())
}

fn decode_grey(grey: image::GrayImage) -> Result<String, QrError> {
    let (w, h) = grey.dimensions();
    let grey = if w.max(h) > DECODE_MAX_SIDE {
        let f = DECODE_MAX_SIDE as f32 / w.max(h) as f32;
        let (nw, nh) = (((w as f32 * f) as u32).max(1), ((h as f32 * f) as u32).max(1));
        image::imageops::resize(&grey, nw, nh, image::imageops::FilterType::Triangle)
    } else {
        grey
    };
    let (w, h) = grey.dimensions();
    let raw = grey.into_raw();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut hints = DecodeHints { TryHarder: Some(true), ..DecodeHints::default() };
        rxing::helpers::detect_in_luma_with_hints(raw, w, h, Some(BarcodeFormat::QR_CODE), &mut hints)
    }));
    match result {
        Err(_) => Err(QrError::Unreadable),
        Ok(Err(rxing::Exceptions::NotFoundException(_))) => Err(QrError::NotFound),
        Ok(Err(_)) => Err(QrError::Unreadable),
        Ok(Ok(found)) => {
            let text = found.getText();
            if text.len() > MAX_PAYLOAD {
                return Err(QrError::TooLong(text.len()));
            }
            Ok(text.to_string())
        }
    }
}
