//! Why assisted-recovery shares do not combine: below both the share format (`assisted`) and the
//! Shamir arithmetic (`shamir`), so neither has to import the other's error.

/// Why shares do not combine. Never holds share bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssistedError {
    #[error("malformed or unsupported share")]
    Malformed,
    /// Fewer than two different holders' shares (e.g. the provider's share alone, or twice).
    #[error("two different shares are needed")]
    NotEnough,
    /// A sealed piece that this agent's key does not open.
    #[error("this piece is not sealed to this agent")]
    NotForThisAgent,
    /// An organisation needs at least two agents to hold its share.
    #[error("an organisation needs at least two agents")]
    TooFewAgents,
    /// Shares or pieces of two format versions: they come from two different set-ups (e.g. a kit
    /// printed before assisted recovery was set up again) and would never give the key.
    #[error("these shares come from two different set-ups")]
    MixedVersions,
}
