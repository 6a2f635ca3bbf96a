//! The catalogue's checks, which a translator runs with `cargo test -p coffre-l10n`: every file
//! parses, every id of the reference (French) exists in every shipped language and no language has
//! an id French lacks, every message formats without error in every language, and no id is unused.

use coffre_l10n::{Args, Catalogue, FTL_SOURCES, Lang, catalogue};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[test]
fn every_file_parses_without_errors_or_duplicate_ids() {
    assert_eq!(catalogue().problems(), &[] as &[String]);
    for lang in Lang::ALL {
        let ids = catalogue().ids(lang);
        let unique: BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{}: an id is written twice", lang.code());
    }
}

#[test]
fn every_id_exists_in_every_shipped_language() {
    let reference: BTreeSet<String> = catalogue().ids(Lang::Fr).into_iter().collect();
    let mut report = Vec::new();
    for lang in Lang::ALL {
        let ids: BTreeSet<String> = catalogue().ids(lang).into_iter().collect();
        for missing in reference.difference(&ids) {
            report.push(format!("{}: missing {missing}", lang.code()));
        }
        for extra in ids.difference(&reference) {
            report.push(format!("{}: {extra} is not in fr/coffre.ftl", lang.code()));
        }
    }
    assert!(report.is_empty(), "catalogue differs from the reference:\n{}", report.join("\n"));
}

#[test]
fn a_missing_id_is_reported_and_falls_back_to_french() {
    // The same check on a catalogue with a gap: the gap is seen, and a person still reads French.
    let broken = Catalogue::from_sources(&[(Lang::Fr, "a = un\nb = deux\n"), (Lang::Ar, "a = واحد\n")]);
    assert_eq!(broken.get(Lang::Ar, "a", &Args::new()), "واحد");
    assert_eq!(broken.get(Lang::Ar, "b", &Args::new()), "deux");
    assert_eq!(broken.get(Lang::Ar, "nowhere", &Args::new()), "nowhere");
    let bad = Catalogue::from_sources(&[(Lang::Fr, "a = { $x\n")]);
    assert!(!bad.problems().is_empty(), "a syntax error is reported");
}

#[test]
fn plural_rules_follow_each_language() {
    let c = catalogue();
    let n = |lang, count| c.get(lang, "size-bytes", &Args::new().count("count", count));
    assert_eq!(n(Lang::Fr, 0), "0 octet", "French: 0 takes the singular");
    assert_eq!(n(Lang::En, 0), "0 bytes");
    assert_eq!(n(Lang::Ar, 2), "بايتان", "Arabic has a dual");
    assert_eq!(n(Lang::Ar, 5), "5 بايتات");
    assert_eq!(n(Lang::Ar, 11), "11 بايت");
}

/// Where ids are used: the Rust sources of the workspace and the viewer's sources.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> =
        ["core", "cli", "bindings/src", "sync-server/src", "sync-server/viewer/src", "sync-server/viewer/index.html"]
            .iter()
            .map(|p| root.join(p))
            .collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if p.ends_with("node_modules") || p.ends_with("target") {
                continue;
            }
            for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                stack.push(e.path());
            }
        } else if p.extension().is_some_and(|e| e == "rs" || e == "js" || e == "html")
            && !p.starts_with(root.join("core/l10n/tests"))
        {
            out.push(p);
        }
    }
    out
}

/// Ids built from a code at run time (`category-<code>`...): the crate that owns the codes checks
/// them against its own list (see each family's test, named here).
const FAMILIES: &[(&str, &str)] = &[
    ("category-", "coffre-core: l10n_labels::every_category_has_a_label"),
    ("collection-", "coffre-core: l10n_labels::every_collection_has_a_label"),
    ("scope-", "coffre-core: l10n_labels::every_scope_has_a_label"),
    ("audit-", "coffre-core: l10n_labels::every_audit_kind_has_a_label"),
    ("dossier-", "coffre-core: l10n_labels::every_dossier_has_a_label"),
    ("viewer-", "sync-server/viewer: strings read from the compiled JSON"),
];

#[test]
fn no_id_is_unused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text: String = sources(&root).iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    let ftl: String = FTL_SOURCES.iter().map(|(_, t)| *t).collect();
    let unused: Vec<String> = catalogue()
        .ids(Lang::Fr)
        .into_iter()
        .filter(|id| !FAMILIES.iter().any(|(prefix, _)| id.starts_with(prefix)))
        // Used from code as a string, or from another message as `{ id }`.
        .filter(|id| !text.contains(&format!("\"{id}\"")) && !ftl.contains(&format!("{{ {id} }}")))
        .collect();
    assert!(unused.is_empty(), "ids no code uses (remove them, or use them):\n{}", unused.join("\n"));
}

#[test]
fn viewer_json_keeps_placeholders_for_the_page() {
    let json = catalogue().to_json(Lang::Ar, "viewer-");
    assert!(json.contains("\"viewer-expires\": \"تنتهي صلاحية هذا الرابط في {date}.\""), "{json}");
    let fr = catalogue().to_json(Lang::Fr, "viewer-");
    assert!(fr.contains("\"viewer-print\": \"Imprimer\""), "{fr}");
    assert!(!fr.contains("category-"));
}

/// The share page bundles `sync-server/viewer/src/messages.json`: it must be the catalogue's current
/// text. `COFFRE_WRITE_VIEWER_JSON=1 cargo test -p coffre-l10n` rewrites it (then run
/// `sync-server/viewer/build.sh`).
#[test]
fn viewer_json_is_the_catalogues() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sync-server/viewer/src/messages.json");
    let json = catalogue().viewer_json();
    if std::env::var_os("COFFRE_WRITE_VIEWER_JSON").is_some() {
        std::fs::write(&path, &json).expect("write messages.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == json,
        "sync-server/viewer/src/messages.json is stale: run COFFRE_WRITE_VIEWER_JSON=1 cargo test -p coffre-l10n, then sync-server/viewer/build.sh"
    );
}
