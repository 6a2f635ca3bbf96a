//! What every mandate flow shares: its error, the clock, the agent's signed client.

use coffre_mandate::{AgentKeys, MandateError};
use coffre_sync::{BlockingClient, SyncError};
use coffre_vault::VaultError;
use serde::Serialize;

use crate::error::{EngineError, ErrorKind};

/// Errors of the mandate flows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MandateFlowError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Format(#[from] MandateError),
    /// The agent's QR names another server than this vault's.
    #[error("the agent uses another server")]
    OtherServer,
    /// The holder has not answered yet (agent side).
    #[error("the mandate has not arrived yet")]
    Pending,
}

impl From<SyncError> for MandateFlowError {
    fn from(e: SyncError) -> Self {
        MandateFlowError::Engine(EngineError::Sync(e))
    }
}

impl From<VaultError> for MandateFlowError {
    fn from(e: VaultError) -> Self {
        MandateFlowError::Engine(EngineError::Vault(e))
    }
}

impl MandateFlowError {
    /// What happened, for translation (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            MandateFlowError::Engine(e) => e.kind(),
            MandateFlowError::Format(e) => ErrorKind::Mandate(e.into()),
            MandateFlowError::OtherServer => ErrorKind::OtherServer,
            MandateFlowError::Pending => ErrorKind::MandatePending,
        }
    }
}

pub type Result<T> = std::result::Result<T, MandateFlowError>;

pub(super) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub(super) fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// A client signing as the agent's certified device.
pub(super) fn agent_client(server_url: &str, keys: &AgentKeys) -> Result<BlockingClient> {
    Ok(BlockingClient::new(server_url, keys.signing.clone())?)
}
