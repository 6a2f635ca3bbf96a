//! Coffre sync server. It stores ciphertext only: opaque op payloads chained and signed per vault,
//! content-addressed chunks, committed blob manifests, and one-shot linking mailboxes.
//! The wire protocol is `docs/sync-protocol.md`; its types live in `coffre-sync-protocol`.
//!
//! Layout, from the top down (a module only uses the ones below it):
//! - [`server`] (serve, spawn) and [`router`] (every route, in one table);
//! - the handlers: [`api`] (vaults, devices, ops, chunks, blobs, mailboxes), [`generation`] (account key
//!   generations), [`mandate`], [`recovery`], [`share`];
//! - what they share: [`extract`] (the `Member` and versioned-JSON extractors), [`auth`] (request
//!   signatures), [`replay`] (nonces kept across restarts), [`audit`] (the holder's audit trail), [`observe`]
//!   (logs and metrics per request);
//! - [`state`] (the shared state and its [`state::Stores`]), [`membership`], [`guards`] (replay cache, rate
//!   limits), [`registration`] (who may register, new vaults' quota), [`request_limits`] (in-flight cap,
//!   request timeout), [`conn_guard`] (connection caps, idle timeout), [`client_addr`] (the client's
//!   address behind trusted proxies), [`error`], [`metrics`], [`config`], [`clock`];
//! - [`store`]: the storage traits, the embedded SQLite + files backends and the scale-out PostgreSQL +
//!   S3 ones; [`migrate`] moves an installation from the first to the second;
//! - beside them: [`tls`] (HTTPS served by the process itself), [`watermark`] (refusing uploads before
//!   the disk is full), [`admin`] (`coffre-server backup`, `restore`, `check`).

// Library code logs through `tracing`; only the binary prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod conn_guard;
pub mod error;
pub mod extract;
pub mod generation;
pub mod guards;
pub mod mandate;
pub mod membership;
pub mod metrics;
pub mod migrate;
pub mod observe;
pub mod recovery;
pub mod registration;
pub mod replay;
pub mod request_limits;
pub mod router;
pub mod server;
pub mod share;
pub mod state;
pub mod store;
pub mod tls;
pub mod watermark;

pub use clock::now_secs;
pub use config::Config;
pub use membership::MEMBERSHIP_TTL;
pub use server::{RunningServer, serve, spawn};
pub use state::{AppState, Inner, ServerError, Stores, load_or_create_key};
