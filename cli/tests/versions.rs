//! `coffre version list|add|show` and `coffre capture --replace`: a new version becomes current, the
//! older one stays readable, messages in French and English.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use coffre_fixtures::{Background, DocKind, SceneSpec, encode_scene, render_scene};
use std::path::Path;
use std::process::Output;

fn coffre(vault: &Path, lang: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "versions 1357", lang).args(args).output().unwrap()
}

fn json(out: Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)));
    v
}

#[test]
fn add_list_and_read_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let (old, new) = (tmp.path().join("old.jpg"), tmp.path().join("new.jpg"));
    std::fs::write(&old, jpeg(1, 4000)).unwrap();
    std::fs::write(&new, jpeg(2, 5000)).unwrap();
    ok(coffre(&v, "C", &["init"]));
    let added = json(coffre(&v, "C", &["import", old.to_str().unwrap(), "--title", "Carte vitale", "--json"]));
    let id = added[0]["id"].as_str().unwrap().to_string();

    let listed = json(coffre(&v, "C", &["version", "add", &id[..8], new.to_str().unwrap(), "--json"]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0]["number"].as_u64(), listed[0]["current"].as_bool()), (Some(1), Some(false)));
    assert_eq!((listed[1]["number"].as_u64(), listed[1]["current"].as_bool()), (Some(2), Some(true)));
    assert!(listed.iter().all(|x| x["concurrent"] == false));

    // `show` gives the current version; `version show 1` the older one.
    let out = tmp.path().join("p.jpg");
    ok(coffre(&v, "C", &["show", &id, "--out", out.to_str().unwrap()]));
    assert_eq!(std::fs::read(&out).unwrap(), jpeg(2, 5000));
    ok(coffre(&v, "C", &["version", "show", &id, "1", "--out", out.to_str().unwrap()]));
    assert_eq!(std::fs::read(&out).unwrap(), jpeg(1, 4000));

    let text = ok(coffre(&v, "fr_FR.UTF-8", &["version", "list", &id]));
    assert!(text.contains("2.") && text.contains("actuelle"), "{text}");
    let missing = coffre(&v, "fr_FR.UTF-8", &["version", "show", &id, "9", "--out", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Pas de version"));
    let missing = coffre(&v, "en_GB.UTF-8", &["version", "list", "abcdef12"]);
    assert_eq!(missing.status.code(), Some(4));
}

#[test]
fn capture_replace_adds_a_version() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let spec = SceneSpec {
        seed: 5,
        kind: DocKind::Letter,
        background: Background::Tiles,
        width: 900,
        height: 1200,
        doc_fraction: 0.8,
        rotation: 3.0,
        tilt: 5.0,
        shadow: 0.0,
        gradient: 0.1,
        blur: 1.0,
        noise: 2.0,
        jpeg_quality: 85,
        curl: 0.0,
        finger: false,
        exif_orientation: 1,
        empty: false,
    };
    let photo = tmp.path().join("lettre.jpg");
    std::fs::write(&photo, encode_scene(&render_scene(&spec))).unwrap();
    ok(coffre(&v, "C", &["init"]));
    let first = json(coffre(&v, "C", &["capture", photo.to_str().unwrap(), "--json"]));
    let id = first["id"].as_str().unwrap().to_string();
    let versions = json(coffre(&v, "C", &["capture", photo.to_str().unwrap(), "--replace", &id, "--json"]));
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["current"], true);
    assert_eq!(versions[1]["origin"], "camera");
    // Metadata options belong to a new document, not to a new version.
    let clash = coffre(&v, "C", &["capture", photo.to_str().unwrap(), "--replace", &id, "--title", "x"]);
    assert_eq!(clash.status.code(), Some(2));
}
