//! `cargo run --example detect -- photo.jpg...`: prints `detect --json` for each photo.

fn main() {
    for path in std::env::args().skip(1) {
        match std::fs::read(&path).map(|b| coffre_capture::detect_json(&b)) {
            Ok(Ok(json)) => println!("{json}"),
            Ok(Err(e)) => println!("{{\"error\": \"{e}\"}}"),
            Err(e) => println!("{{\"error\": \"{e}\"}}"),
        }
    }
}
