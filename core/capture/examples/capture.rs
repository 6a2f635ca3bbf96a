//! `cargo run --example capture -- photo.jpg out-prefix [text|colour|grey]`: runs the whole pipeline
//! and writes `out-prefix.{png|jpg}`, `out-prefix-thumb.jpg` and `out-prefix.pdf`.

use coffre_capture::{CaptureOptions, capture};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(prefix)) = (args.first(), args.get(1)) else {
        eprintln!("usage: capture photo.jpg out-prefix [text|colour|grey]");
        return;
    };
    let opts = CaptureOptions { mode: args.get(2).and_then(|m| m.parse().ok()), ..CaptureOptions::default() };
    let result =
        std::fs::read(input).map_err(|e| e.to_string()).and_then(|b| capture(&b, &opts).map_err(|e| e.to_string()));
    match result {
        Ok(doc) => {
            for (i, p) in doc.pages.iter().enumerate() {
                let ext = if p.image.mime == "image/png" { "png" } else { "jpg" };
                let _ = std::fs::write(format!("{prefix}-{i}.{ext}"), &p.image.bytes);
                println!(
                    "page {i}: {:?} {:?} {}x{} {} bytes, quad {:?}",
                    p.mode,
                    p.format,
                    p.image.width,
                    p.image.height,
                    p.image.bytes.len(),
                    p.quad.map(|q| q.to_array())
                );
            }
            let _ = std::fs::write(format!("{prefix}-thumb.jpg"), &doc.thumbnail.bytes);
            if let Ok(pdf) = doc.to_pdf() {
                let _ = std::fs::write(format!("{prefix}.pdf"), pdf);
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
}
