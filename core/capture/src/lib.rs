//! Coffre capture.
