//! The operator's commands of the binary (`backup`, `restore`, `check`, `--version`): argument
//! parsing and what they print, in French then English. The work is in the library's `admin`.

use std::path::PathBuf;
use std::process::ExitCode;

use coffre_sync_server::Config;
use coffre_sync_server::admin::{self, AdminError};

pub enum AdminCommand {
    Backup(PathBuf),
    Restore(PathBuf),
    Check { deep: bool, json: bool },
}

impl AdminCommand {
    /// `first` and what follows it, or `None` for a usage error.
    pub fn parse(first: &str, rest: &mut impl Iterator<Item = String>) -> Option<AdminCommand> {
        match first {
            "backup" => rest.next().map(|d| AdminCommand::Backup(PathBuf::from(d))),
            "restore" => rest.next().map(|d| AdminCommand::Restore(PathBuf::from(d))),
            "check" => {
                let (mut deep, mut json) = (false, false);
                for a in rest.by_ref() {
                    match a.as_str() {
                        "--deep" => deep = true,
                        "--json" => json = true,
                        _ => return None,
                    }
                }
                Some(AdminCommand::Check { deep, json })
            }
            _ => None,
        }
    }
}

/// `coffre-server 0.1.0 (protocol 2)`.
pub fn version() -> String {
    format!("coffre-server {} (protocol {})", env!("CARGO_PKG_VERSION"), coffre_sync_protocol::PROTOCOL_VERSION)
}

pub fn run(cfg: &Config, command: AdminCommand) -> ExitCode {
    match command {
        AdminCommand::Backup(dest) => match admin::backup(&cfg.data_dir, &dest) {
            Ok(r) => {
                println!(
                    "Sauvegarde faite dans {d} : {v} coffre(s), {c} morceau(x), {b} octets.\n\
                     Elle contient la clé du serveur (server.key) : gardez-la aussi secrète que le serveur.\n\
                     Backup written to {d}: {v} vault(s), {c} chunk(s), {b} bytes.\n\
                     It holds the server key (server.key): keep it as secret as the server.\n\
                     server key / clé du serveur: {k}",
                    d = dest.display(),
                    v = r.vaults,
                    c = r.chunks,
                    b = r.chunk_bytes,
                    k = r.server_key
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        AdminCommand::Restore(from) => match admin::restore(&from, &cfg.data_dir) {
            Ok(r) => {
                println!(
                    "Restauré dans {d} : {v} coffre(s), {c} morceau(x). Démarrez le serveur sur ce dossier.\n\
                     Restored into {d}: {v} vault(s), {c} chunk(s). Start the server on this directory.\n\
                     server key / clé du serveur: {k}",
                    d = cfg.data_dir.display(),
                    v = r.vaults,
                    c = r.chunks,
                    k = r.server_key
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        AdminCommand::Check { deep, json } => match admin::check(&cfg.data_dir, deep) {
            Ok(r) => {
                if json {
                    println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
                } else {
                    println!(
                        "vaults {} · ops {} · chunks {} ({} bytes) · blobs {} · shares {} · unreferenced chunk files {}\n\
                         server key / clé du serveur: {}",
                        r.vaults,
                        r.ops,
                        r.chunks,
                        r.chunk_bytes,
                        r.blobs,
                        r.shares,
                        r.unreferenced_chunk_files,
                        r.server_key
                    );
                    for p in &r.problems {
                        println!("PROBLEM: {p}");
                    }
                    if r.is_ok() {
                        println!("OK : les données sont cohérentes. / OK: the data is consistent.");
                    } else {
                        println!(
                            "{} problème(s) : restaurez la dernière sauvegarde saine (docs/hosting.md).\n\
                             {} problem(s): restore the last sound backup (docs/hosting.md).",
                            r.problems.len(),
                            r.problems.len()
                        );
                    }
                }
                if r.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
            }
            Err(e) => fail(&e),
        },
    }
}

fn fail(e: &AdminError) -> ExitCode {
    let fr = match e {
        AdminError::NotEmpty(_) => "Ce dossier n'est pas vide : choisissez-en un nouveau. Rien n'a été écrit.",
        AdminError::NoKey(_) => {
            "La clé du serveur (server.key) manque : sans elle, tous les téléphones refuseraient ce serveur."
        }
        AdminError::BadKey(_) => "La clé du serveur (server.key) est abîmée.",
        AdminError::NotABackup(_) => "Ce dossier n'est pas une sauvegarde Coffre.",
        AdminError::Inconsistent(..) => {
            "Les données copiées ne sont pas cohérentes : relancez, ou prenez une autre sauvegarde."
        }
        AdminError::Io(..) | AdminError::Db(..) => "Lecture ou écriture impossible.",
    };
    eprintln!("coffre-server: {fr}\ncoffre-server: {e}");
    ExitCode::FAILURE
}
