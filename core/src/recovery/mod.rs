//! Recovery and closure, on top of the sync engine (`docs/recovery.md`), beside the mandate and share
//! flows.
//!
//! - [`make_kit`]: a new recovery code whose recovery device is certified in the log and whose slot
//!   (the ARK wrapped under the code) the server keeps; the previous kit stops working.
//! - [`recover_with_code`] / [`recover_with_assisted_key`]: a new phone restores the vault from the
//!   code alone, or from the assisted key after the delay ([`AssistedRequest`]).
//! - [`setup_assisted`] / [`setup_assisted_with_agents`]: assisted recovery, with an organisation's
//!   certified agents approving ([`agent_approve`]).
//! - [`remove_lost_device`]: a lost phone removed, the vault moved to a new account key generation,
//!   the collection keys rotated and the kit made again.
//! - [`close_vault`]: the server deletes everything and signs a receipt; the local vault is
//!   crypto-shredded ([`shred_local`]).
//!
//! The formats of `coffre-recovery` (codes, slots, shares, the kit PDF) are re-exported here too, as
//! they always were at this path: `coffre_core::recovery::RecoveryCode` is the code,
//! `coffre_core::recovery::make_kit` the flow.

mod agents;
mod assisted_request;
mod closure;
mod kit;
mod lost_device;
mod restore;

pub use agents::{Approval, agent_approve, certified_agents, setup_assisted_with_agents};
pub use assisted_request::{AssistedRequest, cancel_assisted, setup_assisted};
pub use closure::{close_vault, shred_local};
pub use coffre_recovery::*;
pub use kit::{Kit, make_kit};
pub use lost_device::{LostDeviceRemoved, remove_lost_device};
pub use restore::{recover_with_assisted_key, recover_with_code};

pub use crate::error::AgentCheckError;
