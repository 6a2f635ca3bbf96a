#![doc = include_str!("../README.md")]

// From the top down: `commands` dispatches to the subcommand modules (`*_cmd`), which share the
// lower modules (`export`, `versions`, `core_errors`, then `ctx`, `secret`, `errors`, `i18n`).
mod capture_cmd;
mod commands;
mod core_errors;
mod ctx;
mod devices_view;
mod errors;
mod export;
mod i18n;
mod interrupt;
mod mandate_cmd;
mod progress;
mod recovery_cmd;
mod secret;
mod share_cmd;
mod sync_cmd;
mod vault_cmd;
mod version_cmd;
mod versions;

use clap::Parser;
use commands::Command;
use ctx::{Ctx, GlobalArgs};
use i18n::{Lang, exit};

/// Coffre — coffre-fort numérique / personal document safe.
#[derive(Debug, Parser)]
#[command(name = "coffre", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

fn main() {
    let lang = Lang::from_env();
    // The time zone, read while the process has one thread (see `i18n::offset`).
    let _ = i18n::offset();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let ctx = Ctx { cli: &cli.global, lang };
    if let Some(ca) = &cli.global.ca_file
        && let Err(e) = coffre_core::sync::trust_operator_ca_file(ca)
    {
        let message = lang.t(
            "Le fichier d'autorité de certification (--ca-file) est illisible ou n'en contient pas : demandez le bon fichier à votre structure.",
            "The certificate authority file (--ca-file) cannot be read or holds none: ask your organisation for the right file.",
        );
        eprintln!("coffre: {message} ({e})");
        std::process::exit(exit::USAGE);
    }
    quiet_on_closed_pipe();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commands::run(&ctx, &cli.command)));
    let code = match run {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("coffre: {}", e.message);
            e.code
        }
        Err(payload) if is_closed_pipe(payload.as_ref()) => exit::CLOSED_PIPE,
        Err(payload) => std::panic::resume_unwind(payload),
    };
    std::process::exit(code);
}

/// `println!` panics when the reader of standard output went away (`coffre list | head`). That is
/// not a failure of ours: end quietly with [`exit::CLOSED_PIPE`] instead of a panic message.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_closed_pipe(info.payload()) {
            default(info);
        }
    }));
}

fn is_closed_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied());
    text.is_some_and(|t| t.starts_with("failed printing to stdout") && t.contains("Broken pipe"))
}

#[cfg(test)]
mod arg_tests {
    use super::Cli;
    use clap::Parser;

    /// base64url keys start with '-' one time in 64: they must not be read as flags.
    #[test]
    fn base64url_values_may_start_with_a_hyphen() {
        let key = "-x3Fq9_abcdefghijklmnopqrstuvwxyz0123456789AB";
        let cases: [&[&str]; 4] = [
            &["coffre", "org", "revoke-agent", "--file", "org.json", "--server", "http://s", "--device", key],
            &["coffre", "verify-deposit", "audit.json", "--server-key", key],
            &["coffre", "recover", "assisted", "setup", "--org", key, "--agent-cert", "a", "--agent-cert", "b"],
            &["coffre", "recover", "assisted", "complete", "--server", "http://s", "--share", key],
        ];
        for args in cases {
            let parsed = Cli::try_parse_from(args.iter().copied());
            assert!(parsed.is_ok(), "{args:?}: {:?}", parsed.err().map(|e| e.to_string()));
            assert!(format!("{:?}", parsed.ok()).contains(key), "{args:?}");
        }
    }
}
