#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub use coffre_capture as capture;
pub use coffre_crypto as crypto;
pub use coffre_qr as qr;
pub use coffre_sync as sync;
pub use coffre_vault as vault;

mod capture_to_vault;
pub mod error;
pub mod mandate;
pub mod messages;
pub mod recovery;
mod session;
pub mod share;
pub mod sync_engine;

pub use capture_to_vault::{RotateError, rotate_pages, save_capture, save_capture_version};
