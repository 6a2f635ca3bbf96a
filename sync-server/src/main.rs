//! `coffre-server [--config FILE]`: the Coffre sync server with embedded storage (SQLite + files in the
//! data directory). Configuration: the TOML file (or `COFFRE_SERVER_CONFIG`), then `COFFRE_SERVER_*`.
//! Operator commands on the same configuration: `backup DIR`, `restore DIR`, `check` (`admin_cmd.rs`).

mod admin_cmd;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use coffre_sync_server::{AppState, Config};

fn usage() -> ExitCode {
    eprintln!(
        "usage: coffre-server [--config FILE] [--print-config | --version]\n       \
         coffre-server [--config FILE] backup DIR | restore DIR | check [--deep] [--json]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut file: Option<PathBuf> = std::env::var_os("COFFRE_SERVER_CONFIG").map(PathBuf::from);
    let mut print = false;
    let mut admin: Option<admin_cmd::AdminCommand> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => match args.next() {
                Some(f) => file = Some(PathBuf::from(f)),
                None => return usage(),
            },
            "--print-config" => print = true,
            "--version" | "-V" => {
                println!("{}", admin_cmd::version());
                return ExitCode::SUCCESS;
            }
            _ if admin.is_none() => match admin_cmd::AdminCommand::parse(&a, &mut args) {
                Some(c) => admin = Some(c),
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    let env: HashMap<String, String> = std::env::vars().collect();
    let cfg = match Config::load(file.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coffre-server: {e}");
            return ExitCode::from(2);
        }
    };
    if print {
        match toml::to_string(&cfg) {
            Ok(s) => {
                println!("{s}");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("coffre-server: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(command) = admin {
        return admin_cmd::run(&cfg, command);
    }
    init_tracing(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coffre-server: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cfg: Config) -> Result<(), Box<dyn std::error::Error>> {
    let listen = cfg.listen;
    // A certificate that does not load stops the server here, before it says it listens.
    coffre_sync_server::tls::ServerTls::from_config(&cfg)?;
    let plain_http = cfg.plain_http_warning();
    let state = AppState::open_embedded(cfg)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "coffre-server listening");
    if let Some(warning) = plain_http {
        tracing::warn!("{warning}");
        eprintln!("coffre-server: WARNING: {warning}");
    }
    // Machine-readable line for supervisors and tests started with port 0.
    println!("listening on {addr}");
    coffre_sync_server::serve(state, listener, shutdown_signal()).await?;
    tracing::info!("coffre-server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}
