//! Binary morphology for the candidate masks: closing gaps in edge maps, opening and closing the
//! region masks.

use image::GrayImage;

/// Binary morphology with a (2k+1)² square, windows clipped at the image border: dilation
/// (`all = false`: any pixel set) or erosion (`all = true`: every pixel set). Separable, with
/// running counts, so the cost does not depend on `k`.
pub(super) fn morph(mask: &GrayImage, k: usize, all: bool) -> GrayImage {
    if all { morph_impl::<true>(mask, k) } else { morph_impl::<false>(mask, k) }
}

fn morph_impl<const ALL: bool>(mask: &GrayImage, k: usize) -> GrayImage {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    if w == 0 || h == 0 {
        return mask.clone();
    }
    let src = mask.as_raw();
    let decide = |count: u32, len: u32| -> u8 {
        let set = if ALL { count == len } else { count > 0 };
        if set { 255 } else { 0 }
    };
    // Horizontal pass: sliding count over [x - k, x + k].
    let mut tmp = vec![0u8; w * h];
    for (row, trow) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        let mut count: u32 = row.iter().take(k.min(w)).map(|&v| u32::from(v != 0)).sum();
        for x in 0..w {
            if x + k < w {
                count += u32::from(row[x + k] != 0);
            }
            if x > k {
                count -= u32::from(row[x - k - 1] != 0);
            }
            let len = ((x + k).min(w - 1) - x.saturating_sub(k) + 1) as u32;
            trow[x] = decide(count, len);
        }
    }
    // Vertical pass with per-column counts over a sliding window of rows (cache friendly).
    let mut out = vec![0u8; w * h];
    let mut cnt = vec![0u32; w];
    for row in tmp.chunks_exact(w).take(k.min(h)) {
        cnt.iter_mut().zip(row).for_each(|(c, &v)| *c += u32::from(v != 0));
    }
    for y in 0..h {
        if y + k < h {
            let row = &tmp[(y + k) * w..(y + k + 1) * w];
            cnt.iter_mut().zip(row).for_each(|(c, &v)| *c += u32::from(v != 0));
        }
        if y > k {
            let row = &tmp[(y - k - 1) * w..(y - k) * w];
            cnt.iter_mut().zip(row).for_each(|(c, &v)| *c -= u32::from(v != 0));
        }
        let len = (y + k).min(h - 1) - y.saturating_sub(k) + 1;
        let orow = &mut out[y * w..(y + 1) * w];
        let len = len as u32;
        for (o, &c) in orow.iter_mut().zip(cnt.iter()) {
            *o = decide(c, len);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_else(|| GrayImage::new(w as u32, h as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn fast_morphology_matches_imageproc() {
        use imageproc::distance_transform::Norm;
        let mut state = 12345u64;
        let mask = GrayImage::from_fn(53, 41, |_, _| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Luma([if (state >> 33).is_multiple_of(3) { 255 } else { 0 }])
        });
        for k in [1u8, 2] {
            let d = imageproc::morphology::dilate(&mask, Norm::LInf, k);
            let e = imageproc::morphology::erode(&mask, Norm::LInf, k);
            assert_eq!(morph(&mask, k as usize, false), d, "dilate {k}");
            assert_eq!(morph(&mask, k as usize, true), e, "erode {k}");
        }
    }
}
