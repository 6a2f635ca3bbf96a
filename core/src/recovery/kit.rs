//! The recovery kit: a new 128-bit code; the recovery device derived from it is certified in the log
//! (so it may write one op: the certificate of the new phone), the server stores the ARK wrapped under
//! a key derived from the code, and the previous kit's device is removed everywhere.

use coffre_recovery::{AssistedPrint, KitPage, RecoveryCode, SlotKind, WordList, device_seed, kit_pdf, wrap_arks};
use coffre_vault::{Vault, VaultError};
use zeroize::Zeroizing;

use super::assisted_request::KIT_SHARE;
use crate::error::Result;
use crate::session::{get_json, session, set_json};
use crate::sync_engine::envelope::{DeviceRole, Payload};
use crate::sync_engine::generation::Keyring;
use crate::sync_engine::view::key_of;
use crate::sync_engine::{KIT_DEVICE, certify, queue_and_sync};

/// A freshly made kit: show its words and QR, print its PDF, then forget it.
pub struct Kit {
    pub code: RecoveryCode,
    pub server_url: String,
    /// The assisted-recovery kit share, when assisted recovery is set up: printed on the kit too.
    /// It is a new one: making the kit set assisted recovery up again (new key, new shares for the
    /// provider, the organisation and the kit, new slot), so the old paper's share opens nothing.
    pub assisted_share: Option<Zeroizing<Vec<u8>>>,
    /// Assisted recovery was set up by a version that did not keep its settings, so it could not be
    /// set up again with this kit: the old kit share still works with the organisation until the
    /// person sets it up again (`coffre recover assisted setup`). Tell them.
    pub assisted_needs_setup: bool,
}

impl Kit {
    /// The 12 words in `list`.
    pub fn words(&self, list: WordList) -> Vec<String> {
        self.code.words(list)
    }

    /// What the kit's QR holds: the code and the server address.
    pub fn qr_text(&self) -> Zeroizing<String> {
        self.code.qr_text(&self.server_url)
    }

    /// The QR modules (quartile error correction: paper gets folded and stained).
    pub fn qr(&self) -> Result<coffre_qr::QrMatrix> {
        coffre_qr::encode(&self.qr_text(), coffre_qr::EcLevel::Quartile)
            .map_err(|_| VaultError::InvalidInput("the kit does not fit in a QR code".into()).into())
    }

    /// The printable PDF in easy French, with the words in `list` and the QR. `date` is printed as
    /// given (e.g. `23/11/2026`).
    pub fn pdf(&self, list: WordList, date: &str) -> Result<Zeroizing<Vec<u8>>> {
        self.pdf_in(coffre_l10n::Lang::Fr, list, date)
    }

    /// The printable PDF with its sentences in `lang` (Arabic is shaped, right to left).
    pub fn pdf_in(&self, lang: coffre_l10n::Lang, list: WordList, date: &str) -> Result<Zeroizing<Vec<u8>>> {
        let qr = self.qr()?;
        let n = qr.size();
        let rows: Vec<Vec<bool>> = (0..n).map(|y| (0..n).map(|x| qr.is_dark(x, y)).collect()).collect();
        let words = self.words(list);
        let share = match &self.assisted_share {
            Some(share) => {
                let qr = coffre_qr::encode(&coffre_recovery::kit_share::qr_text(share), coffre_qr::EcLevel::Quartile)
                    .map_err(|_| VaultError::InvalidInput("the kit share does not fit in a QR code".into()))?;
                let n = qr.size();
                let rows: Vec<Vec<bool>> = (0..n).map(|y| (0..n).map(|x| qr.is_dark(x, y)).collect()).collect();
                Some((rows, coffre_recovery::kit_share::groups(share)))
            }
            None => None,
        };
        let assisted = share.as_ref().map(|(qr, groups)| AssistedPrint { qr, groups });
        let page = KitPage { lang, words: &words, qr: Some(&rows), server_url: &self.server_url, date, assisted };
        Ok(Zeroizing::new(kit_pdf(&page)))
    }
}

fn recovery_signer(code: &RecoveryCode) -> coffre_crypto::SigningKey {
    coffre_crypto::SigningKey::from_bytes(*device_seed(SlotKind::Code, code.as_bytes()))
}

/// Makes a new recovery kit (at sign-up, or again on demand, or after a lost phone: the old kit
/// stops working). When assisted recovery is set up, it is set up again with the same organisation,
/// agents and PIN, so the kit share printed on the old paper opens nothing either.
pub fn make_kit(vault: &mut Vault) -> Result<Kit> {
    let s = session(vault)?;
    let code = RecoveryCode::generate();
    let recovery_pk = recovery_signer(&code).verifying_key().to_bytes();
    // 1. The recovery device may write (one op, at recovery): certified by the identity key.
    let cert = certify(vault, &s.vault_hash, &recovery_pk)?;
    let role = Some(DeviceRole::RecoveryKit);
    queue_and_sync(vault, Payload::DeviceAdd { device: key_of(&recovery_pk), cert, role, name: None })?;
    // 2. The slot (every account key generation in force), and the recovery device enrolled on the
    //    server (the old one is removed there).
    let keyring = Keyring::load(vault)?;
    let slot = wrap_arks(SlotKind::Code, code.as_bytes(), keyring.arks_in_force(), &s.vault_hash)?;
    let replaced = s.client.put_code_slot(&recovery_pk, &slot)?;
    // 3. The old kit's device leaves the log too (also when another device made that kit).
    let local_old: Option<String> = get_json(vault, KIT_DEVICE)?;
    let mut old: Vec<String> = replaced.iter().map(key_of).collect();
    old.extend(local_old.filter(|o| !old.contains(o) && *o != key_of(&recovery_pk)));
    set_json(vault, KIT_DEVICE, &key_of(&recovery_pk))?;
    for device in old {
        queue_and_sync(vault, Payload::DeviceRemove { device })?;
    }
    // 4. Assisted recovery, set up again: a new kit share (the old one, the old provider share and the
    //    old organisation pieces open nothing: the old assisted device is removed with its slot).
    let (assisted_share, assisted_needs_setup) = match super::assisted_request::renew_assisted(vault)? {
        Some(share) => (Some(share), false),
        None => (None, vault.state_get(KIT_SHARE)?.is_some()),
    };
    Ok(Kit { code, server_url: s.server_url, assisted_share, assisted_needs_setup })
}
