//! QR codes at the boundary: draw a payload (share link, link request, mandate offer, recovery kit)
//! and read one from a preview frame or a photo. Stateless free functions over `coffre-qr`.

use crate::error::{CoffreError, Result};
use crate::types::LumaFrame;
use coffre_core::qr::{self, EcLevel, QrError};

/// A QR symbol to draw: `size` × `size` modules, row-major, 1 = dark. Add a light margin of 4 modules.
#[derive(Debug, Clone, uniffi::Record)]
pub struct QrCode {
    pub size: u32,
    pub modules: Vec<u8>,
    /// The same code as a PNG (8 px per module, margin included), to share or print as an image.
    pub png: Vec<u8>,
}

impl QrCode {
    /// The record of a symbol made in core: its modules and its PNG at 8 px per module.
    pub(crate) fn from_matrix(m: &qr::QrMatrix) -> Result<QrCode> {
        Ok(QrCode {
            size: m.size(),
            modules: m.modules().iter().map(|&dark| u8::from(dark)).collect(),
            png: m.to_png(8)?,
        })
    }

    /// `text` as a QR code for a screen (medium error correction).
    pub(crate) fn for_screen(text: &str) -> Result<QrCode> {
        QrCode::from_matrix(&qr::encode(text, EcLevel::Medium)?)
    }
}

/// Encodes `text` for a screen (medium error correction).
#[uniffi::export]
pub fn qr_encode(text: String) -> Result<QrCode> {
    QrCode::for_screen(&text)
}

/// Reads the first QR code in a preview frame (Y plane). `NotFound` when there is none yet: keep
/// feeding frames.
#[uniffi::export]
pub fn qr_decode_frame(frame: LumaFrame) -> Result<String> {
    Ok(qr::decode_luma(&frame.data, frame.width, frame.height, frame.row_stride)?)
}

/// Reads the first QR code in a photo (JPEG or PNG bytes).
#[uniffi::export]
pub fn qr_decode_photo(photo: Vec<u8>) -> Result<String> {
    Ok(qr::decode_image(&photo)?)
}

impl From<QrError> for CoffreError {
    fn from(e: QrError) -> Self {
        match e {
            QrError::NotFound => CoffreError::NotFound { detail: "no QR code in the image".into() },
            QrError::Unreadable => CoffreError::InvalidInput { detail: "the QR code could not be read".into() },
            e @ (QrError::TooLong(_) | QrError::BadImage | QrError::InvalidInput(_)) => {
                CoffreError::InvalidInput { detail: e.to_string() }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_the_png() -> Result<()> {
        let code = qr_encode("https://coffre.example/s/abc#key".into())?;
        assert_eq!(code.modules.len(), (code.size * code.size) as usize);
        assert!(code.modules.iter().all(|&m| m <= 1));
        assert_eq!(qr_decode_photo(code.png)?, "https://coffre.example/s/abc#key");
        Ok(())
    }

    #[test]
    fn errors_are_public_variants() {
        assert!(matches!(qr_decode_photo(b"junk".to_vec()), Err(CoffreError::InvalidInput { .. })));
        let blank = LumaFrame { width: 64, height: 64, row_stride: 64, data: vec![255; 64 * 64] };
        assert!(matches!(qr_decode_frame(blank), Err(CoffreError::NotFound { .. })));
        let short = LumaFrame { width: 64, height: 64, row_stride: 64, data: vec![0; 10] };
        assert!(matches!(qr_decode_frame(short), Err(CoffreError::InvalidInput { .. })));
    }
}
