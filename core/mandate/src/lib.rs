#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
mod codec;
pub mod deposit;
mod error;
pub mod keyfile;
pub mod mandate;
pub mod offer;
pub mod org;
pub mod wire;

pub use audit::{AuditEntry, verify_chain};
pub use codec::{b64, unb64};
pub use deposit::{
    CertifiedDeposit, DepositContent, DepositReceipt, DepositStatement, DepositSummary, make_deposit, open_deposit,
};
pub use error::{MandateError, Result};
pub use keyfile::{AgentFile, AgentKeys, OrgAdminFile, parse_enrolment_request};
pub use mandate::{Mandate, MandateTerms, Scope, Scopes, vault_of};
pub use offer::{DeskSlot, MandateOffer, decode_desk_nonce, encode_desk_nonce};
pub use org::{AgentCertificate, AgentRevocation, OrgKey, OrgRegistration};

/// `YYYY-MM-DD` (UTC) of a unix time, for "valide jusqu'au …" without a date crate.
pub fn date_of(unix_secs: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(unix_secs / 86_400).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The agent's certified identity as both screens show it, e.g.
/// `Mme Martin (Assistante sociale) — CCAS de Lyon, valide jusqu'au 2027-06-30`.
pub fn identity_line(cert: &AgentCertificate, french: bool) -> String {
    let until = date_of(cert.valid_until);
    if french {
        format!("{} ({}) — {}, valide jusqu'au {until}", cert.agent_name, cert.role, cert.org_name)
    } else {
        format!("{} ({}) — {}, valid until {until}", cert.agent_name, cert.role, cert.org_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(951_782_400), "2000-02-29");
        assert_eq!(date_of(1_798_675_200), "2026-12-31");
    }
}
