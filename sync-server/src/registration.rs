//! Who may register what (the operator's `registration` policy, `org_allowlist`), and how much a new
//! vault may store. Without limits anyone could register vaults by the hundred, each with the full
//! quota; so whatever the policy, the defaults refuse a flood from one address.

use std::net::IpAddr;

use coffre_sync_protocol::{ErrorCode, PublicKey, unb64_array};

use crate::client_addr::AddressKey;
use crate::config::{Config, RegistrationPolicy};
pub use crate::config::{OrgAllowlist, parse_allowlist};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const DAY_SECS: u64 = 24 * 3600;

/// The quota of a vault registered at `created_at`: under open registration it starts small and grows
/// each day, so a flood of fresh vaults cannot claim the disk; otherwise the full quota.
pub fn vault_quota(cfg: &Config, created_at: u64, now: u64) -> u64 {
    if cfg.registration_policy() != Some(RegistrationPolicy::Open) {
        return cfg.quota_bytes;
    }
    let days = now.saturating_sub(created_at) / DAY_SECS;
    cfg.initial_quota_bytes.saturating_add(cfg.quota_growth_bytes_per_day.saturating_mul(days)).min(cfg.quota_bytes)
}

/// The quota of `vault` now.
pub async fn quota_of(state: &AppState, vault: &coffre_sync_protocol::Hash) -> ApiResult<u64> {
    let now = crate::clock::now_secs();
    let created = state.meta.vault_created_at(*vault).await?.ok_or_else(ApiError::unknown_vault)?;
    Ok(vault_quota(&state.cfg, created, now))
}

/// Takes one registration from the client address's bucket, or refuses with how long to wait.
fn take_address_token(state: &AppState, client: Option<IpAddr>, what: &str) -> ApiResult<()> {
    let Some(ip) = client else { return Ok(()) };
    if let Err(wait) = state.registrations.take(AddressKey::of(ip).bucket(what)) {
        state.metrics.rate_limited();
        // 403, not 429: the client would read 429 as "busy" and wait; this wait is for a person to see.
        let mut e = ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            ErrorCode::AddressLimited,
            "too many registrations from this network address; try again later",
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    Ok(())
}

/// May a new vault register now? `invited` says the request carries a valid invitation (checked by the
/// caller, which consumes it only once the vault exists).
pub fn check_vault(state: &AppState, client: Option<IpAddr>, has_invitation: bool) -> ApiResult<()> {
    match state.cfg.registration_policy() {
        Some(RegistrationPolicy::Open) => take_address_token(state, client, "register"),
        Some(RegistrationPolicy::Invitation) if has_invitation => take_address_token(state, client, "register"),
        Some(RegistrationPolicy::Invitation) => Err(ApiError::forbidden(
            ErrorCode::InvitationRequired,
            "this server registers vaults only with an invitation code from a structure's agent",
        )),
        Some(RegistrationPolicy::Closed) | None => {
            Err(ApiError::forbidden(ErrorCode::RegistrationClosed, "this server does not register new vaults"))
        }
    }
}

/// Under invitation-only registration, uses up the invitation `code` for `vault` (`403 bad_invitation`
/// if it is unknown, used by another vault, or expired). Other policies ignore it.
pub async fn redeem_invitation(
    state: &AppState,
    code: Option<&str>,
    vault: &coffre_sync_protocol::Hash,
) -> ApiResult<()> {
    if state.cfg.registration_policy() != Some(RegistrationPolicy::Invitation) {
        return Ok(());
    }
    let bad = || ApiError::forbidden(ErrorCode::BadInvitation, "this invitation code is unknown, used or expired");
    let code: [u8; 16] = code.and_then(|c| unb64_array(c, "invitation").ok()).ok_or_else(bad)?;
    if state.mandates.redeem_invitation(coffre_sync_protocol::sha256(&code), *vault, crate::clock::now_secs()).await? {
        Ok(())
    } else {
        Err(bad())
    }
}

/// May organisation `org` register? Only if the operator listed it, and within the address's bucket.
pub fn check_org(state: &AppState, client: Option<IpAddr>, org: &PublicKey) -> ApiResult<()> {
    if state.cfg.registration_policy() == Some(RegistrationPolicy::Closed) {
        return Err(ApiError::forbidden(
            ErrorCode::RegistrationClosed,
            "this server does not register new organisations",
        ));
    }
    let allowed = parse_allowlist(&state.cfg.org_allowlist).map(|l| l.allows(org)).unwrap_or(false);
    if !allowed {
        return Err(ApiError::forbidden(
            ErrorCode::OrgNotAllowed,
            "this organisation is not on this server's list; ask its operator to add its key",
        ));
    }
    take_address_token(state, client, "register-org")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn quota_grows_daily_under_open_registration_only() {
        let cfg =
            Config { initial_quota_bytes: 100, quota_growth_bytes_per_day: 10, quota_bytes: 125, ..Config::default() };
        assert_eq!(vault_quota(&cfg, 1000, 1000), 100);
        assert_eq!(vault_quota(&cfg, 1000, 1000 + DAY_SECS - 1), 100);
        assert_eq!(vault_quota(&cfg, 1000, 1000 + 2 * DAY_SECS), 120);
        assert_eq!(vault_quota(&cfg, 1000, 1000 + 30 * DAY_SECS), 125);
        let invited = Config { registration: "invitation".into(), ..cfg };
        assert_eq!(vault_quota(&invited, 1000, 1000), 125);
    }

    #[test]
    fn allowlist_parses() {
        assert_eq!(parse_allowlist("*").unwrap(), OrgAllowlist::Any);
        assert_eq!(parse_allowlist("").unwrap(), OrgAllowlist::Only(vec![]));
        let k = coffre_sync_protocol::b64(&[7; 32]);
        let l = parse_allowlist(&format!(" {k} ,")).unwrap();
        assert!(l.allows(&[7; 32]) && !l.allows(&[8; 32]));
        assert!(parse_allowlist("nope").is_err());
    }
}
