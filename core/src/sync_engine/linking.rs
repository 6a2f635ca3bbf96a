//! Device linking by QR, both phones' sides (protocol: `coffre_sync::link`, docs/sync-protocol.md).
//!
//! New phone ([`PendingLink`]): show the QR, wait for the enrolled phone's contribution, reveal, show
//! the digits, wait for the grant. Enrolled phone ([`LinkApproval`]): scan, contribute, wait for the
//! reveal, show the digits, and approve only with the digits the person read on the new phone.
//! Neither phone can show digits before both nonces are known, so the maker of a look-alike QR
//! cannot choose them (docs/adr/0015-commit-reveal-short-codes.md).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use coffre_crypto::SigningKey;
use coffre_crypto::sas::SasNonce;
use coffre_sync::{
    BlockingClient, ChainState, LinkGrant, LinkOffer, LinkQr, MailboxSlot, SyncError, decode_nonce, encode_nonce,
};
use coffre_vault::{CreateOptions, Vault, VaultError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::envelope::{DeviceRole, Payload};
use super::generation::Keyring;
use super::view::{WriterSpan, Writers, cert_valid, key_of};
use super::{CancelToken, Config, EngineError, Result, SyncOptions, begin, certify, check_server_address};
use crate::session::{Session, get_json, hex32, session};

/// The new phone's side: a QR to show, then digits to compare, and the keys to finish with.
pub struct PendingLink {
    offer: LinkOffer,
    device: SigningKey,
    server_url: String,
    allow_plain_http: bool,
    /// The enrolled phone's nonce, once read (and this phone's reveal posted).
    contribution: OnceLock<SasNonce>,
}

impl PendingLink {
    /// Starts linking: this phone will be known by a new device key. The address is checked
    /// ([`check_server_address`]) before anything is sent: call it first to refuse early.
    pub fn new(server_url: &str) -> PendingLink {
        Self::allowing_http(server_url, false)
    }

    /// [`PendingLink::new`], with `allow_plain_http` the person's explicit choice to accept an
    /// `http://` server on another machine.
    pub fn allowing_http(server_url: &str, allow_plain_http: bool) -> PendingLink {
        let device = SigningKey::generate();
        let offer = LinkOffer::new(server_url, device.verifying_key().to_bytes());
        PendingLink {
            offer,
            device,
            server_url: server_url.trim_end_matches('/').to_string(),
            allow_plain_http,
            contribution: OnceLock::new(),
        }
    }

    /// Text to render as a QR code.
    pub fn qr_text(&self) -> String {
        self.offer.qr().encode()
    }

    fn client(&self) -> Result<BlockingClient> {
        check_server_address(&self.server_url, self.allow_plain_http)?;
        Ok(BlockingClient::new(&self.server_url, self.device.clone())?)
    }

    /// The 6 digits to show, once the enrolled phone scanned the QR and answered; `None` until then
    /// (ask again in a second). The first time it answers, this phone reveals its nonce.
    pub fn short_code(&self) -> Result<Option<String>> {
        if let Some(c) = self.contribution.get() {
            return Ok(Some(self.offer.short_code(c)));
        }
        let client = self.client()?;
        let Some(msg) = client.mailbox_get(&self.offer.qr().mailbox(MailboxSlot::Contribution))? else {
            return Ok(None);
        };
        let contribution = decode_nonce(&msg)?;
        match client.mailbox_put(&self.offer.qr().mailbox(MailboxSlot::Reveal), &self.offer.reveal()) {
            // Already there: this phone's own earlier reveal whose answer was lost, or someone else's
            // (then the enrolled phone refuses it and nothing is sent).
            Ok(()) | Err(SyncError::Server { status: 409, .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let c = self.contribution.get_or_init(|| contribution);
        Ok(Some(self.offer.short_code(c)))
    }

    /// Checks the grant mailbox once; on success creates this phone's vault in `dir` under its own
    /// new passphrase and runs a first sync. `LinkPending` means "not yet, ask again" (it also reads
    /// the contribution, so calling only this works too).
    pub fn try_complete(&self, dir: &Path, passphrase: &[u8], platform_secret: Option<&[u8; 32]>) -> Result<Vault> {
        if self.short_code()?.is_none() {
            return Err(EngineError::LinkPending);
        }
        let contribution = *self.contribution.get().ok_or(EngineError::LinkPending)?;
        let client = self.client()?;
        let grant_box = self.offer.qr().mailbox(MailboxSlot::Grant);
        let Some(sealed) = client.mailbox_get(&grant_box)? else {
            return Err(EngineError::LinkPending);
        };
        let grant: LinkGrant = self.offer.open(&sealed, &contribution)?;
        let secret: GrantSecret =
            serde_json::from_slice(&grant.secret).map_err(|_| SyncError::Link("malformed grant"))?;
        let ark = coffre_crypto::AccountRootKey::from_bytes(hex32(&secret.ark)?);
        let mut arks = vec![ark.clone()];
        for later in &secret.later {
            arks.push(coffre_crypto::AccountRootKey::from_bytes(hex32(later)?));
        }
        let keyring = Keyring::from_arks(arks);
        // The grant's certificates are of the newest generation the enrolled phone is at.
        let (_, identity_pk) = keyring.newest_identity();
        let mut writers = Writers::new();
        for (pk, cert) in &secret.devices {
            if !cert_valid(&identity_pk, &grant.vault, &hex32(pk)?, cert) {
                return Err(SyncError::Link("a device in the grant is not certified by this vault").into());
            }
            writers.insert(pk.clone(), WriterSpan { from_seq: 0, until_seq: None, added_by: None });
        }
        let mut vault = Vault::create_with_root_key(dir, ark, passphrase, platform_secret, CreateOptions::default())?;
        keyring.save(&mut vault)?;
        let config = Config {
            server_url: self.server_url.clone(),
            vault: coffre_sync::protocol::VaultId::from(grant.vault).to_string(),
            server_pk: coffre_sync::protocol::ServerKey::from(grant.server_pk).to_hex(),
        };
        begin(&mut vault, Some(&self.device), &writers, &ChainState::genesis(grant.vault), &config)?;
        let _ = client.mailbox_delete(&grant_box);
        super::sync(&mut vault, &SyncOptions::default(), &|_| {}, &CancelToken::new())?;
        Ok(vault)
    }
}

/// What the enrolled phone sends (sealed to the new phone's one-time X25519 key).
#[derive(Serialize, Deserialize)]
struct GrantSecret {
    /// Generation 0's ARK (the vault's root key), hex.
    ark: String,
    /// Certified devices: public key hex -> certificate hex (under the newest generation's identity).
    devices: BTreeMap<String, String>,
    /// The ARKs of later account key generations, hex, oldest first (absent before any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    later: Vec<String>,
}

impl Drop for GrantSecret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.ark);
        self.later.iter_mut().for_each(zeroize::Zeroize::zeroize);
    }
}

/// The enrolled phone's side, from the scan to the approval.
pub struct LinkApproval {
    qr: LinkQr,
    contribution: SasNonce,
    session: Session,
    code: OnceLock<String>,
}

impl LinkApproval {
    /// After scanning the new phone's QR: checks it and sends this phone's contribution. A QR of an
    /// older format is [`SyncError::LinkOutdated`]; one already answered by another device is
    /// [`SyncError::LinkAnswered`] (someone else saw it: start again).
    pub fn start(vault: &mut Vault, qr_text: &str) -> Result<LinkApproval> {
        let qr = LinkQr::parse(qr_text)?;
        let session = session(vault)?;
        if qr.server_url != session.server_url {
            return Err(SyncError::Link("the new phone uses another server").into());
        }
        let contribution = SasNonce::generate();
        match session.client.mailbox_put(&qr.mailbox(MailboxSlot::Contribution), &encode_nonce(&contribution)) {
            Ok(()) => {}
            Err(SyncError::Server { status: 409, .. }) => return Err(SyncError::LinkAnswered.into()),
            Err(e) => return Err(e.into()),
        }
        Ok(LinkApproval { qr, contribution, session, code: OnceLock::new() })
    }

    /// The 6 digits to show next to the new phone's, once it revealed its nonce; `None` until then.
    /// A reveal that does not match the QR is [`SyncError::LinkRevealMismatch`].
    pub fn short_code(&self) -> Result<Option<String>> {
        if let Some(c) = self.code.get() {
            return Ok(Some(c.clone()));
        }
        let Some(msg) = self.session.client.mailbox_get(&self.qr.mailbox(MailboxSlot::Reveal))? else {
            return Ok(None);
        };
        let code = coffre_sync::responder_code(&self.qr, &self.contribution, &decode_nonce(&msg)?)?;
        Ok(Some(self.code.get_or_init(|| code).clone()))
    }

    /// After the person read the new phone's digits (`confirmed_code`): certifies the new device in
    /// the log, adds it on the server and posts the ARK sealed to the new phone. Digits that differ,
    /// or no digits yet, are [`EngineError::LinkCodeMismatch`] and nothing is sent.
    pub fn approve(&self, vault: &mut Vault, confirmed_code: &str) -> Result<()> {
        self.approve_named(vault, confirmed_code, None)
    }

    /// [`LinkApproval::approve`], with a name for the new device (shown by `device list` everywhere).
    pub fn approve_named(&self, vault: &mut Vault, confirmed_code: &str, name: Option<&str>) -> Result<()> {
        let Some(code) = self.short_code()? else { return Err(EngineError::LinkPending) };
        if code != confirmed_code.trim() {
            return Err(EngineError::LinkCodeMismatch);
        }
        let s = &self.session;
        let qr = &self.qr;
        let cert = certify(vault, &s.vault_hash, &qr.device_pk)?;
        // Certified in the log first, then enrolled on the server: a member the log does not certify is
        // a stray that any device's next sync removes (members.rs). The certificate is also in the log
        // before the new phone writes.
        let name = name.map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(64).collect());
        super::queue_and_sync(
            vault,
            Payload::DeviceAdd { device: key_of(&qr.device_pk), cert, role: Some(DeviceRole::Device), name },
        )?;
        s.client.add_device(&qr.device_pk)?;
        let writers: Writers = get_json(vault, super::WRITERS)?.unwrap_or_default();
        let keyring = Keyring::load(vault)?;
        let devices = writers
            .iter()
            .filter(|(_, span)| span.until_seq.is_none())
            .filter_map(|(pk, _)| hex32(pk).ok().map(|arr| (pk.clone(), keyring.certify(&s.vault_hash, &arr))))
            .collect();
        let later = keyring.arks_in_force().iter().skip(1).map(|a| hex::encode(a.as_bytes())).collect();
        let secret = GrantSecret { ark: hex::encode(vault.root_key().as_bytes()), devices, later };
        let secret = Zeroizing::new(serde_json::to_vec(&secret).map_err(|_| VaultError::InvalidInput("grant".into()))?);
        let grant = LinkGrant { vault: s.vault_hash, server_pk: s.server_pk, secret: Zeroizing::new(secret.to_vec()) };
        let sealed = coffre_sync::seal_grant(qr, &self.contribution, &grant)?;
        s.client.mailbox_put(&qr.mailbox(MailboxSlot::Grant), &sealed)?;
        Ok(())
    }
}
