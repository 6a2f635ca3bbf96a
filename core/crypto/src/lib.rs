//! Coffre cryptography (placeholder until the crypto module lands).
