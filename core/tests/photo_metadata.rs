//! A phone photo's metadata (GPS position, camera, comments) never reaches the vault, a share copy or
//! an export, whether the photo was imported or captured; a sideways photo is stored upright.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::Path;

use coffre_core::capture::{CaptureOptions, capture};
use coffre_core::share::{ShareRequest, make_copies};
use coffre_core::vault::{ExportFormat, NewDocument, PageRole, Vault};
use coffre_fixtures::{Background, DocKind, SceneSpec, encode_scene, render_scene};

const GPS_MARK: &[u8] = b"GPS-48.8566N-2.3522E";
const CAMERA_MARK: &[u8] = b"PhoneMaker Model-X";
const COMMENT_MARK: &[u8] = b"chez Madame Dupont, 12 rue Secrete";
/// The latitude as EXIF rationals (48/1, 51/1, 2436/100), big-endian: a byte pattern of the GPS IFD.
const LATITUDE: [u8; 24] = [0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 9, 132, 0, 0, 0, 100];

/// A big-endian TIFF/EXIF block: IFD0 with Make, Model, Orientation and a GPS IFD pointer; the GPS
/// IFD with latitude, longitude ref and a processing-method string.
fn exif(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0 at 8: 4 entries (12 bytes each) + next-IFD offset.
    let ifd0_len = 2 + 4 * 12 + 4;
    let make_off = 8 + ifd0_len;
    let model_off = make_off + CAMERA_MARK.len() as u32 + 1;
    let gps_off = model_off + CAMERA_MARK.len() as u32 + 1;
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend(tag.to_be_bytes());
        t.extend(kind.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value.to_be_bytes());
    };
    t.extend(4u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, CAMERA_MARK.len() as u32 + 1, make_off);
    entry(&mut t, 0x0110, 2, CAMERA_MARK.len() as u32 + 1, model_off);
    entry(&mut t, 0x0112, 3, 1, u32::from(orientation) << 16);
    entry(&mut t, 0x8825, 4, 1, gps_off);
    t.extend(0u32.to_be_bytes());
    for _ in 0..2 {
        t.extend(CAMERA_MARK);
        t.push(0);
    }
    // GPS IFD: 3 entries.
    let gps_len = 2 + 3 * 12 + 4;
    let lat_off = gps_off + gps_len;
    let method_off = lat_off + LATITUDE.len() as u32;
    t.extend(3u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_be_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, lat_off);
    entry(&mut t, 0x001B, 7, GPS_MARK.len() as u32, method_off);
    t.extend(0u32.to_be_bytes());
    t.extend(LATITUDE);
    t.extend(GPS_MARK);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(t);
    app1
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    s.extend(payload);
    s
}

/// `jpeg` with an EXIF block (GPS, camera, `orientation`) and a comment inserted after its SOI, and
/// a trailer after its end (as motion photos carry).
fn with_metadata(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend(segment(0xE1, &exif(orientation)));
    out.extend(segment(0xFE, COMMENT_MARK));
    out.extend(&jpeg[2..]);
    out.extend(b"MotionPhoto_Data");
    out.extend(GPS_MARK);
    out
}

fn plain_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), 90)
        .encode(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn assert_clean(what: &str, bytes: &[u8]) {
    for (name, mark) in [
        ("GPS", GPS_MARK),
        ("camera", CAMERA_MARK),
        ("comment", COMMENT_MARK),
        ("latitude", &LATITUDE[..]),
        ("Exif header", b"Exif\0\0"),
    ] {
        assert!(!contains(bytes, mark), "{what}: the {name} metadata is still there");
    }
}

fn files_under(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(std::fs::read(p).unwrap()) }
    }
    out
}

fn meta(title: &str) -> NewDocument {
    NewDocument { category: "autre".into(), title: title.into(), ..Default::default() }
}

#[test]
fn imported_photo_keeps_no_metadata_in_vault_share_or_export() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let original = plain_jpeg(64, 48);
    let tagged = with_metadata(&original, 1);
    assert!(contains(&tagged, GPS_MARK) && image::load_from_memory(&tagged).is_ok(), "the test photo is valid");
    let photo = dir.path().join("IMG_0001.jpg");
    std::fs::write(&photo, &tagged).unwrap();

    let mut vault = Vault::create(&vault_dir, b"correct horse 1234", None).unwrap();
    let id = vault.import_file(&photo, meta("photo")).unwrap();
    drop(vault);
    // Read back from the real SQLCipher vault after reopening.
    let vault = Vault::open(&vault_dir, b"correct horse 1234", None).unwrap();
    let stored = vault.page_bytes(&id, 0).unwrap();
    assert_clean("vault page", &stored);
    // Lossless: the compressed image is the original's, byte for byte.
    assert_eq!(&stored[..], &original[..], "only metadata was removed");
    for blob in files_under(&vault_dir) {
        assert_clean("vault file", &blob);
    }

    let request =
        ShareRequest { documents: vec![id], lifetime_secs: 3600, max_opens: None, purpose: None, dossier: None };
    let copies = make_copies(&vault, &request, 1_800_000_000).unwrap();
    assert_eq!(copies.pages.len(), 1);
    assert_clean("share copy", &copies.pages[0]);

    let export = dir.path().join("export");
    vault.export(&export, ExportFormat::Folder).unwrap();
    let exported = files_under(&export);
    assert!(exported.iter().any(|f| f[..] == original[..]), "the page is in the export");
    for f in &exported {
        assert_clean("export", f);
    }
    let zip = dir.path().join("export.zip");
    vault.export(&zip, ExportFormat::Zip).unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        assert_clean("zip export", &bytes);
    }
}

#[test]
fn sideways_photo_is_stored_upright_and_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(dir.path(), b"correct horse 1234", None).unwrap();
    // Stored pixels 64 × 48, EXIF orientation 6: the photo is 48 wide and 64 high once upright.
    let tagged = with_metadata(&plain_jpeg(64, 48), 6);
    let id = vault.import_reader(Cursor::new(tagged), "IMG_0002.jpg", meta("sideways")).unwrap();
    let stored = vault.page_bytes(&id, 0).unwrap();
    assert_clean("upright page", &stored);
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!((img.width(), img.height()), (48, 64), "turned upright");
}

#[test]
fn captured_photo_keeps_no_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(dir.path(), b"correct horse 1234", None).unwrap();
    let spec = SceneSpec {
        seed: 9,
        kind: DocKind::IdCard,
        background: Background::Wood,
        width: 1600,
        height: 1200,
        doc_fraction: 0.7,
        rotation: 4.0,
        tilt: 10.0,
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
    let photo = with_metadata(&encode_scene(&render_scene(&spec)), 1);
    let doc = capture(&photo, &CaptureOptions::default()).unwrap();
    let id = coffre_core::save_capture(&mut vault, &doc, meta("carte")).unwrap();
    let stored = vault.get(&id).unwrap();
    for p in &stored.pages {
        let bytes = if p.role == PageRole::Page {
            vault.page_bytes(&id, p.index).unwrap()
        } else {
            continue;
        };
        assert_clean("captured page", &bytes);
    }
}
