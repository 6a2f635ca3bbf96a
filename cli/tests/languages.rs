//! The CLI's error paths in French and in Arabic say nothing in English (issue 16): each converted
//! path is run for real, under `LANG=fr_FR.UTF-8` and `LANG=ar_MA.UTF-8`, and its output is checked
//! against a list of English words that used to leak (an error's English `Display`, an
//! `io::ErrorKind`, a category label...). The same paths in English are checked to be English, so
//! the check cannot pass by printing nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

const PASS: &str = "mot de passe 2468";

/// Words that are English and not French (nor part of a command name or an option).
const ENGLISH: &[&str] = &[
    "the",
    "not",
    "found",
    "error",
    "invalid",
    "input",
    "entity",
    "file",
    "vault",
    "please",
    "try",
    "again",
    "nothing",
    "was",
    "server",
    "damaged",
    "wrong",
    "passphrase",
    "deleted",
    "written",
    "give",
    "least",
    "characters",
    "several",
    "pinned",
    "start",
    "at",
    "is",
    "are",
    "your",
    "with",
    "this",
    "address",
    "secure",
    "could",
    "read",
    "write",
    "output",
    "denied",
    "permission",
    "kind",
    "other",
    "identity",
    "card",
    "expired",
    "expires",
    "days",
    "no",
    "none",
];

/// The English words in `text`, ignoring options (`--vault`), variables (`COFFRE_VAULT`), commands
/// quoted « coffre pin ID » and addresses.
fn english_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || ",.;:!?()«»\"'`[]/".contains(c))
        .filter(|w| !w.starts_with("--") && !w.contains('_') && !w.chars().all(|c| !c.is_lowercase()))
        .map(str::to_lowercase)
        .filter(|w| ENGLISH.contains(&w.as_str()))
        .collect()
}

fn run(lang: &str, vault: &Path, pass: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, pass, lang).args(args).stdin(Stdio::null()).output().unwrap()
}

/// Each case: what it exercises, and the arguments (the vault made by `setup`).
fn cases(dir: &Path) -> Vec<(&'static str, std::path::PathBuf, &'static str, Vec<String>)> {
    let vault = dir.join("vault");
    let missing = dir.join("no-vault-here");
    let nothing = dir.join("absent.pdf").display().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        ("no vault", missing, PASS, s(&["list"])),
        ("wrong passphrase", vault.clone(), "pas le bon", s(&["list"])),
        ("short id", vault.clone(), PASS, s(&["show", "ab"])),
        ("unknown id", vault.clone(), PASS, s(&["show", "abcdef12"])),
        ("page 0", vault.clone(), PASS, s(&["show", "--page", "0", "--out", "x.jpg", "abcdef12"])),
        ("no pinned document", vault.clone(), PASS, s(&["desk", "--out", "x.jpg"])),
        ("missing file", vault.clone(), PASS, vec!["import".into(), nothing]),
        ("http server", vault.clone(), PASS, s(&["sync", "--server", "http://example.org"])),
        ("not an address", vault.clone(), PASS, s(&["sync", "--server", "example.org"])),
        ("not connected", vault, PASS, s(&["sync"])),
    ]
}

fn setup(dir: &Path) {
    let out = run("fr_FR.UTF-8", &dir.join("vault"), PASS, &["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn error_paths_in_french_and_arabic_print_no_english() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let mut report = Vec::new();
    for (name, vault, pass, args) in cases(tmp.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for lang in ["fr_FR.UTF-8", "ar_MA.UTF-8"] {
            let out = run(lang, &vault, pass, &args);
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!out.status.success(), "{name} ({lang}) should fail: {text}");
            assert!(!text.trim().is_empty(), "{name} ({lang}) printed nothing");
            let words = english_words(&text);
            if !words.is_empty() {
                report.push(format!("{name} ({lang}): {words:?} in «{}»", text.trim()));
            }
            if lang.starts_with("ar") {
                assert!(text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{name}: not Arabic: {text}");
            }
        }
        // The same path in English is English: the word list does catch English.
        let en = run("en_GB.UTF-8", &vault, pass, &args);
        let text = String::from_utf8_lossy(&en.stderr).to_string();
        assert!(!english_words(&text).is_empty(), "{name}: the English message has none of the listed words: {text}");
    }
    assert!(report.is_empty(), "English in French or Arabic output:\n{}", report.join("\n"));
}

#[test]
fn the_word_list_catches_the_old_leaks() {
    // What the CLI printed before issue 16.
    assert_eq!(english_words("Erreur de lecture/écriture : entity not found."), ["entity", "not", "found"]);
    assert_eq!(english_words("Entrée invalide : dates are written YYYY-MM-DD."), ["are", "written"]);
    assert!(english_words("Indiquez le dossier avec --vault DOSSIER ou COFFRE_VAULT.").is_empty());
}
