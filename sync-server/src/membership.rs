//! Recently confirmed enrolments, so hot paths skip a database read. Invalidated by device removal in
//! this process; with several instances, a removal reaches the others within [`MEMBERSHIP_TTL`].
//!
//! A removal bumps an epoch: a lookup that read the database before the removal carries the old epoch,
//! so its (now stale) answer is never cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use coffre_sync_protocol::{Hash, PublicKey};

/// How long a confirmed enrolment is trusted without asking the database.
pub const MEMBERSHIP_TTL: Duration = Duration::from_secs(30);

/// Past this many entries, expired ones are dropped before adding another.
const PRUNE_ABOVE: usize = 100_000;

/// What the cache knows of a (vault, device) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Confirmed within the TTL: no need to ask the database.
    Fresh,
    /// Ask the database, then [`MembershipCache::confirm`] with this epoch.
    Ask { epoch: u64 },
}

#[derive(Default)]
struct Confirmed {
    /// (vault, device) → when its enrolment was confirmed.
    at: HashMap<(Hash, PublicKey), Instant>,
    /// Bumped by every removal.
    epoch: u64,
}

/// (vault, device) → when its enrolment was confirmed; plus the removal epoch. A poisoned lock makes
/// every lookup ask the database and caches nothing.
#[derive(Default)]
pub struct MembershipCache {
    inner: Mutex<Confirmed>,
}

impl MembershipCache {
    pub fn lookup(&self, vault: &Hash, device: &PublicKey, now: Instant) -> Lookup {
        match self.inner.lock() {
            Ok(g) if g.at.get(&(*vault, *device)).is_some_and(|t| now.duration_since(*t) < MEMBERSHIP_TTL) => {
                Lookup::Fresh
            }
            Ok(g) => Lookup::Ask { epoch: g.epoch },
            Err(_) => Lookup::Ask { epoch: u64::MAX },
        }
    }

    /// Remembers an enrolment read from the database, unless a removal happened since `epoch`.
    pub fn confirm(&self, vault: Hash, device: PublicKey, now: Instant, epoch: u64) {
        if let Ok(mut g) = self.inner.lock()
            && g.epoch == epoch
        {
            if g.at.len() > PRUNE_ABOVE {
                g.at.retain(|_, t| now.duration_since(*t) < MEMBERSHIP_TTL);
            }
            g.at.insert((vault, device), now);
        }
    }

    /// After a device left `vault` (removed, or its recovery kit replaced): forget it, bump the epoch.
    pub fn forget_device(&self, vault: &Hash, device: &PublicKey) {
        if let Ok(mut g) = self.inner.lock() {
            g.epoch = g.epoch.wrapping_add(1);
            g.at.remove(&(*vault, *device));
        }
    }

    /// After `vault` was closed: forget all its devices, bump the epoch.
    pub fn forget_vault(&self, vault: &Hash) {
        if let Ok(mut g) = self.inner.lock() {
            g.epoch = g.epoch.wrapping_add(1);
            g.at.retain(|(v, _), _| v != vault);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_is_fresh_until_a_removal_or_the_ttl() {
        let c = MembershipCache::default();
        let (v, d, now) = ([1; 32], [2; 32], Instant::now());
        let Lookup::Ask { epoch } = c.lookup(&v, &d, now) else { panic!("empty cache") };
        c.confirm(v, d, now, epoch);
        assert_eq!(c.lookup(&v, &d, now), Lookup::Fresh);
        assert!(matches!(c.lookup(&v, &d, now + MEMBERSHIP_TTL), Lookup::Ask { .. }));
        c.forget_device(&v, &d);
        assert!(matches!(c.lookup(&v, &d, now), Lookup::Ask { .. }));
    }

    #[test]
    fn an_answer_read_before_a_removal_is_not_cached() {
        let c = MembershipCache::default();
        let (v, d, now) = ([1; 32], [2; 32], Instant::now());
        let Lookup::Ask { epoch } = c.lookup(&v, &d, now) else { panic!("empty cache") };
        c.forget_vault(&v);
        c.confirm(v, d, now, epoch);
        assert!(matches!(c.lookup(&v, &d, now), Lookup::Ask { .. }));
    }
}
