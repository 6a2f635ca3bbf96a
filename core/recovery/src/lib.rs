#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod approval;
pub mod assisted;
mod assisted_error;
pub mod code;
pub mod kit_share;
pub mod pdf;
mod shamir;
mod shamir_v1;
pub mod slot;

pub use code::{CodeError, RecoveryCode, WORD_COUNT, WordList};
pub use pdf::{AssistedPrint, KitPage, kit_pdf};
pub use slot::{
    SLOT_LEN, SLOT_VERSION, SlotError, SlotKind, device_seed, unwrap_ark, unwrap_arks, wrap_ark, wrap_arks,
};
