//! Verification of what the server says about the op log. Pure: no I/O, so it is tested on crafted
//! responses as well as through the client.
//!
//! Starting from the last state the caller verified ([`ChainState`]), every pulled page must:
//! - carry a head signed by the pinned server key, for this vault, not behind the known state
//!   (`Rollback`) and not contradicting it (`Fork`);
//! - list ops with consecutive seqs right after the known state (`Reordered`, `Gap`);
//! - have each op signed by its writer (`Tampered`), a writer the caller accepts (`UnknownWriter`),
//!   with the writer's counter following its previous op (`Replayed` if not above, `Gap` if it skips);
//! - have each op's *seen* head (what its writer had verified) agree with this chain at that seq (`Fork`,
//!   also catching an op moved before what its writer saw: `Reordered`);
//! - recompute to the hash in the signed head (`Fork`), and reach it (`Gap`: the head claims more ops).
//!
//! The writer counters and seen heads make drops, replays, reorders and per-device forks visible even to
//! a server that re-chains and re-signs: it would have to forge writer signatures.

use std::collections::{BTreeMap, HashMap, HashSet};

use coffre_sync_protocol::{
    ChainPoint, Hash, Op, OpRecord, PROTOCOL_VERSION, PublicKey, PullResponse, SignedHead, b64, unpad_payload,
};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};

/// What a device has verified of a vault's log: persist it (e.g. as JSON) after each successful sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    #[serde(with = "hex32")]
    pub vault: Hash,
    pub point: ChainPoint,
    /// Last op counter seen per writer (base64url public key).
    pub writers: BTreeMap<String, u64>,
}

impl ChainState {
    /// The state of a vault with an empty log.
    pub fn genesis(vault: Hash) -> ChainState {
        ChainState { vault, point: ChainPoint::genesis(&vault), writers: BTreeMap::new() }
    }

    /// The last counter of `writer` (0 if it never wrote).
    pub fn counter_of(&self, writer: &PublicKey) -> u64 {
        self.writers.get(&b64(writer)).copied().unwrap_or(0)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(b: &[u8]) -> Result<ChainState> {
        serde_json::from_slice(b).map_err(|_| SyncError::Protocol("stored chain state is malformed".into()))
    }
}

/// An op that passed every check, with its padding removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedOp {
    pub seq: u64,
    /// Chain hash after this op.
    pub hash: Hash,
    pub writer: PublicKey,
    pub counter: u64,
    pub seen: ChainPoint,
    /// The encrypted payload as the writer gave it to [`crate::SyncClient::append`].
    pub ciphertext: Vec<u8>,
}

/// The caller's view of the vault, consulted during verification, in seq order.
pub trait LogView: Send {
    /// May `writer` write the op at `seq`? (The vault answers from the device-add/remove ops it applied.)
    fn is_writer(&self, writer: &PublicKey, seq: u64) -> bool;
    /// The chain hash after op `seq`, if the caller kept it (used to check older *seen* heads).
    fn hash_at(&self, _seq: u64) -> Option<Hash> {
        None
    }
    /// Called for each op once it is verified, before the next one is checked.
    fn accept(&mut self, _op: &VerifiedOp) {}
}

/// A simple [`LogView`]: a fixed set of writers plus the hashes of every accepted op.
#[derive(Debug, Clone, Default)]
pub struct KnownWriters {
    pub writers: HashSet<PublicKey>,
    pub hashes: BTreeMap<u64, Hash>,
}

impl KnownWriters {
    pub fn new(writers: impl IntoIterator<Item = PublicKey>) -> KnownWriters {
        KnownWriters { writers: writers.into_iter().collect(), hashes: BTreeMap::new() }
    }
}

impl LogView for KnownWriters {
    fn is_writer(&self, writer: &PublicKey, _seq: u64) -> bool {
        self.writers.contains(writer)
    }
    fn hash_at(&self, seq: u64) -> Option<Hash> {
        self.hashes.get(&seq).copied()
    }
    fn accept(&mut self, op: &VerifiedOp) {
        self.hashes.insert(op.seq, op.hash);
    }
}

/// Check a head's signature and vault.
pub fn verify_head(head: &SignedHead, server_pk: &PublicKey, vault: &Hash) -> Result<ChainPoint> {
    if head.v != PROTOCOL_VERSION {
        return Err(SyncError::Protocol(format!("unsupported head version {}", head.v)));
    }
    let (hv, point) = head.verify(server_pk).map_err(|_| SyncError::BadServerSignature)?;
    if &hv != vault {
        return Err(SyncError::Tampered { what: "head of another vault", seq: None });
    }
    Ok(point)
}

/// Incremental verifier over the pages of one pull.
pub struct Verifier<'a> {
    server_pk: PublicKey,
    start: ChainPoint,
    state: ChainState,
    hashes: HashMap<u64, Hash>,
    heads: Vec<ChainPoint>,
    view: &'a mut dyn LogView,
    ops: Vec<VerifiedOp>,
}

impl<'a> Verifier<'a> {
    pub fn new(start: &ChainState, server_pk: PublicKey, view: &'a mut dyn LogView) -> Verifier<'a> {
        let mut hashes = HashMap::new();
        hashes.insert(start.point.seq, start.point.hash);
        Verifier {
            server_pk,
            start: start.point,
            state: start.clone(),
            hashes,
            heads: Vec::new(),
            view,
            ops: Vec::new(),
        }
    }

    /// The seq to pull after.
    pub fn next_since(&self) -> u64 {
        self.state.point.seq
    }

    /// Verify one page.
    pub fn page(&mut self, resp: &PullResponse) -> Result<()> {
        if resp.v != PROTOCOL_VERSION {
            return Err(SyncError::Protocol(format!("unsupported response version {}", resp.v)));
        }
        let vault = self.state.vault;
        let head = verify_head(&resp.head, &self.server_pk, &vault)?;
        if head.seq < self.start.seq {
            return Err(SyncError::Rollback { known: self.start.seq, served: head.seq });
        }
        if let Some(prev) = self.heads.last()
            && head.seq < prev.seq
        {
            return Err(SyncError::Rollback { known: prev.seq, served: head.seq });
        }
        self.check_head_against_known(&head)?;
        self.heads.push(head);
        let decoded = decode_and_check_signatures(&resp.ops, &vault);
        for (rec, op) in resp.ops.iter().zip(decoded) {
            let expected = self.state.point.seq + 1;
            if rec.seq < expected {
                return Err(if rec.seq <= self.start.seq {
                    SyncError::Replayed { seq: rec.seq }
                } else {
                    SyncError::Reordered { expected, got: rec.seq }
                });
            }
            if rec.seq > expected {
                return Err(SyncError::Gap { expected, got: rec.seq });
            }
            let seq = rec.seq;
            let op = op.map_err(|what| SyncError::Tampered { what, seq: Some(seq) })?;
            if !self.view.is_writer(&op.writer, seq) {
                return Err(SyncError::UnknownWriter { seq });
            }
            let last = self.state.counter_of(&op.writer);
            if op.counter <= last {
                return Err(SyncError::Replayed { seq });
            }
            if op.counter > last + 1 {
                return Err(SyncError::Gap { expected: last + 1, got: op.counter });
            }
            if op.seen.seq >= seq {
                return Err(SyncError::Reordered { expected: seq, got: op.seen.seq });
            }
            let known = self.hashes.get(&op.seen.seq).copied().or_else(|| self.view.hash_at(op.seen.seq));
            if let Some(h) = known
                && h != op.seen.hash
            {
                return Err(SyncError::Fork { seq });
            }
            let ciphertext = unpad_payload(&op.payload)
                .map_err(|_| SyncError::Tampered { what: "op padding", seq: Some(seq) })?
                .to_vec();
            let hash = op.chain(&self.state.point.hash, seq);
            self.state.point = ChainPoint { seq, hash };
            self.state.writers.insert(b64(&op.writer), op.counter);
            self.hashes.insert(seq, hash);
            let v = VerifiedOp { seq, hash, writer: op.writer, counter: op.counter, seen: op.seen, ciphertext };
            self.view.accept(&v);
            self.ops.push(v);
        }
        // Every head at or below what we have now must match the recomputed chain.
        for h in &self.heads {
            self.check_head_against_known(h)?;
        }
        Ok(())
    }

    fn check_head_against_known(&self, head: &ChainPoint) -> Result<()> {
        if let Some(h) = self.hashes.get(&head.seq)
            && *h != head.hash
        {
            return Err(SyncError::Fork { seq: head.seq });
        }
        Ok(())
    }

    /// Whether the last page reached the newest head seen.
    pub fn complete(&self) -> bool {
        self.heads.iter().all(|h| h.seq <= self.state.point.seq)
    }

    /// Finish: every head must have been reached and matched.
    pub fn finish(self) -> Result<(Vec<VerifiedOp>, ChainState)> {
        if self.heads.is_empty() {
            return Err(SyncError::Protocol("no head received".into()));
        }
        for h in &self.heads {
            if h.seq > self.state.point.seq {
                return Err(SyncError::Gap { expected: h.seq, got: self.state.point.seq });
            }
            self.check_head_against_known(h)?;
        }
        Ok((self.ops, self.state))
    }
}

/// Below this many ops a page is checked on the calling thread (threads cost more than they save).
const PARALLEL_MIN_OPS: usize = 64;

/// Decodes every op of a page and checks its writer's signature (strict Ed25519), on all cores: the
/// checks are independent, and they are most of a new device's catch-up CPU (1,000 ops ≈ 70 ms on
/// one core). The in-order checks of [`Verifier::page`] then read the results; an error names what
/// failed and is reported at its op's place in that order, exactly as if checked one by one.
fn decode_and_check_signatures(ops: &[OpRecord], vault: &Hash) -> Vec<std::result::Result<Op, &'static str>> {
    let one = |rec: &OpRecord| {
        let op = Op::from_wire(&rec.op).map_err(|_| "malformed op")?;
        op.verify(vault).map_err(|_| "op signature")?;
        Ok(op)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    if threads < 2 || ops.len() < PARALLEL_MIN_OPS {
        return ops.iter().map(one).collect();
    }
    std::thread::scope(|s| {
        let parts: Vec<_> = ops
            .chunks(ops.len().div_ceil(threads))
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        parts.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Verify a whole pull given as pages (convenience for tests and offline checks).
pub fn verify_pull(
    start: &ChainState,
    server_pk: &PublicKey,
    pages: &[PullResponse],
    view: &mut dyn LogView,
) -> Result<(Vec<VerifiedOp>, ChainState)> {
    let mut v = Verifier::new(start, *server_pk, view);
    for p in pages {
        v.page(p)?;
    }
    v.finish()
}

/// The vault stays bytes in [`ChainState`]; its JSON writes it as a [`VaultId`].
mod hex32 {
    use coffre_sync_protocol::VaultId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        VaultId::from(*h).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        VaultId::deserialize(d).map(VaultId::to_bytes)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use coffre_crypto::SigningKey;
    use coffre_sync_protocol::{pad_payload, sign};

    const VAULT: Hash = [7; 32];

    /// One honest page of `n` ops by one writer (enough to take the parallel path), with its signed head.
    fn page(writer: &SigningKey, server: &SigningKey, n: u64) -> PullResponse {
        let mut point = ChainPoint::genesis(&VAULT);
        let mut ops = Vec::new();
        for counter in 1..=n {
            let payload = pad_payload(format!("op {counter}").as_bytes()).unwrap();
            let op = Op::sign(writer, &VAULT, counter, ChainPoint::genesis(&VAULT), payload);
            point = ChainPoint { seq: counter, hash: op.chain(&point.hash, counter) };
            ops.push(OpRecord { seq: counter, op: op.to_wire() });
        }
        PullResponse { v: PROTOCOL_VERSION, ops, head: SignedHead::sign(server, &VAULT, point, 1), more: false }
    }

    fn check(writer: &SigningKey, server: &SigningKey, p: &PullResponse) -> Result<(Vec<VerifiedOp>, ChainState)> {
        let mut view = KnownWriters::new([writer.verifying_key().to_bytes()]);
        verify_pull(&ChainState::genesis(VAULT), &server.verifying_key().to_bytes(), std::slice::from_ref(p), &mut view)
    }

    #[test]
    fn a_large_page_verifies_in_order_and_names_the_first_bad_op() {
        let (writer, server) = (SigningKey::from_bytes([1; 32]), SigningKey::from_bytes([2; 32]));
        const { assert!(300 > PARALLEL_MIN_OPS) };
        let honest = page(&writer, &server, 300);
        let (ops, state) = check(&writer, &server, &honest).unwrap();
        assert_eq!(ops.iter().map(|o| o.seq).collect::<Vec<_>>(), (1..=300).collect::<Vec<_>>());
        assert_eq!(ops[41].ciphertext, b"op 42");
        assert_eq!(state.point.seq, 300);

        // A forged signature late in the page, found by a worker thread, is reported at its op.
        let mut forged = honest.clone();
        forged.ops[250].op.sig = coffre_sync_protocol::b64(&sign(&server, b"not this op"));
        assert!(matches!(
            check(&writer, &server, &forged),
            Err(SyncError::Tampered { what: "op signature", seq: Some(251) })
        ));
        // Two faults: the earlier one in chain order wins, whichever thread saw its op.
        forged.ops[20].op.payload = "!!".into();
        assert!(matches!(
            check(&writer, &server, &forged),
            Err(SyncError::Tampered { what: "malformed op", seq: Some(21) })
        ));
        // An order fault before both is reported before either signature check.
        forged.ops.swap(3, 4);
        assert!(matches!(check(&writer, &server, &forged), Err(SyncError::Gap { expected: 4, got: 5 })));
    }
}
