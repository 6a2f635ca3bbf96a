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
         coffre-server [--config FILE] backup DIR | restore DIR | check [--deep] [--json]\n       \
         coffre-server migrate --from sqlite:DATA_DIR --to postgres://USER@HOST:PORT/DB [--s3 URL]\n\
         (--s3 http(s)://HOST:PORT/BUCKET for an S3-compatible server, s3://BUCKET for AWS; region and keys \
         from COFFRE_SERVER_S3_REGION, COFFRE_SERVER_S3_ACCESS_KEY_ID, COFFRE_SERVER_S3_SECRET_ACCESS_KEY)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        return migrate_command(std::env::args().skip(2).collect());
    }
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

/// `coffre-server migrate`: see `coffre_sync_server::migrate`.
fn migrate_command(args: Vec<String>) -> ExitCode {
    let (mut from, mut to, mut s3) = (None, None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let slot = match a.as_str() {
            "--from" => &mut from,
            "--to" => &mut to,
            "--s3" => &mut s3,
            _ => return usage(),
        };
        match it.next() {
            Some(v) => *slot = Some(v),
            None => return usage(),
        }
    }
    let (Some(from), Some(to)) = (from, to) else { return usage() };
    let Some(dir) = from.strip_prefix("sqlite:") else { return usage() };
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut cfg = match Config::load(None, &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coffre-server: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(url) = &s3 {
        match split_s3_url(url) {
            Some((endpoint, bucket)) => (cfg.s3_endpoint, cfg.s3_bucket) = (endpoint, bucket),
            None => return usage(),
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coffre-server: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let s3_cfg = s3.is_some().then_some(&cfg);
    match rt.block_on(coffre_sync_server::migrate::migrate(std::path::Path::new(dir), &to, s3_cfg)) {
        Ok(report) => {
            for (table, rows) in &report.tables {
                println!("{table}: {rows} rows");
            }
            println!("chunks copied to the bucket: {}", report.chunks);
            println!("checked: row counts of every table, head and usage of {} vaults", report.vaults);
            println!(
                "done. Copy {dir}/server.key into the data directory of every instance (devices pin that key), \
                 then start them with storage = \"postgres\"{}.",
                if s3.is_some() { " and the s3_* settings" } else { " (chunks stay in this data directory)" }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coffre-server migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `http(s)://host:port/bucket` → (endpoint, bucket); `s3://bucket` → ("", bucket) (AWS).
fn split_s3_url(url: &str) -> Option<(String, String)> {
    if let Some(bucket) = url.strip_prefix("s3://") {
        return (!bucket.is_empty() && !bucket.contains('/')).then(|| (String::new(), bucket.to_string()));
    }
    let scheme_end = url.find("://")? + 3;
    let (endpoint, bucket) = url[scheme_end..].split_once('/')?;
    let bucket = bucket.trim_end_matches('/');
    (!bucket.is_empty() && !bucket.contains('/'))
        .then(|| (format!("{}{endpoint}", &url[..scheme_end]), bucket.to_string()))
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
    let state = AppState::open(cfg).await?;
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

#[cfg(test)]
mod tests {
    use super::split_s3_url;

    #[test]
    fn s3_urls_of_the_migrate_command() {
        let s = |u: &str| split_s3_url(u);
        assert_eq!(s("http://127.0.0.1:9000/chunks"), Some(("http://127.0.0.1:9000".into(), "chunks".into())));
        assert_eq!(s("https://s3.example.org/coffre/"), Some(("https://s3.example.org".into(), "coffre".into())));
        assert_eq!(s("s3://coffre-chunks"), Some((String::new(), "coffre-chunks".into())));
        for bad in ["s3://", "http://host", "http://host/", "http://host/a/b", "host/bucket", "s3://a/b"] {
            assert_eq!(s(bad), None, "{bad}");
        }
    }
}
