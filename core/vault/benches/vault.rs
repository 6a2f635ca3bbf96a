//! Vault figures, printed as ratios against baselines measured in the same run:
//! unlock (Argon2id + open) and unlock -> first pinned page decoded; adding 10,000 small documents;
//! list and search latency at 10,000 (target < 10 ms per query); SQLCipher vs plain SQLite; an import
//! of 1,000 files one by one vs in batches (COFFRE_BENCH_IMPORT to change the 1,000).
//! Run: `cargo bench -p coffre-vault` (COFFRE_BENCH_DOCS to change the 10,000).
#![allow(clippy::unwrap_used)]

use coffre_vault::*;
use std::time::{Duration, Instant};

const PASS: &[u8] = b"bench passphrase";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn small_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 200, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn main() {
    let n: usize = std::env::var("COFFRE_BENCH_DOCS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let jpeg = small_jpeg();
    println!("coffre-vault bench ({n} documents)");

    // --- add N small documents ---
    let mut v = Vault::create(&dir, PASS, None).unwrap();
    let words = ["carte", "vitale", "attestation", "caf", "loyer", "salaire", "impots", "rib", "sejour", "sante"];
    let start = Instant::now();
    let mut pinned = None;
    for i in 0..n {
        let cat = CATALOGUE[i % CATALOGUE.len()].code;
        let meta = NewDocument {
            category: cat.into(),
            title: format!("{} {} {i}", words[i % words.len()], words[(i / 10) % words.len()]),
            tags: vec![words[(i / 3) % words.len()].into()],
            notes: format!("note numero {i}"),
            expires_on: (i % 7 == 0).then(|| format!("20{:02}-0{}-1{}", 26 + i % 5, 1 + i % 9, i % 10)),
            ..Default::default()
        };
        let id = v
            .add_document(
                meta,
                Origin::Camera,
                vec![PageInput { bytes: jpeg.clone(), mime: "image/jpeg".into(), role: PageRole::Page }],
            )
            .unwrap();
        if i == n / 2 {
            pinned = Some(id);
        }
    }
    let add = start.elapsed();
    v.set_pinned(&pinned.unwrap(), true).unwrap();
    println!(
        "add {n} docs ({} B page): {:.1} s total, {:.2} ms/doc (fsync'd)",
        jpeg.len(),
        add.as_secs_f64(),
        ms(add) / n as f64
    );

    // --- list and search latency ---
    let time_q = |f: &dyn Fn() -> usize| {
        let runs: Vec<Duration> = (0..30)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect();
        median(runs)
    };
    let list_page = time_q(&|| v.list(&ListQuery { limit: Some(50), ..Default::default() }).unwrap().len());
    let list_all = time_q(&|| v.list(&ListQuery::default()).unwrap().len());
    let by_cat =
        time_q(&|| v.list(&ListQuery { category: Some("carte_vitale".into()), ..Default::default() }).unwrap().len());
    let by_cat_50 = time_q(&|| {
        v.list(&ListQuery { category: Some("carte_vitale".into()), limit: Some(50), ..Default::default() })
            .unwrap()
            .len()
    });
    let search1 = time_q(&|| v.search("vitale", Some(50)).unwrap().len());
    let search2 = time_q(&|| v.search("attest caf 12", Some(50)).unwrap().len());
    let expiring = time_q(&|| v.expiring_within(60).unwrap().len());
    let target = Duration::from_millis(10);
    for (name, d) in [
        ("list first 50", list_page),
        ("list by category (first 50)", by_cat_50),
        ("list by category (all ~n/22)", by_cat),
        ("search 'vitale' (50)", search1),
        ("search 'attest caf 12'", search2),
        ("expiring within 60 d", expiring),
        ("list all (no limit)", list_all),
    ] {
        println!("{name:30} {:8.3} ms   ({:.2}x the 10 ms target)", ms(d), d.as_secs_f64() / target.as_secs_f64());
    }
    drop(v);

    // --- unlock, and unlock -> first pinned page decoded ---
    let unlock: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let v = Vault::open(&dir, PASS, None).unwrap();
            let e = t.elapsed();
            drop(v);
            e
        })
        .collect();
    let desk: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let v = Vault::open(&dir, PASS, None).unwrap();
            let (_, bytes) = v.first_pinned_page().unwrap().unwrap();
            let img = image::load_from_memory(&bytes).unwrap();
            std::hint::black_box(img.width());
            t.elapsed()
        })
        .collect();
    let (unlock, desk) = (median(unlock), median(desk));
    println!(
        "unlock (Argon2id 64 MiB t=3 + open SQLCipher): {:.0} ms; unlock -> first pinned page decoded: {:.0} ms ({:.3}x unlock)",
        ms(unlock),
        ms(desk),
        desk.as_secs_f64() / unlock.as_secs_f64()
    );

    // --- SQLCipher vs plain SQLite, same workload ---
    let cipher = sql_workload(&tmp.path().join("c.db"), Some(&"ab".repeat(32)), n);
    let plain = sql_workload(&tmp.path().join("p.db"), None, n);
    println!(
        "SQLCipher vs SQLite, {n} inserts in one tx + 200 indexed queries + 50 FTS queries: {:.0} ms vs {:.0} ms -> {:.2}x",
        ms(cipher),
        ms(plain),
        cipher.as_secs_f64() / plain.as_secs_f64()
    );

    import_batches(tmp.path());
}

/// `coffre import` of many files (issue 18): each file as its own document (`import_file`, three
/// fsyncs each) vs batches made durable together (`import_files`, [`IMPORT_BATCH`] per batch), on the
/// same 200 KiB files, in halves interleaved so load hits both alike. Durability is the same; the
/// kill test (`tests/kill.rs`) covers both paths.
fn import_batches(tmp: &std::path::Path) {
    let n: usize = std::env::var("COFFRE_BENCH_IMPORT").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let files_dir = tmp.join("files");
    std::fs::create_dir_all(&files_dir).unwrap();
    let mut files = Vec::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..n {
        // A PDF header then incompressible bytes: 200 KiB, as a scanned page.
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.resize(200 * 1024, 0);
        for b in bytes[9..].iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let path = files_dir.join(format!("page-{i}.pdf"));
        std::fs::write(&path, &bytes).unwrap();
        files.push((path, NewDocument::default()));
    }
    let mut one = Vault::create(&tmp.join("one"), PASS, None).unwrap();
    let mut batched = Vault::create(&tmp.join("batched"), PASS, None).unwrap();
    let (mut t_one, mut t_batched) = (Duration::ZERO, Duration::ZERO);
    for half in files.chunks(n.div_ceil(2)) {
        let t = Instant::now();
        for (path, meta) in half {
            one.import_file(path, meta.clone()).unwrap();
        }
        t_one += t.elapsed();
        let t = Instant::now();
        for batch in half.chunks(IMPORT_BATCH) {
            assert!(batched.import_files(batch).failed.is_none());
        }
        t_batched += t.elapsed();
    }
    println!(
        "import {n} files of 200 KiB: one by one {:.2} s, in batches of {IMPORT_BATCH} {:.2} s -> {:.2}x the time ({:.1}x faster)",
        t_one.as_secs_f64(),
        t_batched.as_secs_f64(),
        t_batched.as_secs_f64() / t_one.as_secs_f64(),
        t_one.as_secs_f64() / t_batched.as_secs_f64()
    );
}

fn sql_workload(path: &std::path::Path, key: Option<&str>, n: usize) -> Duration {
    let conn = rusqlite::Connection::open(path).unwrap();
    if let Some(k) = key {
        conn.execute_batch(&format!("PRAGMA key = \"x'{k}'\";")).unwrap();
    }
    let t = Instant::now();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE d (rowid INTEGER PRIMARY KEY, id BLOB UNIQUE, cat TEXT, title TEXT, notes TEXT, m INTEGER);
         CREATE INDEX d_cat ON d (cat, m);
         CREATE VIRTUAL TABLE f USING fts5 (title, notes, tokenize = 'unicode61 remove_diacritics 2');",
    )
    .unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..n {
        let title = format!("document {} numero {i}", i % 97);
        tx.execute(
            "INSERT INTO d (id, cat, title, notes, m) VALUES (?1, ?2, ?3, 'notes de test', ?4)",
            rusqlite::params![(i as u128).to_le_bytes().to_vec(), format!("c{}", i % 20), title, i as i64],
        )
        .unwrap();
        tx.execute("INSERT INTO f (rowid, title, notes) VALUES (last_insert_rowid(), ?1, 'notes de test')", [title])
            .unwrap();
    }
    tx.commit().unwrap();
    for i in 0..200 {
        let mut s = conn.prepare_cached("SELECT title FROM d WHERE cat = ?1 ORDER BY m DESC LIMIT 50").unwrap();
        let c: usize = s.query_map([format!("c{}", i % 20)], |r| r.get::<_, String>(0)).unwrap().count();
        std::hint::black_box(c);
    }
    for i in 0..50 {
        let mut s = conn.prepare_cached("SELECT rowid FROM f WHERE f MATCH ?1 LIMIT 50").unwrap();
        let c: usize = s.query_map([format!("\"numero\" \"{}\"", i * 3)], |r| r.get::<_, i64>(0)).unwrap().count();
        std::hint::black_box(c);
    }
    t.elapsed()
}
