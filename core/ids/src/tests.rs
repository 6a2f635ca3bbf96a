#![allow(clippy::unwrap_used)]

use super::*;

const VAULT_HEX: &str = "111df7d13c70f59b6ae7009fe9e6150287a9da5a038af6e1cbb8c3de0c3f2880";

#[test]
fn hex_ids_round_trip() {
    let id = VaultId::parse(VAULT_HEX).unwrap();
    assert_eq!(id.to_string(), VAULT_HEX);
    assert_eq!(id.to_hex(), VAULT_HEX);
    assert_eq!(VAULT_HEX.parse::<VaultId>().unwrap(), id);
    assert_eq!(VaultId::from(*id.as_bytes()), id);
    assert_eq!(<[u8; 32]>::from(id), id.to_bytes());
    assert_eq!(VaultId::from_slice(id.as_ref()).unwrap(), id);
    let m = MandateId::from([0xab; 16]);
    assert_eq!(m.to_string(), "ab".repeat(16));
    assert_eq!(MandateId::parse(&m.to_string()).unwrap(), m);
}

#[test]
fn hex_is_refused_as_unhex32_refused_it() {
    let upper = VAULT_HEX.to_ascii_uppercase();
    assert_eq!(VaultId::parse(&upper), Err(IdError::Length("vault id")));
    assert_eq!(VaultId::parse(&VAULT_HEX[..62]), Err(IdError::Length("vault id")));
    assert_eq!(VaultId::parse(&format!("{VAULT_HEX}00")), Err(IdError::Length("vault id")));
    assert_eq!(VaultId::parse(""), Err(IdError::Length("vault id")));
    assert_eq!(VaultId::parse(&format!("{}zz", &VAULT_HEX[..62])), Err(IdError::Encoding("vault id")));
    assert_eq!(VaultId::parse(&format!(" {}", &VAULT_HEX[..63])), Err(IdError::Encoding("vault id")));
    // A multi-byte character of the right byte length is not hex.
    assert_eq!(ChunkAddr::parse(&format!("é{}", &VAULT_HEX[..62])), Err(IdError::Encoding("chunk address")));
    assert_eq!(MandateId::parse(&VAULT_HEX[..30]), Err(IdError::Length("mandate id")));
}

#[test]
fn errors_never_contain_the_value() {
    let secretish = "deadbeef".repeat(7);
    for e in [VaultId::parse(&secretish).unwrap_err(), DeviceKey::parse(&secretish).unwrap_err()] {
        assert!(!e.to_string().contains("deadbeef"), "{e}");
        assert!(!format!("{e:?}").contains("deadbeef"));
    }
    let json = serde_json::from_str::<VaultId>(&format!("\"{secretish}\"")).unwrap_err();
    assert!(!json.to_string().contains("deadbeef"), "{json}");
}

#[test]
fn keys_are_base64url_without_padding() {
    let key = DeviceKey::from([0xfb; 32]);
    let text = key.to_string();
    assert_eq!(text.len(), 43);
    assert!(!text.contains(['+', '/', '=']));
    assert_eq!(DeviceKey::parse(&text).unwrap(), key);
    assert_eq!(key.to_b64url(), text);
    // The hex form the op log's envelopes use.
    assert_eq!(key.to_hex(), "fb".repeat(32));
    assert_eq!(DeviceKey::from_hex(&key.to_hex()).unwrap(), key);
    assert_eq!(DeviceKey::parse(&format!("{text}=")), Err(IdError::Encoding("device key")));
    assert_eq!(DeviceKey::parse(&text[..42]), Err(IdError::Encoding("device key")));
    assert_eq!(DeviceKey::parse(&crate::Encoding::Base64Url.encode(&[1; 31])), Err(IdError::Length("device key")));
    assert_eq!(DeviceKey::parse(&"+".repeat(43)), Err(IdError::Encoding("device key")));
}

#[test]
fn share_ids_are_22_chars() {
    let id = ShareId::from([7; 16]);
    let text = id.to_string();
    assert_eq!(text.len(), 22);
    assert_eq!(ShareId::parse(&text).unwrap(), id);
    assert!(ShareId::parse(&text[..21]).is_err());
    assert!(ShareId::parse("!!!!!!!!!!!!!!!!!!!!!!").is_err());
    assert!(ShareId::parse(&crate::Encoding::Base64Url.encode(&[7; 17])).is_err());
}

#[test]
fn blob_ids_are_16_to_32_bytes_of_lowercase_hex() {
    for len in [16usize, 20, 32] {
        let bytes: Vec<u8> = (0..len as u8).collect();
        let id = BlobId::from_slice(&bytes).unwrap();
        assert_eq!(id.as_bytes(), &bytes[..]);
        assert_eq!(BlobId::parse(&hex::encode(&bytes)).unwrap(), id);
        assert_eq!(id.to_string(), hex::encode(&bytes));
    }
    assert_eq!(BlobId::from([9; 16]), BlobId::from_slice(&[9; 16]).unwrap());
    for bad in ["ab".repeat(15), "ab".repeat(33), format!("{}a", "ab".repeat(16)), "AB".repeat(16)] {
        assert_eq!(BlobId::parse(&bad), Err(IdError::Length("blob id")), "{bad}");
    }
    assert_eq!(BlobId::parse(&"zz".repeat(16)), Err(IdError::Encoding("blob id")));
    assert!(BlobId::from_slice(&[0; 15]).is_err());
    assert!(BlobId::from_slice(&[0; 33]).is_err());
    // Ordered as the bytes are, whatever the length.
    assert!(BlobId::from_slice(&[1; 20]).unwrap() < BlobId::from_slice(&[2; 16]).unwrap());
}

#[test]
fn serde_uses_the_wire_text() {
    let vault = VaultId::parse(VAULT_HEX).unwrap();
    let key = DeviceKey::from([1; 32]);
    let blob = BlobId::from([2; 16]);
    let json = serde_json::to_string(&(vault, key, blob)).unwrap();
    assert_eq!(json, format!("[\"{VAULT_HEX}\",\"{key}\",\"{}\"]", "02".repeat(16)));
    assert_eq!(serde_json::from_str::<(VaultId, DeviceKey, BlobId)>(&json).unwrap(), (vault, key, blob));
    assert!(serde_json::from_str::<VaultId>(&format!("\"{}\"", VAULT_HEX.to_ascii_uppercase())).is_err());
    assert!(serde_json::from_str::<VaultId>("42").is_err());
}

#[test]
fn debug_names_the_type_and_shows_the_wire_text() {
    assert_eq!(format!("{:?}", MandateId::from([0; 16])), format!("MandateId({})", "00".repeat(16)));
    assert_eq!(format!("{:?}", BlobId::from([1; 16])), format!("BlobId({})", "01".repeat(16)));
}

#[test]
fn typed_doc_ids_accept_blanks_and_uppercase() {
    let id = DocId::from([0xab; 16]);
    assert_eq!(DocId::parse_typed(&format!("  {}\n", "AB".repeat(16))).unwrap(), id);
    assert_eq!(DocId::parse_typed(&id.to_string()).unwrap(), id);
    assert!(DocId::parse(&"AB".repeat(16)).is_err());
    assert!(DocId::parse_typed(&"ab".repeat(15)).is_err());
}

#[cfg(feature = "rusqlite")]
#[test]
fn sqlite_stores_raw_bytes_as_blobs() {
    let c = rusqlite::Connection::open_in_memory().unwrap();
    c.execute_batch("CREATE TABLE t (vault BLOB, blob BLOB, share BLOB)").unwrap();
    let vault = VaultId::parse(VAULT_HEX).unwrap();
    let blob = BlobId::from_slice(&[3; 20]).unwrap();
    let share = ShareId::from([4; 16]);
    c.execute("INSERT INTO t VALUES (?1, ?2, ?3)", rusqlite::params![vault, blob, share]).unwrap();
    let (kind, raw): (String, Vec<u8>) =
        c.query_row("SELECT typeof(vault), vault FROM t", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((kind.as_str(), raw.as_slice()), ("blob", &vault.as_bytes()[..]));
    let back: (VaultId, BlobId, ShareId) =
        c.query_row("SELECT vault, blob, share FROM t", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    assert_eq!(back, (vault, blob, share));
    // A column of the wrong length is an error, not a truncated id.
    assert!(c.query_row("SELECT share FROM t", [], |r| r.get::<_, VaultId>(0)).is_err());
    assert!(c.query_row("SELECT x'00'", [], |r| r.get::<_, BlobId>(0)).is_err());
}
