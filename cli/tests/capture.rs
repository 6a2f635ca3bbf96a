//! `coffre capture` and `coffre capture detect --json` on generated photos.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_fixtures::{Background, DocKind, SceneSpec, encode_scene, render_scene};
use std::path::Path;
use std::process::Output;

fn coffre(vault: &Path, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "capture 1234", "C").args(args).output().unwrap()
}

fn scene(empty: bool, background: Background) -> SceneSpec {
    SceneSpec {
        seed: 11,
        kind: DocKind::Letter,
        background,
        width: 1200,
        height: 1600,
        doc_fraction: 0.8,
        rotation: -5.0,
        tilt: 10.0,
        shadow: 0.0,
        gradient: 0.1,
        blur: 1.0,
        noise: 2.0,
        jpeg_quality: 85,
        curl: 0.0,
        finger: false,
        exif_orientation: 1,
        empty,
    }
}

#[test]
fn detect_json_and_capture_into_the_vault_with_a_pdf() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let rendered = render_scene(&scene(false, Background::Tiles));
    let truth = rendered.corners.unwrap();
    let photo = tmp.path().join("lettre.jpg");
    std::fs::write(&photo, encode_scene(&rendered)).unwrap();

    let out = coffre(&v, &["capture", "detect", photo.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["found"], true);
    let corners = json["corners"].as_array().unwrap();
    assert_eq!(corners.len(), 4);
    for (c, t) in corners.iter().zip(truth) {
        let (x, y) = (c[0].as_f64().unwrap() as f32, c[1].as_f64().unwrap() as f32);
        assert!((x - t[0]).abs() < 25.0 && (y - t[1]).abs() < 25.0, "corner {c} vs truth {t:?}");
    }
    assert!(json["confidence"].as_f64().unwrap() > 0.5);

    assert!(coffre(&v, &["init"]).status.success());
    let pdf = tmp.path().join("lettre.pdf");
    let out = coffre(
        &v,
        &["capture", photo.to_str().unwrap(), "--pdf", pdf.to_str().unwrap(), "-c", "justificatif_domicile", "--json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pages"][0]["mode"], "text");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let list: serde_json::Value = serde_json::from_slice(&coffre(&v, &["list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["origin"], "camera");
    assert_eq!(list[0]["category"], "justificatif_domicile");
}

#[test]
fn no_document_is_said_not_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let photo = tmp.path().join("table.jpg");
    std::fs::write(&photo, encode_scene(&render_scene(&scene(true, Background::Wood)))).unwrap();
    let out = coffre(&v, &["capture", "detect", photo.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json, serde_json::json!({"found": false}));

    let out = coffre(&v, &["capture", photo.to_str().unwrap(), "--no-save", "--out", "/dev/null"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--corners"));
    let junk = tmp.path().join("junk.jpg");
    std::fs::write(&junk, b"\xFF\xD8\xFF\xE0 truncated").unwrap();
    assert_eq!(coffre(&v, &["capture", "detect", junk.to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn a_blurred_photo_is_refused_with_advice_not_stored_blank() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let mut spec = scene(false, Background::Tiles);
    spec.blur = 25.0; // a shaken phone: σ 7.5 px on this 1200 px photo
    let photo = tmp.path().join("floue.jpg");
    std::fs::write(&photo, encode_scene(&render_scene(&spec))).unwrap();
    assert!(coffre(&v, &["init"]).status.success());
    let out = common::coffre_cmd(&v, "capture 1234", "fr_FR.UTF-8")
        .args(["capture", photo.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("La photo est floue. Reprenez-la en tenant le téléphone immobile."),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&coffre(&v, &["list", "--json"]).stdout).unwrap();
    assert_eq!(list, serde_json::json!([]), "nothing stored");
}

#[test]
fn a_painting_is_no_document_and_a_heic_photo_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let mut spec = scene(true, Background::Painting);
    spec.width = 1600;
    spec.height = 1200;
    let photo = tmp.path().join("tableau.jpg");
    std::fs::write(&photo, encode_scene(&render_scene(&spec))).unwrap();
    let fr = |args: &[&str]| common::coffre_cmd(&v, "capture 1234", "fr_FR.UTF-8").args(args).output().unwrap();
    let out = fr(&["capture", photo.to_str().unwrap(), "--no-save"]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aucun document trouvé"));
    let out = coffre(&v, &["capture", photo.to_str().unwrap(), "--no-save"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no document found"));

    let heic = tmp.path().join("IMG_0001.HEIC");
    let mut bytes = vec![0, 0, 0, 24];
    bytes.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    bytes.resize(4096, 0);
    std::fs::write(&heic, bytes).unwrap();
    let out = fr(&["capture", heic.to_str().unwrap(), "--no-save"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Les photos HEIC (iPhone) ne sont pas acceptées"));
}

#[test]
fn rotate_turns_a_page_as_a_new_version() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let photo = tmp.path().join("lettre.jpg");
    std::fs::write(&photo, encode_scene(&render_scene(&scene(false, Background::Wood)))).unwrap();
    assert!(coffre(&v, &["init"]).status.success());
    let out = coffre(&v, &["capture", photo.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = json["id"].as_str().unwrap().to_string();
    let (w, h) = (json["pages"][0]["width"].as_u64().unwrap(), json["pages"][0]["height"].as_u64().unwrap());
    assert!(h > w, "the letter was stored upright (portrait)");

    let out = coffre(&v, &["rotate", &id, "--page", "1", "90"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = tmp.path().join("p.png");
    let out = coffre(&v, &["version", "show", &id, "2", "--page", "1", "--out", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let img = image::load_from_memory(&std::fs::read(&page).unwrap()).unwrap();
    assert_eq!((u64::from(img.width()), u64::from(img.height())), (h, w), "turned a quarter");

    assert_eq!(coffre(&v, &["rotate", &id, "45"]).status.code(), Some(2));
    assert_eq!(coffre(&v, &["rotate", &id, "--page", "7", "180"]).status.code(), Some(2));
}
