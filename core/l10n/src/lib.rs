//! One message catalogue for every surface of Coffre (CLI, core errors, recovery kit, watermark,
//! share viewer, phone apps): Project Fluent files, one per language, compiled into the binary
//! (`core/l10n/<lang>/coffre.ftl`). French is the reference and is written in easy-to-read French
//! (FALC); a message missing from another language falls back to French, never to an id or a panic.
//!
//! A translator works only on the `.ftl` files: see `docs/translating.md`. The tests of this crate
//! list every id missing from a shipped language and every id no code uses.

mod catalogue;
mod format;
mod lang;
pub mod shaping;

pub use catalogue::{Arg, Args, Catalogue, FTL_SOURCES, catalogue};
pub use format::{date_in_words, date_time_in_words, local_offset, size};
pub use lang::{Direction, Lang};

/// `Catalogue::get` on the shipped catalogue: the message `id` in `lang`, with `args`.
pub fn t(lang: Lang, id: &str, args: &Args) -> String {
    catalogue().get(lang, id, args)
}

/// A message without arguments.
pub fn t0(lang: Lang, id: &str) -> String {
    catalogue().get(lang, id, &Args::new())
}
