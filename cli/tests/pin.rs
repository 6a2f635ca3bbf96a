//! A phone thief guessing the PIN (issue 13 #6), from the command line: weak PINs are refused at
//! creation with the reason and advice (French first); wrong PINs are counted in the vault header, the
//! waits grow and survive between runs, and the message points to the recovery kit.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Output;

fn coffre(vault: &Path, pin: &str, lang: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, pin, lang).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn weak_pins_are_refused_with_an_explanation() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("v");
    let fr = "fr_FR.UTF-8";
    for (pin, said) in [
        ("1234", "trop court : il faut au moins 6 chiffres"),
        ("123456", "suit l'ordre des chiffres"),
        ("000000", "répète le même chiffre"),
        ("121212", "répète un petit motif"),
        ("140785", "ressemble à une date"),
        ("motdepasse", "l'un des plus utilisés"),
        ("chat", "au moins 8 caractères"),
    ] {
        let o = coffre(&v, pin, fr, &["init"]);
        assert_eq!(o.status.code(), Some(2), "{pin}");
        assert!(stderr(&o).contains(said), "{pin}: {}", stderr(&o));
        assert!(stderr(&o).contains("Choisissez 6 chiffres au hasard"), "{pin}: {}", stderr(&o));
        assert!(!v.join("vault.json").exists(), "{pin}: no vault made");
    }
    let en = coffre(&v, "1234", "C", &["init"]);
    assert!(stderr(&en).contains("This PIN is too short: it needs at least 6 digits."), "{}", stderr(&en));
    common::ok(coffre(&v, "482915", fr, &["init"]));
}

#[test]
fn wrong_pins_wait_longer_across_runs_and_point_to_the_kit() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("v");
    let fr = "fr_FR.UTF-8";
    common::ok(coffre(&v, "482915", fr, &["init"]));
    // Three wrong tries, each a separate run: counted, told, no wait yet.
    for n in 1..=3 {
        let o = coffre(&v, "111111", fr, &["list"]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert!(stderr(&o).contains("Code secret incorrect"), "{}", stderr(&o));
        if n >= 2 {
            assert!(stderr(&o).contains(&format!("{n} codes faux de suite")), "{}", stderr(&o));
            assert!(stderr(&o).contains("coffre recover"), "{}", stderr(&o));
        }
    }
    // The fourth run waits, even with the right PIN: exit 9, the delay and the kit.
    let o = coffre(&v, "482915", fr, &["list"]);
    assert_eq!(o.status.code(), Some(9), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(said.contains("Trop de codes faux (3 de suite) : prochain essai possible dans"), "{said}");
    assert!(said.contains("kit de secours") && said.contains("coffre recover"), "{said}");
    let en = coffre(&v, "482915", "C", &["list"]);
    assert!(stderr(&en).contains("Too many wrong passphrases (3 in a row)"), "{}", stderr(&en));
}
