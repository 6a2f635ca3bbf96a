//! What a holder's audit-trail entry records (`AuditEntry::kind`). The server writes them and the apps
//! and the CLI show them, so they are one enum here. On the wire (and under the server's signature) each
//! is its snake_case string; a kind this build does not know parses as [`AuditKind::Unknown`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! audit_kinds {
    ($($(#[$doc:meta])* $variant:ident = $kind:literal,)*) => {
        /// An audit entry's kind. Add a variant (and its string) here, never a literal elsewhere.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum AuditKind {
            $($(#[$doc])* $variant,)*
            /// A kind this build does not know, kept as sent.
            Unknown(String),
        }

        impl AuditKind {
            /// Every kind this build knows.
            pub const KNOWN: &[AuditKind] = &[$(AuditKind::$variant,)*];

            /// The kind as signed and sent.
            pub fn as_str(&self) -> &str {
                match self {
                    $(AuditKind::$variant => $kind,)*
                    AuditKind::Unknown(s) => s,
                }
            }

            /// The kind a wire string names; never fails (see [`AuditKind::Unknown`]).
            pub fn parse(s: &str) -> AuditKind {
                match s {
                    $($kind => AuditKind::$variant,)*
                    other => AuditKind::Unknown(other.to_string()),
                }
            }
        }
    };
}

audit_kinds! {
    // Devices
    DeviceAdded = "device_added",
    DeviceRemoved = "device_removed",
    // Mandates and agents (docs/agents.md)
    MandateGranted = "mandate_granted",
    MandateRevoked = "mandate_revoked",
    DepositReceived = "deposit_received",
    AgentConsulted = "agent_consulted",
    AgentDownloaded = "agent_downloaded",
    AgentTransmitted = "agent_transmitted",
    /// A share link was opened (the share id, never the link key).
    ShareOpened = "share_opened",
    // Recovery (docs/recovery.md)
    /// A recovery kit was made (or re-made: `replaced` names the old kit's device).
    RecoveryKitMade = "recovery_kit_made",
    /// A recovery kit's code was used to fetch the slot (a new phone is being set up).
    RecoveryKitUsed = "recovery_kit_used",
    AssistedRecoveryEnabled = "assisted_recovery_enabled",
    AssistedRecoveryStarted = "assisted_recovery_started",
    AssistedRecoveryCancelled = "assisted_recovery_cancelled",
    AssistedRecoveryWrongPin = "assisted_recovery_wrong_pin",
    AssistedRecoveryLocked = "assisted_recovery_locked",
    AssistedRecoveryShareReleased = "assisted_recovery_share_released",
    AssistedRecoverySlotFetched = "assisted_recovery_slot_fetched",
    /// After a lost device was removed, an enrolled device rotated the collection keys.
    CollectionKeysRotated = "collection_keys_rotated",
    /// An enrolled device moved the vault to a new account key generation; the members it did not
    /// list were removed (`removed`).
    KeyGenerationStarted = "key_generation_started",
}

impl AuditKind {
    /// Recorded for an agent's action (the entry's detail names the agent, its role and organisation):
    /// every such kind, present and future, starts with `agent_`.
    pub fn is_agent_action(&self) -> bool {
        self.as_str().starts_with("agent_")
    }
}

impl From<&str> for AuditKind {
    fn from(s: &str) -> Self {
        AuditKind::parse(s)
    }
}

impl std::str::FromStr for AuditKind {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(AuditKind::parse(s))
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AuditKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AuditKind::parse(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_is_distinct() {
        let mut seen = std::collections::HashSet::new();
        for k in AuditKind::KNOWN {
            assert_eq!(&AuditKind::parse(k.as_str()), k);
            assert!(seen.insert(k.as_str()), "{k} twice");
            // The signed message frames the kind with a 16-bit length.
            assert!(k.as_str().len() < 64);
        }
        assert_eq!(AuditKind::KNOWN.len(), 20);
    }

    #[test]
    fn wire_strings_are_unchanged() {
        assert_eq!(AuditKind::DeviceAdded.as_str(), "device_added");
        assert_eq!(AuditKind::KeyGenerationStarted.as_str(), "key_generation_started");
        assert_eq!(AuditKind::AssistedRecoveryShareReleased.as_str(), "assisted_recovery_share_released");
        assert_eq!(serde_json::to_string(&AuditKind::ShareOpened).expect("json"), "\"share_opened\"");
        assert_eq!(AuditKind::parse("new_kind"), AuditKind::Unknown("new_kind".into()));
    }
}
