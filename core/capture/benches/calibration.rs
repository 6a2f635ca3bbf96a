//! Is the detector's confidence honest? Generates scenes (documents and photos with no document),
//! detects, and prints a calibration table: for each confidence band, how many detections had an
//! IoU ≥ 0.9 with the truth. The promise made to the app (see `CONFIDENT` in the crate): a
//! confidence ≥ 0.9 means IoU ≥ 0.9 in at least 95 % of cases; below, the app asks the person to
//! check the corners.
//!
//! `cargo bench -p coffre-capture --bench calibration [-- SEED N_MEDIUM N_PREVIEW N_NODOC]`
//! (defaults: 2024 60 60 30; photos at 1600×1200, preview frames at 640×480 through the luma fast
//! path). Figures only: nothing here asserts.

use coffre_capture::{CONFIDENT, Detection, LumaFrame, Quad, decode, detect, detect_preview, quad_iou};
use coffre_fixtures::{SceneSpec, encode_scene, no_document_set, render_scene, standard_set};

struct Sample {
    what: String,
    confidence: f32,
    found: bool,
    iou: Option<f32>,
}

fn run(spec: &SceneSpec) -> Option<Sample> {
    let scene = render_scene(spec);
    let img = decode(&encode_scene(&scene)).ok()?;
    let d: Detection = if img.width() * img.height() <= 640 * 480 {
        let luma: Vec<u8> = img
            .pixels()
            .map(|p| (0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2])) as u8)
            .collect();
        detect_preview(&LumaFrame::new(img.width(), img.height(), img.width() as usize, &luma).ok()?)
    } else {
        detect(&img)
    };
    let iou = scene.corners.map(|c| d.quad.map_or(0.0, |q| quad_iou(&q, &Quad::from_array(c))));
    let what = format!("{:?} on {:?}, {}×{}, seed {}", spec.kind, spec.background, spec.width, spec.height, spec.seed);
    Some(Sample { what, confidence: d.confidence, found: d.found(), iou })
}

/// A detection whose quad overlaps the truth by at least 0.9.
fn good(s: &Sample) -> bool {
    s.iou.is_some_and(|i| i >= 0.9)
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let arg = |i: usize, d: u64| args.get(i).copied().unwrap_or(d);
    let (seed, n_medium, n_preview, n_nodoc) = (arg(0, 2024), arg(1, 60), arg(2, 60), arg(3, 30));
    let mut specs = standard_set(seed, 0, n_medium as usize, n_preview as usize);
    specs.extend(no_document_set(seed, n_nodoc as usize).into_iter().filter(|s| s.width <= 1600 && s.height <= 1600));
    let samples: Vec<Sample> = specs.iter().filter_map(run).collect();

    let docs: Vec<&Sample> = samples.iter().filter(|s| s.iou.is_some()).collect();
    let empty: Vec<&Sample> = samples.iter().filter(|s| s.iou.is_none()).collect();
    println!("seed {seed}: {} scenes with a document, {} without", docs.len(), empty.len());
    println!(
        "detection (IoU >= 0.9): {}/{} ({:.1} %); false positives on photos with no document: {}/{}",
        docs.iter().filter(|s| good(s)).count(),
        docs.len(),
        100.0 * docs.iter().filter(|s| good(s)).count() as f64 / docs.len().max(1) as f64,
        empty.iter().filter(|s| s.found).count(),
        empty.len()
    );
    println!("\n| confidence | found | IoU >= 0.9 | share | no document (false positives) |");
    println!("| --- | --- | --- | --- | --- |");
    let bands = [(0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01), (CONFIDENT, 1.01)];
    for (lo, hi) in bands {
        let in_band = |s: &&&Sample| s.found && s.confidence >= lo && s.confidence < hi;
        let found: Vec<&&Sample> = docs.iter().filter(in_band).collect();
        let ok = found.iter().filter(|s| good(s)).count();
        let fp = empty.iter().filter(in_band).count();
        let label = if hi > 1.0 { format!(">= {lo:.2}") } else { format!("{lo:.2}–{hi:.2}") };
        let share = if found.is_empty() {
            "–".to_string()
        } else {
            format!("{:.1} %", 100.0 * ok as f64 / found.len() as f64)
        };
        println!("| {label} | {} | {ok} | {share} | {fp} |", found.len());
    }
    println!("\nconfident but wrong (confidence >= {CONFIDENT}, IoU < 0.9):");
    for s in docs.iter().filter(|s| s.found && s.confidence >= CONFIDENT && !good(s)) {
        println!("  {}: confidence {:.3}, IoU {:.3}", s.what, s.confidence, s.iou.unwrap_or(0.0));
    }
    for s in empty.iter().filter(|s| s.found) {
        println!("  no document, found anyway: {}: confidence {:.3}", s.what, s.confidence);
    }
    let confident: Vec<&&Sample> = docs.iter().filter(|s| s.found && s.confidence >= CONFIDENT).collect();
    let honest = confident.iter().filter(|s| good(s)).count() as f64 / confident.len().max(1) as f64;
    println!(
        "\nconfidence >= {CONFIDENT}: IoU >= 0.9 in {:.1} % ({}/{}) — target >= 95 %",
        100.0 * honest,
        confident.iter().filter(|s| good(s)).count(),
        confident.len()
    );
}
