//! Capture benchmark on a generated fixture set (see `scripts/capture-bench.sh`).
//!
//! `COFFRE_FIXTURES=DIR [COFFRE_OPENCV_JSON=FILE] cargo bench -p coffre-capture --bench pipeline`
//!
//! Prints detection rate (IoU ≥ 0.9), corner errors (% of the image diagonal), per-stage timings on
//! 12 MP photos, preview-frame timings, output sizes and OCR character error rate (tesseract), and
//! the OpenCV baseline's figures on the same images when its JSON is given. Detection times are
//! the best of 3 runs on each image, as in the OpenCV baseline. Figures only: nothing here asserts
//! on time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use coffre_capture::{
    DeskewOptions, EncodeOptions, LumaFrame, Mode, Quad, choose_mode, decode, deskew, detect, detect_preview,
    encode_page, enhance, enhance_format, quad_iou, thumbnail,
};
use coffre_fixtures::Truth;
use serde::Deserialize;

#[derive(Debug, Default, Clone)]
struct Row {
    file: String,
    large: bool,
    preview: bool,
    empty: bool,
    found: bool,
    iou: f32,
    err_pct: f32,
    t_decode: f64,
    t_detect: f64,
}

#[derive(Debug, Deserialize)]
struct CvRow {
    file: String,
    found: bool,
    corners: Option<[[f32; 2]; 4]>,
    t_detect_ms: f64,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Mean corner distance (best cyclic correspondence) in % of the image diagonal.
fn corner_error_pct(a: &Quad, truth: &Quad, diag: f32) -> f32 {
    let mut best = f32::MAX;
    for r in 0..4 {
        let e: f32 = (0..4)
            .map(|i| {
                let p = a.corners[(i + r) % 4];
                let t = truth.corners[i];
                (p.x - t.x).hypot(p.y - t.y)
            })
            .sum::<f32>()
            / 4.0;
        best = best.min(e);
    }
    100.0 * best / diag
}

fn median(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

fn normalise(s: &str) -> Vec<char> {
    s.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect()
}

/// Character error rate of `truth` against the best-matching span of `ocr` (free gaps before and
/// after, so header/footer text the truth does not cover is not counted).
pub fn cer(truth: &str, ocr: &str) -> f32 {
    let t = normalise(truth);
    let o = normalise(ocr);
    if t.is_empty() {
        return 0.0;
    }
    let m = o.len();
    let mut prev: Vec<usize> = vec![0; m + 1]; // free start in ocr
    for (i, tc) in t.iter().enumerate() {
        let mut cur = vec![i + 1; m + 1];
        for j in 1..=m {
            let sub = prev[j - 1] + usize::from(*tc != o[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    let best = prev.iter().copied().min().unwrap_or(t.len());
    best as f32 / t.len() as f32
}

fn tesseract(png: &[u8], dir: &Path) -> Option<String> {
    let p = dir.join("ocr.png");
    std::fs::write(&p, png).ok()?;
    let out = Command::new("tesseract").arg(&p).arg("stdout").args(["-l", "fra", "--psm", "4"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn main() {
    let Some(dir) = std::env::var_os("COFFRE_FIXTURES").map(PathBuf::from) else {
        eprintln!("set COFFRE_FIXTURES to a directory made by gen-fixtures (scripts/capture-bench.sh does)");
        return;
    };
    let truths: Vec<Truth> = match std::fs::read_to_string(dir.join("truth.json")).map(|s| serde_json::from_str(&s)) {
        Ok(Ok(t)) => t,
        _ => {
            eprintln!("cannot read {}/truth.json", dir.display());
            return;
        }
    };
    let cv: Vec<CvRow> = std::env::var_os("COFFRE_OPENCV_JSON")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let tmp = std::env::temp_dir().join(format!("coffre-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&tmp);

    let mut rows = Vec::new();
    let (mut t_warp, mut t_enh, mut t_enc) = (Vec::new(), Vec::new(), Vec::new());
    let mut sizes: Vec<(String, usize)> = Vec::new();
    let mut cers: Vec<(String, f32)> = Vec::new();
    let verbose = std::env::var_os("COFFRE_BENCH_VERBOSE").is_some();
    for t in &truths {
        let Ok(bytes) = std::fs::read(dir.join(&t.file)) else { continue };
        let t0 = Instant::now();
        let Ok(img) = decode(&bytes) else {
            eprintln!("{}: decode failed", t.file);
            continue;
        };
        let t_decode = ms(t0);
        let preview = img.width() * img.height() <= 640 * 480;
        let large = img.width() * img.height() >= 10_000_000;
        // Best of 3, the protocol of the OpenCV baseline (`opencv_baseline.py`), so that both
        // columns are measured the same way on this shared machine.
        let luma: Vec<u8> = if preview {
            img.pixels()
                .map(|p| (0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2])) as u8)
                .collect()
        } else {
            Vec::new()
        };
        let mut det = (None, f64::MAX);
        for _ in 0..3 {
            let t1 = Instant::now();
            let d = if preview {
                LumaFrame::new(img.width(), img.height(), img.width() as usize, &luma).map(|f| detect_preview(&f)).ok()
            } else {
                Some(detect(&img))
            };
            det = (d, det.1.min(ms(t1)));
        }
        let (det, t_detect) = det;
        let diag = (img.width() as f32).hypot(img.height() as f32);
        let mut row = Row {
            file: t.file.clone(),
            large,
            preview,
            empty: t.corners.is_none(),
            t_decode,
            t_detect,
            ..Row::default()
        };
        if let Some(d) = det {
            row.found = d.found();
            if let (Some(q), Some(c)) = (d.quad, t.corners) {
                let truth = Quad::from_array(c);
                row.iou = quad_iou(&q, &truth);
                row.err_pct = corner_error_pct(&q, &truth, diag);
            }
            if verbose {
                eprintln!(
                    "{} {:?} {:?} found={} conf={:.2} iou={:.3} err={:.2}%",
                    t.file, t.spec.kind, t.spec.background, row.found, d.confidence, row.iou, row.err_pct
                );
            }
            // Rest of the pipeline on 12 MP photos and medium letters (for OCR).
            if let (Some(q), false) = (d.quad, preview) {
                let t2 = Instant::now();
                let small = deskew(&img, &q, &DeskewOptions { max_long_side: 400, ..DeskewOptions::default() });
                let Ok(small) = small else { continue };
                let mode = choose_mode(&small.image, small.format);
                let dpi =
                    if mode == Mode::Text || small.format == coffre_capture::PaperFormat::Id1 { 300.0 } else { 200.0 };
                let page = deskew(
                    &img,
                    &q,
                    &DeskewOptions {
                        dpi,
                        max_long_side: if mode == Mode::Text { 3508 } else { 2339 },
                        ..DeskewOptions::default()
                    },
                );
                let Ok(page) = page else { continue };
                let tw = ms(t2);
                let t3 = Instant::now();
                let enh = enhance_format(&page.image, mode, page.format);
                let te = ms(t3);
                let t4 = Instant::now();
                let enc = encode_page(&enh, page.dpi, &EncodeOptions::for_page(mode, page.format));
                let thumb = thumbnail(&enh);
                let tc = ms(t4);
                if large {
                    t_warp.push(tw);
                    t_enh.push(te);
                    t_enc.push(tc);
                }
                if let (Ok(enc), Ok(thumb)) = (enc, thumb) {
                    sizes.push((format!("{:?}/{:?}/{:?}", t.spec.kind, page.format, mode), enc.bytes.len()));
                    sizes.push(("thumbnail".into(), thumb.bytes.len()));
                    if t.spec.kind == coffre_fixtures::DocKind::Letter
                        && row.iou >= 0.9
                        && (large || img.width() * img.height() >= 1_900_000)
                    {
                        // OCR the text-mode page.
                        let text_page = if mode == Mode::Text {
                            Ok(enc)
                        } else {
                            let p = deskew(&img, &q, &DeskewOptions::default());
                            p.and_then(|p| {
                                encode_page(
                                    &enhance(&p.image, Mode::Text),
                                    p.dpi,
                                    &EncodeOptions::for_page(Mode::Text, p.format),
                                )
                            })
                        };
                        if let Ok(tp) = text_page {
                            match tesseract(&tp.bytes, &tmp) {
                                Some(txt) => {
                                    let c = cer(&t.text, &txt);
                                    if verbose {
                                        eprintln!("ocr {} cer={:.2}% mode={:?}", t.file, 100.0 * c, mode);
                                    }
                                    cers.push((t.file.clone(), c))
                                }
                                None => eprintln!(
                                    "tesseract missing or failed (apt-get install tesseract-ocr tesseract-ocr-fra)"
                                ),
                            }
                        }
                    }
                }
            }
        }
        rows.push(row);
    }
    let _ = std::fs::remove_dir_all(&tmp);

    let docs: Vec<&Row> = rows.iter().filter(|r| !r.empty).collect();
    let ok = docs.iter().filter(|r| r.iou >= 0.9).count();
    let mut errs: Vec<f32> = docs.iter().filter(|r| r.found).map(|r| r.err_pct).collect();
    let mean_err = errs.iter().sum::<f32>() / errs.len().max(1) as f32;
    let empties = rows.iter().filter(|r| r.empty).count();
    let false_pos = rows.iter().filter(|r| r.empty && r.found).count();
    println!(
        "\n== Coffre capture benchmark: {} images ({} with a document, {} without) ==",
        rows.len(),
        docs.len(),
        empties
    );
    println!("{:<34} {:>12} {:>12}", "", "coffre", "opencv");
    // OpenCV figures on the same files.
    let truth_of = |f: &str| truths.iter().find(|t| t.file == f);
    let mut cv_ok = 0;
    let mut cv_errs = Vec::new();
    let mut cv_fp = 0;
    let mut cv_t_large = Vec::new();
    let mut cv_t_prev = Vec::new();
    for c in &cv {
        let Some(t) = truth_of(&c.file) else { continue };
        let (w, h) = (t.spec.width, t.spec.height);
        if w * h >= 10_000_000 {
            cv_t_large.push(c.t_detect_ms);
        } else if w * h <= 640 * 480 {
            cv_t_prev.push(c.t_detect_ms);
        }
        match (t.corners, c.corners) {
            (None, _) => cv_fp += usize::from(c.found),
            (Some(tc), Some(cc)) if c.found => {
                let (a, b) = (Quad::from_array(cc), Quad::from_array(tc));
                if quad_iou(&a, &b) >= 0.9 {
                    cv_ok += 1;
                }
                cv_errs.push(corner_error_pct(&a, &b, (w as f32).hypot(h as f32)));
            }
            _ => {}
        }
    }
    let cvs = !cv.is_empty();
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    let col = |v: String| if cvs { v } else { "-".into() };
    println!(
        "{:<34} {:>11.1}% {:>12}",
        "detected with IoU >= 0.9",
        pct(ok, docs.len()),
        col(format!("{:.1}%", pct(cv_ok, docs.len())))
    );
    println!(
        "{:<34} {:>11.2}% {:>12}",
        "median corner error (% diag)",
        median(&mut errs),
        col(format!("{:.2}%", median(&mut cv_errs)))
    );
    println!(
        "{:<34} {:>11.2}% {:>12}",
        "mean corner error (% diag)",
        mean_err,
        col(format!("{:.2}%", cv_errs.iter().sum::<f32>() / cv_errs.len().max(1) as f32))
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "false positives on empty scenes",
        format!("{false_pos}/{empties}"),
        col(format!("{cv_fp}/{empties}"))
    );
    let large: Vec<&Row> = rows.iter().filter(|r| r.large).collect();
    let prev: Vec<&Row> = rows.iter().filter(|r| r.preview).collect();
    let t_det_large: Vec<f64> = large.iter().map(|r| r.t_detect).collect();
    let t_det_prev: Vec<f64> = prev.iter().map(|r| r.t_detect).collect();
    println!(
        "{:<34} {:>10.1}ms {:>12}",
        "detect, 12 MP photo (mean)",
        mean(&t_det_large),
        col(format!("{:.1}ms", mean(&cv_t_large)))
    );
    println!(
        "{:<34} {:>10.1}ms {:>12}",
        "detect, 640x480 preview (mean)",
        mean(&t_det_prev),
        col(format!("{:.1}ms", mean(&cv_t_prev)))
    );
    println!("{:<34} {:>10.0}/s", "preview frames per second", 1000.0 / mean(&t_det_prev));
    for (name, sub) in [("12 MP", &large), ("640x480", &prev)] {
        let n = sub.iter().filter(|r| !r.empty).count();
        let k = sub.iter().filter(|r| !r.empty && r.iou >= 0.9).count();
        println!("{:<34} {:>11.1}%  ({k}/{n})", format!("  IoU >= 0.9 on {name}"), pct(k, n));
    }
    println!("\nper-stage time on 12 MP photos (mean over {}):", large.len());
    println!(
        "  decode {:.0} ms | detect {:.0} ms | warp {:.0} ms | enhance {:.0} ms | encode+thumb {:.0} ms",
        mean(&large.iter().map(|r| r.t_decode).collect::<Vec<_>>()),
        mean(&t_det_large),
        mean(&t_warp),
        mean(&t_enh),
        mean(&t_enc)
    );
    println!("\noutput bytes (max / mean per kind):");
    let mut kinds: Vec<String> = sizes.iter().map(|s| s.0.clone()).collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        let v: Vec<usize> = sizes.iter().filter(|s| s.0 == k).map(|s| s.1).collect();
        println!(
            "  {:<28} max {:>7} B  mean {:>7} B  (n={})",
            k,
            v.iter().max().unwrap_or(&0),
            v.iter().sum::<usize>() / v.len().max(1),
            v.len()
        );
    }
    if cers.is_empty() {
        println!("\nOCR: no letter page OCRed (tesseract missing, or no letter detected)");
    } else {
        let mut c: Vec<f32> = cers.iter().map(|c| c.1).collect();
        let m = c.iter().sum::<f32>() / c.len() as f32;
        println!(
            "\nOCR character error rate (tesseract fra, {} letter pages): mean {:.2}%, median {:.2}%, max {:.2}%",
            c.len(),
            100.0 * m,
            100.0 * median(&mut c),
            100.0 * c.iter().copied().fold(0.0, f32::max)
        );
    }
    if verbose {
        for r in &rows {
            if !r.empty && r.iou < 0.9 {
                eprintln!("miss: {} found={} iou={:.3}", r.file, r.found, r.iou);
            }
        }
    }
}
