//! A media id: the SHA-256 of the stored PNG as 64 lower-case hex digits. Parsing is the only
//! way to get one from outside, so a path built from it can never leave the media folder.

use sha2::{Digest, Sha256};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MediaId(String);

impl MediaId {
    /// The id of these bytes.
    pub fn of(bytes: &[u8]) -> MediaId {
        MediaId(hex::encode(Sha256::digest(bytes)))
    }

    /// Exactly 64 lower-case hex digits, or nothing.
    pub fn parse(raw: &str) -> Option<MediaId> {
        let ok = raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| MediaId(raw.to_owned()))
    }
}

shared::text_newtype!(MediaId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sha256_hex() {
        let id = MediaId::of(b"abc");
        assert_eq!(
            id.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(MediaId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn anything_else_is_refused() {
        let good = "a".repeat(64);
        assert!(MediaId::parse(&good).is_some());
        for bad in [
            "",
            "../x",
            "%2e%2e",
            "..",
            &"a".repeat(63),
            &"a".repeat(65),
            &"A".repeat(64),
            &format!("{}/", "a".repeat(63)),
            &format!("{}g", "a".repeat(63)),
        ] {
            assert!(MediaId::parse(bad).is_none(), "{bad}");
        }
    }
}
