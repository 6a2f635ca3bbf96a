//! Detection-only evaluation on a fixture directory made by `gen-fixtures`: IoU, corner error and
//! detection time per image (best of `COFFRE_EVAL_RUNS`, default 1). For quick iteration; the
//! figures of record come from `scripts/capture-bench.sh`.
//!
//! `cargo run -p coffre-capture --release --example detect_eval -- DIR [scene]`
//!
//! `COFFRE_DEBUG=1` prints the detector's trace (stage times, candidates, scores) on stderr;
//! `COFFRE_DEBUG_QUAD=x0,y0,…,x3,y3` (input pixels) prints the scores of that quad.

use std::time::Instant;

use coffre_capture::{
    DetectOptions, DetectTrace, Detection, LumaFrame, Quad, TraceEvent, decode, detect_luma_traced, detect_luma_with,
    detect_traced, detect_with, quad_iou,
};
use coffre_fixtures::Truth;
use image::RgbImage;

/// The trace settings read from the environment.
struct Debug {
    all: bool,
    probe: Option<Quad>,
}

impl Debug {
    fn from_env() -> Self {
        let probe = std::env::var("COFFRE_DEBUG_QUAD").ok().and_then(|v| {
            let c: Vec<f32> = v.split(',').filter_map(|t| t.trim().parse().ok()).collect();
            (c.len() == 8).then(|| Quad::from_array([[c[0], c[1]], [c[2], c[3]], [c[4], c[5]], [c[6], c[7]]]))
        });
        Self { all: std::env::var_os("COFFRE_DEBUG").is_some(), probe }
    }

    fn active(&self) -> bool {
        self.all || self.probe.is_some()
    }

    /// Prints every event with `COFFRE_DEBUG`, else only the probe's.
    fn print(&self, event: TraceEvent) {
        if self.all || matches!(event, TraceEvent::Probe { .. }) {
            eprintln!("{event}");
        }
    }
}

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
    let debug = Debug::from_env();
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
            let d = detect_one(&img, &luma, preview, &debug);
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

/// Detection of one image (a preview-sized one through the luma fast path), traced only when asked
/// (tracing costs time, and the times are part of the report).
fn detect_one(img: &RgbImage, luma: &[u8], preview: bool, debug: &Debug) -> Option<Detection> {
    let mut print = |event: TraceEvent| debug.print(event);
    if preview {
        let frame = LumaFrame::new(img.width(), img.height(), img.width() as usize, luma).ok()?;
        let opts = DetectOptions::preview();
        Some(if debug.active() {
            detect_luma_traced(&frame, &opts, DetectTrace { sink: &mut print, probe: debug.probe })
        } else {
            detect_luma_with(&frame, &opts)
        })
    } else {
        let opts = DetectOptions::default();
        let trace = DetectTrace { sink: &mut print, probe: debug.probe };
        Some(if debug.active() { detect_traced(img, &opts, trace) } else { detect_with(img, &opts) })
    }
}
