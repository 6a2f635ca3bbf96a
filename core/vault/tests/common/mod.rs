#![allow(dead_code, clippy::unwrap_used)]

use coffre_vault::{NewDocument, PageInput, PageRole, Vault};
use std::path::Path;

pub const PASS: &[u8] = b"correct horse 1234";

pub fn new_vault(dir: &Path) -> Vault {
    Vault::create(dir, PASS, None).unwrap()
}

pub fn meta(category: &str, title: &str) -> NewDocument {
    NewDocument { category: category.into(), title: title.into(), ..Default::default() }
}

/// A tiny but structurally valid PNG-like payload (sniffs as PNG).
pub fn png_bytes(seed: u8, len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v
}

pub fn jpeg_bytes(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(17).wrapping_add(seed)));
    v.extend([0xFF, 0xD9]);
    v
}

pub fn page(bytes: Vec<u8>, mime: &str) -> PageInput {
    PageInput { bytes, mime: mime.into(), role: PageRole::Page }
}

/// All blob files of a vault directory.
pub fn blob_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir.join("blobs")).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out.sort();
    out
}
