//! Ctrl-C during long work. The first press asks the core to stop at its next safe point (through the
//! cancel token the core checks between steps), so what was already sent, received or stored is kept
//! and the vault stays consistent; a second press, or a press when no long work is running, ends the
//! program at once with the usual code, as people expect.
//!
//! The signal is watched by one thread (tokio's safe signal API: the workspace forbids `unsafe`);
//! once it watches, Ctrl-C no longer kills the process by itself, so the thread ends it when there is
//! nothing to cancel.

use crate::i18n::exit;
use coffre_core::sync::CancelToken;
use std::sync::{Mutex, OnceLock};

/// The token of the long work running now, if any.
static CURRENT: Mutex<Option<CancelToken>> = Mutex::new(None);
static WATCHER: OnceLock<bool> = OnceLock::new();

/// While alive, Ctrl-C cancels [`Interrupt::token`] instead of ending the process.
pub struct Interrupt {
    token: CancelToken,
}

impl Interrupt {
    pub fn install() -> Interrupt {
        let token = CancelToken::new();
        let watching = *WATCHER.get_or_init(start_watcher);
        if watching && let Ok(mut current) = CURRENT.lock() {
            *current = Some(token.clone());
        }
        Interrupt { token }
    }

    /// The token to hand to the core's long operations.
    pub fn token(&self) -> &CancelToken {
        &self.token
    }

    pub fn was_pressed(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        if let Ok(mut current) = CURRENT.lock() {
            *current = None;
        }
    }
}

/// Starts the thread that waits for Ctrl-C; false if signals cannot be watched here (then Ctrl-C
/// keeps its default effect: the process ends, and the vault's transactions keep it consistent).
fn start_watcher() -> bool {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_io().build() else { return false };
    // Register before returning, so a press right after `install` is already ours.
    let Ok(mut signals) =
        rt.block_on(async { tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) })
    else {
        return false;
    };
    std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            rt.block_on(async move {
                while signals.recv().await.is_some() {
                    let cancelled_now = match CURRENT.lock() {
                        Ok(current) => match current.as_ref() {
                            Some(t) if !t.is_cancelled() => {
                                t.cancel();
                                true
                            }
                            _ => false,
                        },
                        Err(_) => false,
                    };
                    if !cancelled_now {
                        std::process::exit(exit::INTERRUPTED);
                    }
                }
            })
        })
        .is_ok()
}
