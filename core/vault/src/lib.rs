//! Coffre vault.
