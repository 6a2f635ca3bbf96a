//! Assembling encoded pages into a PDF for printing at a desk.
//!
//! JPEG pages are embedded as they are (DCTDecode, no re-encoding); PNG pages are unpacked and
//! re-deflated (1-bit when bilevel). Every page prints at its real size: a page smaller than A5
//! (an ID card) is placed at the top of an A4 sheet.

use std::io::Cursor;

use image::{ColorType, ImageDecoder, ImageFormat, ImageReader};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};

use crate::encode::EncodedPage;
use crate::error::{CaptureError, Result};

const A4_PT: (f32, f32) = (595.28, 841.89);

enum Embedded {
    Jpeg { bytes: Vec<u8>, grey: bool },
    Flate { data: Vec<u8>, bits: i32, grey: bool },
}

fn embed(page: &EncodedPage) -> Result<Embedded> {
    let format = image::guess_format(&page.bytes).map_err(|_| CaptureError::Unsupported)?;
    match format {
        ImageFormat::Jpeg => {
            let dec = ImageReader::with_format(Cursor::new(&page.bytes), format)
                .into_decoder()
                .map_err(|e| CaptureError::Corrupt(e.to_string()))?;
            let grey = match dec.color_type() {
                ColorType::L8 => true,
                ColorType::Rgb8 => false,
                _ => return Err(CaptureError::Unsupported),
            };
            Ok(Embedded::Jpeg { bytes: page.bytes.clone(), grey })
        }
        ImageFormat::Png => {
            let img = image::load_from_memory_with_format(&page.bytes, format)
                .map_err(|e| CaptureError::Corrupt(e.to_string()))?;
            let grey = !img.color().has_color();
            if grey {
                let l = img.to_luma8();
                let bilevel = l.as_raw().iter().all(|&v| v == 0 || v == 255);
                if bilevel {
                    let (w, h) = l.dimensions();
                    let rb = w.div_ceil(8) as usize;
                    let mut packed = vec![0u8; rb * h as usize];
                    for (y, row) in l.rows().enumerate() {
                        for (x, p) in row.enumerate() {
                            if p.0[0] == 255 {
                                packed[y * rb + x / 8] |= 0x80 >> (x % 8);
                            }
                        }
                    }
                    return Ok(Embedded::Flate {
                        data: miniz_oxide::deflate::compress_to_vec_zlib(&packed, 9),
                        bits: 1,
                        grey: true,
                    });
                }
                Ok(Embedded::Flate {
                    data: miniz_oxide::deflate::compress_to_vec_zlib(l.as_raw(), 6),
                    bits: 8,
                    grey: true,
                })
            } else {
                Ok(Embedded::Flate {
                    data: miniz_oxide::deflate::compress_to_vec_zlib(img.to_rgb8().as_raw(), 6),
                    bits: 8,
                    grey: false,
                })
            }
        }
        _ => Err(CaptureError::Unsupported),
    }
}

/// Builds a PDF with one page per encoded page, each at its real printed size.
pub fn assemble_pdf(pages: &[EncodedPage]) -> Result<Vec<u8>> {
    if pages.is_empty() {
        return Err(CaptureError::Empty);
    }
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let mut next = 3;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let ids: Vec<(Ref, Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(ids.iter().map(|i| i.0)).count(pages.len() as i32);
    let name = Name(b"Im0");
    for (page, &(page_id, image_id, content_id)) in pages.iter().zip(&ids) {
        if page.width == 0 || page.height == 0 {
            return Err(CaptureError::Empty);
        }
        let dpi = if page.dpi > 10.0 { page.dpi } else { 150.0 };
        let (iw, ih) = (page.width as f32 / dpi * 72.0, page.height as f32 / dpi * 72.0);
        let small = iw < 420.0 && ih < 420.0;
        let (pw, ph, x, y) =
            if small { (A4_PT.0, A4_PT.1, (A4_PT.0 - iw) / 2.0, A4_PT.1 - 72.0 - ih) } else { (iw, ih, 0.0, 0.0) };
        match embed(page)? {
            Embedded::Jpeg { bytes, grey } => {
                let mut im = pdf.image_xobject(image_id, &bytes);
                im.filter(Filter::DctDecode);
                im.width(page.width as i32).height(page.height as i32);
                if grey {
                    im.color_space().device_gray();
                } else {
                    im.color_space().device_rgb();
                }
                im.bits_per_component(8);
                im.finish();
            }
            Embedded::Flate { data, bits, grey } => {
                let mut im = pdf.image_xobject(image_id, &data);
                im.filter(Filter::FlateDecode);
                im.width(page.width as i32).height(page.height as i32);
                if grey {
                    im.color_space().device_gray();
                } else {
                    im.color_space().device_rgb();
                }
                im.bits_per_component(bits);
                im.finish();
            }
        }
        let mut content = Content::new();
        content.save_state();
        content.transform([iw, 0.0, 0.0, ih, x, y]);
        content.x_object(name);
        content.restore_state();
        pdf.stream(content_id, &content.finish());
        let mut p = pdf.page(page_id);
        p.parent(tree);
        p.media_box(Rect::new(0.0, 0.0, pw, ph));
        p.contents(content_id);
        p.resources().x_objects().pair(name, image_id);
        p.finish();
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{EncodeOptions, encode_page};
    use crate::enhance::{Enhanced, Mode};

    #[test]
    fn builds_a_two_page_pdf() {
        let bin = image::GrayImage::from_fn(200, 280, |x, _| image::Luma([if x % 9 == 0 { 0 } else { 255 }]));
        let col = image::RgbImage::from_pixel(300, 190, image::Rgb([200, 100, 50]));
        let p1 = encode_page(&Enhanced::Text(bin), 100.0, &EncodeOptions::for_page(Mode::Text, crate::PaperFormat::A4))
            .expect("p1");
        let p2 =
            encode_page(&Enhanced::Colour(col), 300.0, &EncodeOptions::for_page(Mode::Colour, crate::PaperFormat::Id1))
                .expect("p2");
        let pdf = assemble_pdf(&[p1, p2]).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(assemble_pdf(&[]).is_err());
    }
}
