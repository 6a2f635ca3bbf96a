//! The one `len(be32) || bytes` framing of the protocol: a share's body (header, manifest, pages), a
//! batched chunk fetch and an agent's blob download are sequences of such frames. Op payloads use the
//! same length prefix but are padded instead ([`crate::pad_payload`]).

use crate::ProtocolError;

/// The 4-byte prefix of a frame of `len` bytes (for a writer that streams the bytes after it).
pub fn frame_header(len: usize) -> Result<[u8; 4], ProtocolError> {
    u32::try_from(len).map(u32::to_be_bytes).map_err(|_| ProtocolError::Length("frame"))
}

/// Joins frames for [`split_frames`].
pub fn join_frames(frames: &[&[u8]]) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::with_capacity(frames.iter().map(|f| f.len() + 4).sum());
    for f in frames {
        out.extend_from_slice(&frame_header(f.len())?);
        out.extend_from_slice(f);
    }
    Ok(out)
}

/// Splits `len(be32) || bytes` frames; refuses trailing or truncated data.
pub fn split_frames(mut body: &[u8]) -> Result<Vec<&[u8]>, ProtocolError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let Some((len, rest)) = body.split_first_chunk::<4>() else {
            return Err(ProtocolError::Length("frame header"));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > rest.len() {
            return Err(ProtocolError::Length("frame"));
        }
        let (frame, rest) = rest.split_at(len);
        out.push(frame);
        body = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn frames_round_trip_and_refuse_truncation() {
        let body = join_frames(&[b"abc", b"", b"de"]).unwrap();
        assert_eq!(split_frames(&body).unwrap(), vec![&b"abc"[..], b"", b"de"]);
        for cut in 1..body.len() {
            let r = split_frames(&body[..cut]);
            // every proper prefix either fails or yields fewer frames
            assert!(r.is_err() || r.unwrap().len() < 3);
        }
    }

    #[test]
    fn the_header_is_the_big_endian_length() {
        assert_eq!(frame_header(258).unwrap(), [0, 0, 1, 2]);
        assert_eq!(&join_frames(&[b"xy"]).unwrap(), &[0, 0, 0, 2, b'x', b'y']);
    }
}
