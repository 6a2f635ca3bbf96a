//! Agents under mandates against a real server on 127.0.0.1: the authorization matrix (every scope ×
//! every state of mandate, certificate and organisation), write-only deposits, revocations, and the
//! audit chain the holder reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use coffre_crypto::{ExchangeSecret, SigningKey};
use coffre_mandate::wire::{AuditPage, DepositList, MandateBody, OrgRegisterRequest, RevocationRequest};
use coffre_mandate::{
    AgentCertificate, CertifiedDeposit, DepositContent, DepositReceipt, Mandate, MandateTerms, OrgKey, Scope, Scopes,
    b64, make_deposit, open_deposit, unb64,
};
use common::{Holder, TestServer, key, now, test_bytes};

struct Agent {
    key: SigningKey,
    x: ExchangeSecret,
}

fn agent() -> Agent {
    Agent { key: key(), x: ExchangeSecret::generate() }
}

fn cert(org: &OrgKey, a: &Agent) -> AgentCertificate {
    let t = now();
    org.certify(*a.key.verifying_key().as_bytes(), *a.x.public().as_bytes(), "Mme Martin", "ASS", t - 10, t + 86_400)
        .unwrap()
}

fn register_org(s: &TestServer, org: &OrgKey) {
    let body =
        serde_json::to_vec(&OrgRegisterRequest { v: 1, registration: b64(&org.registration(now()).encode()) }).unwrap();
    let (st, e, _) = s.raw("POST", "/v1/orgs", body, None, |_| {});
    assert_eq!(st, 201, "{e:?}");
}

struct Vault {
    holder: Holder,
    x: ExchangeSecret,
}

fn vault(s: &TestServer) -> Vault {
    Vault { holder: s.vault(), x: ExchangeSecret::generate() }
}

fn sign_mandate(v: &Vault, cert: AgentCertificate, scopes: &[Scope], nb: u64, na: u64) -> Mandate {
    let terms =
        MandateTerms { scopes: Scopes::of(scopes), collections: vec!["income".into()], not_before: nb, not_after: na };
    Mandate::sign(&v.holder.identity, *v.x.public().as_bytes(), coffre_crypto::random_bytes(), cert, [0; 16], terms)
        .unwrap()
}

/// The holder's device uploads the mandate; returns the status.
fn grant(s: &TestServer, v: &Vault, m: &Mandate) -> u16 {
    let body =
        serde_json::to_vec(&MandateBody { v: 1, mandate: b64(&m.encode()), created_at: 0, revoked_at: None }).unwrap();
    s.raw("POST", &format!("/v1/vaults/{}/mandates", v.holder.vault_hex()), body, Some(&v.holder.device), |_| {}).0
}

const BLOB: [u8; 16] = [0xB1; 16];

/// The holder publishes a package listing one uploaded blob.
fn publish(s: &TestServer, v: &Vault, m: &Mandate) -> u16 {
    v.holder.client.upload_blob(&BLOB, &test_bytes(3000, 1), &|_| {}, &coffre_sync::CancelToken::new()).unwrap();
    let body = serde_json::json!({ "v": 1, "sealed": b64(b"sealed-to-agent"), "blobs": [hex::encode(BLOB)] });
    s.raw(
        "PUT",
        &format!("/v1/vaults/{}/mandates/{}/package", v.holder.vault_hex(), hex::encode(m.id)),
        body.to_string().into_bytes(),
        Some(&v.holder.device),
        |_| {},
    )
    .0
}

/// The agent acts with `scope` under mandate `m`, on `vault_hex`; returns status and error code.
fn act(s: &TestServer, a: &Agent, vault_hex: &str, m: &Mandate, scope: Scope) -> (u16, String) {
    let base = format!("/v1/agent/vaults/{vault_hex}/mandates/{}", hex::encode(m.id));
    let (st, e, _) = match scope {
        Scope::Deposit => {
            let content = DepositContent {
                title: "Attestation".into(),
                category: "autre".into(),
                file_name: "a.pdf".into(),
                bytes: b"%PDF-1.4 x".to_vec(),
            };
            // Under a mandate without the deposit scope, or for another device, sign the statement as if it
            // allowed it: the server must refuse on the mandate, whatever the body says.
            let mut m2 = m.clone();
            m2.scopes = Scopes::of(&[Scope::Deposit]);
            m2.cert.device_pk = *a.key.verifying_key().as_bytes();
            let (stmt, sealed) = make_deposit(&m2, &a.key, &content, coffre_crypto::random_bytes(), now()).unwrap();
            let body = serde_json::json!({ "v": 1, "statement": b64(&stmt.encode()), "ciphertext": b64(&sealed) });
            s.raw("POST", &format!("{base}/deposits"), body.to_string().into_bytes(), Some(&a.key), |_| {})
        }
        Scope::Consult => s.raw("GET", &format!("{base}/package"), vec![], Some(&a.key), |_| {}),
        Scope::Extract => {
            s.raw("GET", &format!("{base}/blobs/{}?purpose=extract", hex::encode(BLOB)), vec![], Some(&a.key), |_| {})
        }
        Scope::Transmit => {
            let body =
                serde_json::json!({ "v": 1, "recipient": "CAF du Rhône", "documents": [hex::encode([1u8; 16])] });
            s.raw("POST", &format!("{base}/transmissions"), body.to_string().into_bytes(), Some(&a.key), |_| {})
        }
    };
    (st, e.map(|e| e.error).unwrap_or_default())
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Active,
    Expired,
    NotYetValid,
    Revoked,
    OtherHoldersVault,
    ForgedOrgCertificate,
    AgentNotCertified,
    UnregisteredOrg,
    RevokedAgent,
}

const CASES: [Case; 9] = [
    Case::Active,
    Case::Expired,
    Case::NotYetValid,
    Case::Revoked,
    Case::OtherHoldersVault,
    Case::ForgedOrgCertificate,
    Case::AgentNotCertified,
    Case::UnregisteredOrg,
    Case::RevokedAgent,
];

#[test]
fn authorization_matrix() {
    let s = TestServer::start();
    let org = OrgKey::generate("CCAS de Lyon").unwrap();
    register_org(&s, &org);
    let other_vault = vault(&s);
    let mut table = Vec::new();
    for scope in Scope::ALL {
        for case in CASES {
            let v = vault(&s);
            let a = agent();
            let t = now();
            let (nb, na) = match case {
                Case::Expired => (t - 1000, t - 10),
                Case::NotYetValid => (t + 1000, t + 2000),
                _ => (t - 10, t + 3600),
            };
            let c = match case {
                Case::ForgedOrgCertificate => {
                    // Signed by another key, claiming the registered organisation.
                    let forger = OrgKey::generate("CCAS de Lyon").unwrap();
                    let mut c = cert(&forger, &a);
                    c.org_pk = org.public();
                    c
                }
                Case::AgentNotCertified => cert(&org, &agent()), // certifies another device
                Case::UnregisteredOrg => cert(&OrgKey::generate("Association X").unwrap(), &a),
                _ => cert(&org, &a),
            };
            let m = sign_mandate(&v, c, &[scope], nb, na);
            let granted = grant(&s, &v, &m);
            match case {
                Case::ForgedOrgCertificate => assert_eq!(granted, 400, "forged certificate stored"),
                Case::UnregisteredOrg => assert_eq!(granted, 403, "unregistered organisation stored"),
                _ => assert_eq!(granted, 201, "{case:?}"),
            }
            if granted == 201 {
                assert_eq!(publish(&s, &v, &m), 204);
            }
            match case {
                Case::Revoked => {
                    let (st, _, _) = s.raw(
                        "DELETE",
                        &format!("/v1/vaults/{}/mandates/{}", v.holder.vault_hex(), hex::encode(m.id)),
                        vec![],
                        Some(&v.holder.device),
                        |_| {},
                    );
                    assert_eq!(st, 204);
                }
                Case::RevokedAgent => {
                    let rev = org.revoke(*a.key.verifying_key().as_bytes(), now());
                    let body = serde_json::to_vec(&RevocationRequest { v: 1, revocation: b64(&rev.encode()) }).unwrap();
                    let (st, _, _) =
                        s.raw("POST", &format!("/v1/orgs/{}/revocations", b64(&org.public())), body, None, |_| {});
                    assert_eq!(st, 204);
                }
                _ => {}
            }
            let target = match case {
                Case::OtherHoldersVault => other_vault.holder.vault_hex(),
                _ => v.holder.vault_hex(),
            };
            let (st, code) = act(&s, &a, &target, &m, scope);
            let allowed = matches!(case, Case::Active);
            if allowed {
                assert!((200..300).contains(&st), "{scope:?} {case:?}: {st} {code}");
                // Every other scope is refused under a one-scope mandate.
                for other in Scope::ALL.into_iter().filter(|o| *o != scope) {
                    let (st2, code2) = act(&s, &a, &target, &m, other);
                    assert_eq!((st2, code2.as_str()), (403, "scope_denied"), "{scope:?} granted, {other:?} tried");
                }
            } else {
                let expected = match case {
                    Case::Expired => "mandate_expired",
                    Case::NotYetValid => "mandate_not_yet_valid",
                    Case::Revoked => "mandate_revoked",
                    Case::OtherHoldersVault => "mandate_mismatch",
                    Case::RevokedAgent => "agent_revoked",
                    // never stored, or stored for another device: there is no mandate for this agent
                    _ => "no_mandate",
                };
                assert_eq!((st, code.as_str()), (403, expected), "{scope:?} {case:?}");
            }
            table.push(format!("{:<9} {:<22} {st} {code}", scope.code(), format!("{case:?}")));
        }
    }
    println!("{}", table.join("\n"));
    assert_eq!(table.len(), 4 * CASES.len());
}

#[test]
fn deposit_is_write_only_certified_and_audited() {
    let s = TestServer::start();
    let org = OrgKey::generate("CCAS de Lyon").unwrap();
    register_org(&s, &org);
    let v = vault(&s);
    let a = agent();
    let t = now();
    let m = sign_mandate(&v, cert(&org, &a), &[Scope::Deposit], t - 10, t + 3600);
    assert_eq!(grant(&s, &v, &m), 201);
    let content = DepositContent {
        title: "Attestation de domiciliation".into(),
        category: "attestation_domiciliation".into(),
        file_name: "domiciliation.pdf".into(),
        bytes: b"%PDF-1.4 domiciliation CCAS".to_vec(),
    };
    let (stmt, sealed) = make_deposit(&m, &a.key, &content, [9; 16], now()).unwrap();
    let base = format!("/v1/agent/vaults/{}/mandates/{}", v.holder.vault_hex(), hex::encode(m.id));
    let body = serde_json::json!({ "v": 1, "statement": b64(&stmt.encode()), "ciphertext": b64(&sealed) });
    let (st, e, resp) = s.raw("POST", &format!("{base}/deposits"), body.to_string().into_bytes(), Some(&a.key), |_| {});
    assert_eq!(st, 201, "{e:?}");
    // Replaying the same deposit is refused.
    let (st, _, _) = s.raw("POST", &format!("{base}/deposits"), body.to_string().into_bytes(), Some(&a.key), |_| {});
    assert_eq!(st, 409);
    let receipt: serde_json::Value = serde_json::from_slice(&resp).unwrap();
    let receipt = unb64(receipt["receipt"].as_str().unwrap(), 512, "r").unwrap();
    DepositReceipt::decode_verified(&receipt).unwrap();

    // Write-only: the agent cannot list or read the vault's deposits, nor consult, nor open the bytes.
    let vault_path = format!("/v1/vaults/{}/deposits", v.holder.vault_hex());
    let (st, e, _) = s.raw("GET", &vault_path, vec![], Some(&a.key), |_| {});
    assert_eq!((st, e.unwrap().error.as_str()), (403, "not_a_member"));
    assert_eq!(act(&s, &a, &v.holder.vault_hex(), &m, Scope::Consult), (403, "scope_denied".into()));
    assert!(open_deposit(&a.x, &stmt, &sealed).is_err());

    // The holder's device fetches it; it verifies offline with the pinned server key and opens.
    let (st, _, list) = s.raw("GET", &vault_path, vec![], Some(&v.holder.device), |_| {});
    assert_eq!(st, 200);
    let list: DepositList = serde_json::from_slice(&list).unwrap();
    assert_eq!(list.deposits.len(), 1);
    let d = &list.deposits[0];
    let ct = unb64(&d.ciphertext, 1 << 20, "ct").unwrap();
    let cd = CertifiedDeposit::decode(
        &unb64(&d.statement, 4096, "s").unwrap(),
        &unb64(&d.receipt, 512, "r").unwrap(),
        &m.encode(),
    )
    .unwrap();
    let summary = cd.verify(&s.server_pk, Some(&ct)).unwrap();
    assert_eq!((summary.agent_name.as_str(), summary.org_name.as_str()), ("Mme Martin", "CCAS de Lyon"));
    assert_eq!(open_deposit(&v.x, &cd.statement, &ct).unwrap(), content);

    // A tampered ciphertext upload is refused (hash bound in the signed statement).
    let (stmt2, mut sealed2) = make_deposit(&m, &a.key, &content, [8; 16], now()).unwrap();
    sealed2[40] ^= 1;
    let body = serde_json::json!({ "v": 1, "statement": b64(&stmt2.encode()), "ciphertext": b64(&sealed2) });
    let (st, e, _) = s.raw("POST", &format!("{base}/deposits"), body.to_string().into_bytes(), Some(&a.key), |_| {});
    assert_eq!((st, e.unwrap().error.as_str()), (400, "hash_mismatch"));

    // Revocation by the holder: refused at once.
    let (st, _, _) = s.raw(
        "DELETE",
        &format!("/v1/vaults/{}/mandates/{}", v.holder.vault_hex(), hex::encode(m.id)),
        vec![],
        Some(&v.holder.device),
        |_| {},
    );
    assert_eq!(st, 204);
    assert_eq!(act(&s, &a, &v.holder.vault_hex(), &m, Scope::Deposit), (403, "mandate_revoked".into()));

    // The audit trail: grant, deposit, revocation, in order, chained and signed by the pinned key.
    let (st, _, page) =
        s.raw("GET", &format!("/v1/vaults/{}/audit", v.holder.vault_hex()), vec![], Some(&v.holder.device), |_| {});
    assert_eq!(st, 200);
    let page: AuditPage = serde_json::from_slice(&page).unwrap();
    let kinds: Vec<&str> = page.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["mandate_granted", "deposit_received", "mandate_revoked"]);
    let vault_id = v.holder.reg.vault;
    coffre_mandate::verify_chain(
        &page.entries,
        &vault_id,
        &s.server_pk,
        (0, coffre_mandate::audit::genesis(&vault_id)),
    )
    .unwrap();
    // The grant entry carries the holder-signed mandate, the deposit entry the agent-signed statement.
    let detail: serde_json::Value = serde_json::from_str(&page.entries[0].detail).unwrap();
    let signed = Mandate::decode_verified(&unb64(detail["mandate"].as_str().unwrap(), 4096, "m").unwrap()).unwrap();
    assert_eq!(signed, m);
    let detail: serde_json::Value = serde_json::from_str(&page.entries[1].detail).unwrap();
    assert_eq!(detail["agent"], "Mme Martin");
    // The agent cannot read the audit trail.
    let (st, _, _) = s.raw("GET", &format!("/v1/vaults/{}/audit", v.holder.vault_hex()), vec![], Some(&a.key), |_| {});
    assert_eq!(st, 403);
}

/// Issue 14, agent blob amplification: a hostile device enrolled in the holder's vault commits a blob
/// that lists one stored chunk many times (one 4 MiB chunk ×256 would be a 1 GiB download, which the
/// server used to build in memory). The commit is refused with `duplicate_chunk`, so no agent download
/// can ever repeat a chunk; a real blob still reaches the agent, frame for frame (now streamed).
#[test]
fn a_blob_repeating_a_chunk_is_refused_at_commit() {
    let s = TestServer::start();
    let org = OrgKey::generate("CCAS de Lyon").unwrap();
    register_org(&s, &org);
    let v = vault(&s);
    let a = agent();
    let t = now();
    let m = sign_mandate(&v, cert(&org, &a), &[Scope::Consult], t - 10, t + 3600);
    assert_eq!(grant(&s, &v, &m), 201);
    assert_eq!(publish(&s, &v, &m), 204);
    let vault_hex = v.holder.vault_hex();
    let (hostile, _) = v.holder.enroll(&s.url);

    // The chunk the holder's real blob stored, as the hostile device reads it.
    let (st, e, body) =
        s.raw("GET", &format!("/v1/vaults/{vault_hex}/blobs/{}", hex::encode(BLOB)), vec![], Some(&hostile), |_| {});
    assert_eq!(st, 200, "{e:?}");
    let chunks: Vec<String> = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let one = chunks[0].clone();

    // The attack: the same address 256 times, or once more among others.
    let evil: [u8; 16] = [0xE1; 16];
    for list in [vec![one.clone(); 256], [chunks.clone(), vec![one.clone()]].concat()] {
        let commit = serde_json::json!({ "v": coffre_sync::protocol::PROTOCOL_VERSION, "blob_id": hex::encode(evil), "chunks": list });
        let (st, e, _) = s.raw(
            "POST",
            &format!("/v1/vaults/{vault_hex}/blobs"),
            commit.to_string().into_bytes(),
            Some(&hostile),
            |_| {},
        );
        assert_eq!((st, e.map(|e| e.error).unwrap_or_default().as_str()), (400, "duplicate_chunk"));
    }
    // Listed in a package anyway, it is not there for the agent to fetch.
    let pkg = serde_json::json!({ "v": 1, "sealed": b64(b"sealed-to-agent"), "blobs": [hex::encode(BLOB), hex::encode(evil)] });
    let pkg_path = format!("/v1/vaults/{vault_hex}/mandates/{}/package", hex::encode(m.id));
    assert_eq!(s.raw("PUT", &pkg_path, pkg.to_string().into_bytes(), Some(&hostile), |_| {}).0, 204);
    let base = format!("/v1/agent/vaults/{vault_hex}/mandates/{}/blobs", hex::encode(m.id));
    let (st, e, _) = s.raw("GET", &format!("{base}/{}", hex::encode(evil)), vec![], Some(&a.key), |_| {});
    assert_eq!((st, e.map(|e| e.error).unwrap_or_default().as_str()), (404, "unknown_blob"));

    // The real blob: the streamed frames are the stored chunks, in order.
    let (st, _, framed) = s.raw("GET", &format!("{base}/{}", hex::encode(BLOB)), vec![], Some(&a.key), |_| {});
    assert_eq!(st, 200);
    let mut expected = Vec::new();
    for c in &chunks {
        let (st, _, bytes) =
            s.raw("GET", &format!("/v1/vaults/{vault_hex}/chunks/{c}"), vec![], Some(&hostile), |_| {});
        assert_eq!(st, 200);
        expected.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
        expected.extend_from_slice(&bytes);
    }
    assert_eq!(framed, expected);
}
