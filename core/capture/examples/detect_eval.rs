//! Detection-only evaluation on a fixture directory made by `gen-fixtures`: IoU, corner error and
//! detection time per image (best of `COFFRE_EVAL_RUNS`, default 1). For quick iteration; the
//! figures of record come from `scripts/capture-bench.sh`.
//!
//! `cargo run -p coffre-capture --release --example detect_eval -- DIR`

use std::time::Instant;

use coffre_capture::{LumaFrame, Quad, decode, detect, detect_preview, quad_iou};
use coffre_fixtures::Truth;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: detect_eval FIXTURE_DIR");
        return;
    };
    let runs: usize = std::env::var("COFFRE_EVAL_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let Ok(Ok(truths)) =
        std::fs::read_to_string(format!("{dir}/truth.json")).map(|s| serde_json::from_str::<Vec<Truth>>(&s))
    else {
        eprintln!("cannot read {dir}/truth.json");
        return;
    };
    let (mut ok, mut docs, mut fp) = (0, 0, 0);
    let mut t_large = Vec::new();
    let mut t_med = Vec::new();
    let mut t_prev = Vec::new();
    let only = std::env::args().nth(2);
    for t in &truths {
        if only.as_ref().is_some_and(|o| !t.file.contains(o.as_str())) {
            continue;
        }
        let Ok(bytes) = std::fs::read(format!("{dir}/{}", t.file)) else { continue };
        let Ok(img) = decode(&bytes) else { continue };
        let preview = img.width() * img.height() <= 640 * 480;
        let luma: Vec<u8> = img
            .pixels()
            .map(|p| (0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2])) as u8)
            .collect();
        let mut best = f64::MAX;
        let mut det = None;
        for _ in 0..runs.max(1) {
            let t0 = Instant::now();
            let d = if preview {
                LumaFrame::new(img.width(), img.height(), img.width() as usize, &luma).ok().map(|f| detect_preview(&f))
            } else {
                Some(detect(&img))
            };
            best = best.min(t0.elapsed().as_secs_f64() * 1e3);
            det = d;
        }
        let Some(d) = det else { continue };
        let px = img.width() * img.height();
        if preview {
            t_prev.push(best)
        } else if px >= 10_000_000 {
            t_large.push(best)
        } else {
            t_med.push(best)
        }
        let iou = match (d.quad, t.corners) {
            (Some(q), Some(c)) => quad_iou(&q, &Quad::from_array(c)),
            _ => 0.0,
        };
        if t.corners.is_some() {
            docs += 1;
            if iou >= 0.9 {
                ok += 1;
            }
        } else if d.found() {
            fp += 1;
        }
        println!(
            "{} {}x{} {:?} {:?} found={} conf={:.2} iou={:.3} {:.1}ms{}",
            t.file,
            img.width(),
            img.height(),
            t.spec.kind,
            t.spec.background,
            d.found(),
            d.confidence,
            iou,
            best,
            if t.corners.is_some() && iou < 0.9 {
                "  <-- MISS"
            } else if t.corners.is_none() && d.found() {
                "  <-- FP"
            } else {
                ""
            }
        );
        if only.is_some() {
            println!("  got   {:?}\n  truth {:?}", d.quad.map(|q| q.to_array()), t.corners);
        }
    }
    let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    println!(
        "IoU>=0.9: {ok}/{docs} ({:.1}%), false positives {fp}; detect mean 12MP {:.1} ms, medium {:.1} ms, preview {:.1} ms",
        100.0 * ok as f64 / docs.max(1) as f64,
        mean(&t_large),
        mean(&t_med),
        mean(&t_prev)
    );
}
