//! Coffre's end-to-end tests live in `tests/`: the core (vault, sync engine, recovery, mandates, shares)
//! against a real sync server started by `coffre-test-harness`. They sit outside `coffre-core` so that
//! the core's own tests never need the server.
