//! The holder's audit trail as the server keeps it: server-signed, hash-chained observations.
//!
//! ```text
//! msg(n)  = "coffre-audit-v1" || vault(32) || seq(u64) || time(u64) || kind(s16) || sha256(detail) || prev(32)
//! hash(n) = sha256(msg(n));   prev(1) = sha256("coffre-audit-genesis-v1" || vault);  prev(n+1) = hash(n)
//! sig(n)  = Ed25519(server key, msg(n))
//! ```
//! The client pins the server key at enrolment, so a server that drops, reorders or rewrites an entry
//! is caught (the chain breaks or a signature fails). Each entry's `detail` is JSON text and carries,
//! where there is one, the writer-signed object (the holder's mandate, the agent's deposit statement)
//! so the reader checks who did it, not only that the server says so.

use coffre_crypto::{Signature, SigningKey, sha256};
use serde::{Deserialize, Serialize};

use crate::codec::{Writer, b64, unb64};
use crate::error::{MandateError, Result};
use crate::org::verifying;

const AUDIT_LABEL: &[u8] = b"coffre-audit-v1";
const GENESIS_LABEL: &[u8] = b"coffre-audit-genesis-v1";

/// One observation, as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    /// Unix seconds, server clock.
    pub time: u64,
    /// What happened: an `AuditKind` of the sync protocol, as its string (signed as these bytes).
    pub kind: String,
    /// JSON text (hashed as these exact bytes).
    pub detail: String,
    /// hex of the previous entry's hash.
    pub prev: String,
    /// base64url server signature.
    pub sig: String,
}

/// The `prev` of a vault's first entry.
pub fn genesis(vault: &[u8; 32]) -> [u8; 32] {
    sha256(&[GENESIS_LABEL, vault].concat())
}

fn message(vault: &[u8; 32], seq: u64, time: u64, kind: &str, detail: &str, prev: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(AUDIT_LABEL).raw(vault).u64(seq).u64(time).bytes16(kind.as_bytes()).raw(&sha256(detail.as_bytes())).raw(prev);
    w.into_inner()
}

impl AuditEntry {
    /// Made by the server: the entry after `prev`.
    pub fn sign(
        server: &SigningKey,
        vault: &[u8; 32],
        seq: u64,
        time: u64,
        kind: &str,
        detail: String,
        prev: &[u8; 32],
    ) -> (AuditEntry, [u8; 32]) {
        let msg = message(vault, seq, time, kind, &detail, prev);
        let sig = server.sign(&msg);
        let e = AuditEntry {
            seq,
            time,
            kind: kind.to_string(),
            detail,
            prev: hex::encode(prev),
            sig: b64(&sig.to_bytes()),
        };
        (e, sha256(&msg))
    }

    /// Checks signature and link to `prev`; returns this entry's hash.
    pub fn verify(&self, vault: &[u8; 32], server_pk: &[u8; 32], prev: &[u8; 32]) -> Result<[u8; 32]> {
        if self.prev != hex::encode(prev) {
            return Err(MandateError::Mismatch("audit chain broken"));
        }
        let msg = message(vault, self.seq, self.time, &self.kind, &self.detail, prev);
        let sig: [u8; 64] = unb64(&self.sig, 64, "audit signature")?
            .try_into()
            .map_err(|_| MandateError::Malformed("audit signature"))?;
        verifying(server_pk, "server key")?
            .verify(&msg, &Signature::from_bytes(&sig))
            .map_err(|_| MandateError::BadSignature("audit entry"))?;
        Ok(sha256(&msg))
    }
}

/// Verifies a run of entries that follows `(last_seq, last_hash)` (`(0, genesis)` from the start):
/// consecutive seqs, non-decreasing times, each linked and signed. Returns the new `(seq, hash)`.
pub fn verify_chain(
    entries: &[AuditEntry],
    vault: &[u8; 32],
    server_pk: &[u8; 32],
    from: (u64, [u8; 32]),
) -> Result<(u64, [u8; 32])> {
    let (mut seq, mut hash) = from;
    let mut last_time = 0;
    for e in entries {
        if e.seq != seq + 1 {
            return Err(MandateError::Mismatch("audit entries missing or reordered"));
        }
        if e.time < last_time {
            return Err(MandateError::Mismatch("audit times go backwards"));
        }
        hash = e.verify(vault, server_pk, &hash)?;
        seq = e.seq;
        last_time = e.time;
    }
    Ok((seq, hash))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn chain(n: u64) -> (Vec<AuditEntry>, SigningKey, [u8; 32]) {
        let server = SigningKey::generate();
        let vault = [3u8; 32];
        let mut prev = genesis(&vault);
        let mut out = Vec::new();
        for i in 1..=n {
            let (e, h) = AuditEntry::sign(&server, &vault, i, 100 + i, "device_added", format!("{{\"n\":{i}}}"), &prev);
            out.push(e);
            prev = h;
        }
        (out, server, vault)
    }

    #[test]
    fn chain_verifies_and_detects_tampering() {
        let (entries, server, vault) = chain(5);
        let pk = *server.verifying_key().as_bytes();
        let (seq, _) = verify_chain(&entries, &vault, &pk, (0, genesis(&vault))).unwrap();
        assert_eq!(seq, 5);
        // dropped
        let mut d = entries.clone();
        d.remove(2);
        assert!(verify_chain(&d, &vault, &pk, (0, genesis(&vault))).is_err());
        // reordered
        let mut r = entries.clone();
        r.swap(1, 2);
        assert!(verify_chain(&r, &vault, &pk, (0, genesis(&vault))).is_err());
        // rewritten detail
        let mut w = entries.clone();
        w[3].detail = "{\"n\":99}".into();
        assert_eq!(verify_chain(&w, &vault, &pk, (0, genesis(&vault))), Err(MandateError::BadSignature("audit entry")));
        // another server key, another vault
        assert!(
            verify_chain(&entries, &vault, SigningKey::generate().verifying_key().as_bytes(), (0, genesis(&vault)))
                .is_err()
        );
        assert!(verify_chain(&entries, &[4; 32], &pk, (0, genesis(&[4; 32]))).is_err());
        // resuming from the middle
        let (_, h2) = verify_chain(&entries[..2], &vault, &pk, (0, genesis(&vault))).unwrap();
        assert_eq!(verify_chain(&entries[2..], &vault, &pk, (2, h2)).unwrap().0, 5);
    }
}
