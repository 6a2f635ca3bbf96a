//! Test hooks (not for app code), called by the foreign tests (bindings/tests/kotlin, the Python
//! story, ios/Tests) against the library that ships, so they are part of every build, not behind a
//! feature: a panic inside the library must become an exception on the foreign side.

use crate::error::CoffreError;

/// Test hook (not for app code): panics inside the library, to check that the panic becomes an
/// exception on the foreign side instead of aborting the app.
#[doc(hidden)]
#[uniffi::export]
pub fn debug_panic() -> Result<(), CoffreError> {
    // Returns a `Result` so that Swift, too, sees the panic as a thrown error (uniffi's Swift
    // bindings trap on a panic in a non-throwing function).
    debug_panic_inside_core();
    Ok(())
}

#[inline(never)]
pub(crate) fn debug_panic_inside_core() {
    // A deliberate panic, with a message free of personal data.
    let empty: Vec<u8> = Vec::new();
    let _ = std::hint::black_box(&empty)[std::hint::black_box(1)];
}
