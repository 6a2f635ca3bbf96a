//! Decoding camera output: JPEG/PNG/WebP files (EXIF orientation applied) and raw luma preview planes.

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

/// The container formats we decode: JPEG and PNG from the camera, WebP from photos shared by other
/// apps (messaging apps re-encode to WebP). HEIC is recognised and refused with
/// [`CaptureError::Heic`]: its only decoders need a C toolchain on the phone (libheif, libde265).
fn readable_format(bytes: &[u8]) -> Result<ImageFormat> {
    if is_heic(bytes) {
        return Err(CaptureError::Heic);
    }
    match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Ok(f),
        _ => Err(CaptureError::Unsupported),
    }
}

/// An ISO base media file whose brand is one of HEIF's (iPhone photos are `heic`).
fn is_heic(bytes: &[u8]) -> bool {
    const BRANDS: [&[u8; 4]; 8] = [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];
    bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && BRANDS.iter().any(|b| &bytes[8..12] == *b)
}

/// Decodes a JPEG, PNG or WebP photo into an upright RGB image, honouring the EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
    decode_with_limits(bytes, DecodeLimits::default())
}

/// [`decode`] with an explicit memory bound.
pub fn decode_with_limits(bytes: &[u8], limits: DecodeLimits) -> Result<RgbImage> {
    let format = readable_format(bytes)?;
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
    let format = readable_format(bytes)?;
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
    fn heic_is_named_and_webp_is_read() {
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        heic.resize(4096, 0);
        assert!(matches!(decode(&heic), Err(CaptureError::Heic)));
        assert!(matches!(upright_dimensions(&heic), Err(CaptureError::Heic)));
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        let mut webp = Vec::new();
        img.write_to(&mut Cursor::new(&mut webp), ImageFormat::WebP).expect("encode webp");
        let back = decode(&webp).expect("decode webp");
        assert_eq!(back.dimensions(), (64, 48));
        assert_eq!(back.get_pixel(10, 20).0, [40, 100, 90], "lossless WebP round trip");
    }

    #[test]
    fn luma_frame_validates_stride() {
        let buf = vec![0u8; 100 * 64];
        assert!(LumaFrame::new(64, 64, 100, &buf).is_ok());
        assert!(LumaFrame::new(64, 64, 60, &buf).is_err());
        assert!(LumaFrame::new(64, 65, 100, &buf).is_err());
    }
}
