//! Decoding camera output: JPEG/PNG files (EXIF orientation applied) and raw luma preview planes.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

use crate::error::{CaptureError, Result};

/// Smallest accepted side, in pixels, of a photo or frame.
pub const MIN_SIDE: u32 = 32;

/// Memory bound for decoding.
///
/// A photo above `max_pixels` is refused with [`CaptureError::TooLarge`] *before* any pixel is
/// decoded, so the decoder never allocates more than about `3 × max_pixels` bytes for the RGB image
/// plus the decoder's own buffers (bounded by `image::Limits::max_alloc`, set to `4 × max_pixels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted width × height (default 50 MP: a 48 MP phone photo passes, 100 MP does not).
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_pixels: 50_000_000 }
    }
}

/// Decodes a JPEG or PNG photo into an upright RGB image, honouring the EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
    decode_with_limits(bytes, DecodeLimits::default())
}

/// [`decode`] with an explicit memory bound.
pub fn decode_with_limits(bytes: &[u8], limits: DecodeLimits) -> Result<RgbImage> {
    let format = image::guess_format(bytes).map_err(|_| CaptureError::Unsupported)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(CaptureError::Unsupported);
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader.into_decoder().map_err(map_err)?;
    let (w, h) = decoder.dimensions();
    check_size(w, h, limits)?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(w);
    l.max_image_height = Some(h);
    l.max_alloc = Some(limits.max_pixels.saturating_mul(4).max(1 << 20));
    decoder.set_limits(l).map_err(map_err)?;
    // A broken EXIF block must not prevent reading the picture.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_err)?;
    img.apply_orientation(orientation);
    Ok(match img {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    })
}

/// Width and height of an encoded photo after EXIF orientation, without decoding pixels.
pub fn upright_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    let format = image::guess_format(bytes).map_err(|_| CaptureError::Unsupported)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(CaptureError::Unsupported);
    }
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format).into_decoder().map_err(map_err)?;
    let (w, h) = decoder.dimensions();
    use image::metadata::Orientation as O;
    Ok(match decoder.orientation().unwrap_or(O::NoTransforms) {
        O::Rotate90 | O::Rotate270 | O::Rotate90FlipH | O::Rotate270FlipH => (h, w),
        _ => (w, h),
    })
}

fn check_size(w: u32, h: u32, limits: DecodeLimits) -> Result<()> {
    let px = u64::from(w) * u64::from(h);
    if px > limits.max_pixels {
        return Err(CaptureError::TooLarge { megapixels: px as f64 / 1e6, limit: limits.max_pixels as f64 / 1e6 });
    }
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(CaptureError::TooSmall { width: w, height: h, min: MIN_SIDE });
    }
    Ok(())
}

fn map_err(e: ImageError) -> CaptureError {
    match e {
        ImageError::Unsupported(_) => CaptureError::Unsupported,
        ImageError::Limits(_) => CaptureError::TooLarge { megapixels: f64::NAN, limit: f64::NAN },
        // Dependency messages are short format descriptions, never pixel data.
        ImageError::Decoding(d) => CaptureError::Corrupt(d.to_string()),
        ImageError::IoError(io) => CaptureError::Corrupt(io.kind().to_string()),
        other => CaptureError::Corrupt(other.to_string()),
    }
}

/// A raw 8-bit luma (Y) plane as handed over by Android CameraX (`ImageProxy` plane 0) or
/// iOS AVFoundation (biplanar YCbCr plane 0) for live preview frames.
#[derive(Debug, Clone, Copy)]
pub struct LumaFrame<'a> {
    width: u32,
    height: u32,
    stride: usize,
    data: &'a [u8],
}

impl<'a> LumaFrame<'a> {
    /// Wraps a plane; `stride` is the number of bytes between the starts of two rows
    /// (`rowStride` / `bytesPerRow`). Validates the buffer length.
    pub fn new(width: u32, height: u32, stride: usize, data: &'a [u8]) -> Result<Self> {
        if width < MIN_SIDE || height < MIN_SIDE {
            return Err(CaptureError::TooSmall { width, height, min: MIN_SIDE });
        }
        if u64::from(width) * u64::from(height) > DecodeLimits::default().max_pixels {
            return Err(CaptureError::TooLarge {
                megapixels: f64::from(width) * f64::from(height) / 1e6,
                limit: DecodeLimits::default().max_pixels as f64 / 1e6,
            });
        }
        if stride < width as usize {
            return Err(CaptureError::InvalidFrame("row stride smaller than width"));
        }
        let need = stride
            .checked_mul(height as usize - 1)
            .and_then(|v| v.checked_add(width as usize))
            .ok_or(CaptureError::InvalidFrame("frame size overflows"))?;
        if data.len() < need {
            return Err(CaptureError::InvalidFrame("buffer shorter than stride × height"));
        }
        Ok(Self { width, height, stride, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    pub(crate) fn row(&self, y: u32) -> &[u8] {
        let s = y as usize * self.stride;
        &self.data[s..s + self.width as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_and_tiny() {
        assert!(matches!(decode(b"hello"), Err(CaptureError::Unsupported)));
        let mut png = Vec::new();
        image::RgbImage::new(1, 1).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).expect("encode");
        assert!(matches!(decode(&png), Err(CaptureError::TooSmall { .. })));
    }

    #[test]
    fn luma_frame_validates_stride() {
        let buf = vec![0u8; 100 * 64];
        assert!(LumaFrame::new(64, 64, 100, &buf).is_ok());
        assert!(LumaFrame::new(64, 64, 60, &buf).is_err());
        assert!(LumaFrame::new(64, 65, 100, &buf).is_err());
    }
}
