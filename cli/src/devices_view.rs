//! How `device list` and `sync` show devices and alerts to a person: both views of each device (the
//! log's certificate, the server's membership), who added whom, last seen, which entry is the recovery
//! kit; server members the log does not know (strays); assisted-recovery requests to cancel.

use coffre_core::sync_engine::{Device, DeviceRole, RecoveryAlert, Strays};

use crate::i18n::Lang;

/// `01/12/2026 14:05 UTC` (French) or `2026-12-01 14:05 UTC`.
pub(crate) fn date(lang: Lang, unix: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    match lang {
        Lang::Fr | Lang::Ar => {
            format!("{:02}/{:02}/{} {:02}:{:02} UTC", t.day(), u8::from(t.month()), t.year(), t.hour(), t.minute())
        }
        Lang::En => {
            format!("{}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
        }
    }
}

/// The first 12 hex digits: enough to tell devices apart on screen.
fn short(pk: &str) -> &str {
    pk.get(..12).unwrap_or(pk)
}

/// The name a person reads: the one given at linking, else what the device is for.
fn name_of(lang: Lang, d: &Device, n: usize) -> String {
    match (&d.name, d.role) {
        (Some(name), _) => name.clone(),
        (None, DeviceRole::RecoveryKit) => lang.t("Kit de secours", "Recovery kit").to_string(),
        (None, DeviceRole::AssistedRecovery) => lang.t("Secours avec l'organisme", "Assisted recovery").to_string(),
        (None, DeviceRole::Device) => match lang {
            Lang::Fr | Lang::Ar => format!("Appareil {n}"),
            Lang::En => format!("Device {n}"),
        },
    }
}

/// Who added it: "cet appareil", another device's name, or the vault's creation.
fn adder(lang: Lang, devices: &[Device], by: Option<&str>) -> String {
    let Some(by) = by else { return lang.t("création du coffre", "vault creation").to_string() };
    match devices.iter().position(|d| d.public_key == by) {
        Some(i) if devices[i].this_device => lang.t("cet appareil", "this device").to_string(),
        Some(i) => name_of(lang, &devices[i], i + 1),
        None => short(by).to_string(),
    }
}

pub(crate) fn print_devices(lang: Lang, devices: &[Device]) {
    for (i, d) in devices.iter().enumerate() {
        let me = if d.this_device { lang.t(" (cet appareil)", " (this device)") } else { "" };
        println!("{}{me}  [{}]", name_of(lang, d, i + 1), short(&d.public_key));
        let state = match (&d.server, d.removed, d.in_log) {
            (_, _, false) => lang.t(
                "inconnu de l'historique du coffre : ajouté sur le serveur sans certificat (retiré à la prochaine synchronisation)",
                "unknown to the vault's history: added on the server without a certificate (removed at the next sync)",
            ),
            (Some(s), false, true) if s.removed_at.is_some() => {
                lang.t("retiré sur le serveur, pas encore dans l'historique", "removed on the server, not yet in the history")
            }
            (_, true, true) => lang.t("retiré", "removed"),
            (None, false, true) => lang.t("actif (serveur non consulté)", "active (server not asked)"),
            (Some(_), false, true) => lang.t("actif", "active"),
        };
        println!("    {}", state);
        if let Some(s) = &d.server {
            let by = adder(lang, devices, s.added_by.as_deref());
            println!(
                "    {} {} · {} {by}",
                lang.t("ajouté le", "added on"),
                date(lang, s.added_at),
                lang.t("par", "by")
            );
            match s.last_seen_at {
                Some(t) => println!("    {} {}", lang.t("vu pour la dernière fois le", "last seen on"), date(lang, t)),
                None => println!("    {}", lang.t("pas encore vu", "not seen yet")),
            }
            if let Some(t) = s.removed_at {
                println!("    {} {}", lang.t("retiré le", "removed on"), date(lang, t));
            }
        }
    }
}

/// After a sync: strays the sync removed or could not remove, and assisted-recovery requests.
pub(crate) fn print_sync_notices(lang: Lang, strays: &Strays, requests: &[RecoveryAlert]) {
    for pk in &strays.removed {
        eprintln!(
            "{} {}",
            lang.t(
                "Retiré : une clé ajoutée sur le serveur sans certificat de votre coffre :",
                "Removed: a key added on the server without your vault's certificate:",
            ),
            short(pk)
        );
    }
    for pk in &strays.left {
        eprintln!(
            "{} {} {}",
            lang.t(
                "Attention : le serveur garde une clé que votre coffre ne connaît pas :",
                "Warning: the server keeps a key your vault does not know:",
            ),
            short(pk),
            lang.t("(voir coffre device list)", "(see coffre device list)")
        );
    }
    for r in requests {
        let when = date(lang, r.started_at);
        let ready = date(lang, r.ready_at);
        match lang {
            Lang::Fr | Lang::Ar => eprintln!(
                "Attention : une récupération assistée de ce coffre a été demandée le {when} (possible à partir du {ready}). Si ce n'est pas vous, annulez-la : coffre recover assisted cancel"
            ),
            Lang::En => eprintln!(
                "Warning: an assisted recovery of this vault was requested on {when} (possible from {ready}). If it was not you, cancel it: coffre recover assisted cancel"
            ),
        }
    }
}
