//! The server's tests run against the shared real-server harness (`tests/harness`).
pub use coffre_test_harness::*;
