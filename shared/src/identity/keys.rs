//! The Ed25519 signing key pair: read from `JWT_PRIVATE_KEY` in any form a platform keeps, or
//! from (and first made in) a private key file. Only auth ever holds one.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::EncodingKey;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::error::Error;

/// An Ed25519 key pair. Only auth ever holds one (it signs); other services get the public half.
#[derive(Clone)]
pub struct KeyPair {
    signing: ed25519_dalek::SigningKey,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPair(kid={})", kid_of(&self.public_bytes()))
    }
}

impl KeyPair {
    pub fn generate() -> KeyPair {
        let seed: [u8; 32] = rand::random();
        KeyPair {
            signing: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<KeyPair, Error> {
        let signing = ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim()).map_err(|_| {
            Error::Config("JWT_PRIVATE_KEY: not an Ed25519 PKCS#8 PEM private key".into())
        })?;
        Ok(KeyPair { signing })
    }

    /// `JWT_PRIVATE_KEY` in any form a platform's variable field keeps: the PEM as it is, the
    /// PEM on one line (with `\n` escapes, or with its line breaks turned into spaces), or the
    /// PEM in base64 (what `scanpage keys generate` prints).
    pub fn from_setting(value: &str) -> Result<KeyPair, Error> {
        let value = value.trim().trim_matches('"');
        let pem = if value.contains("-----BEGIN") {
            value.to_owned()
        } else {
            use base64::Engine as _;
            let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .filter(|text| text.contains("-----BEGIN"))
                .ok_or_else(|| Error::Config(KEY_FORMS.into()))?
        };
        KeyPair::from_pkcs8_pem(&normalise_pem(&pem)).map_err(|_| Error::Config(KEY_FORMS.into()))
    }

    /// The key as one line of base64 (of its PEM), for a platform's variable field.
    pub fn to_setting(&self) -> Result<String, Error> {
        use base64::Engine as _;
        Ok(base64::engine::general_purpose::STANDARD.encode(self.to_pkcs8_pem()?))
    }

    pub fn to_pkcs8_pem(&self) -> Result<String, Error> {
        self.signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| Error::Config(format!("cannot encode the signing key: {e}")))
    }

    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The key jsonwebtoken signs with (PKCS#8 DER, as its EdDSA signer expects).
    pub fn encoding_key(&self) -> Result<EncodingKey, Error> {
        let der = self
            .signing
            .to_pkcs8_der()
            .map_err(|e| Error::Config(format!("cannot encode the signing key: {e}")))?;
        Ok(EncodingKey::from_ed_der(der.as_bytes()))
    }

    /// `JWT_PRIVATE_KEY` when set; otherwise the key kept in `<data_dir>/jwt-ed25519.pem`, made on
    /// first start (all-in-one mode and single-machine setups). Mode 0600: the file is a secret.
    pub fn load_or_generate(settings: &Settings) -> Result<KeyPair, Error> {
        if let Some(pem) = settings
            .jwt_private_key
            .as_deref()
            .filter(|p| !p.is_empty())
        {
            return KeyPair::from_setting(pem);
        }
        let path = settings.data_dir.join("jwt-ed25519.pem");
        KeyPair::load_or_generate_file(&path)
    }

    pub fn load_or_generate_file(path: &Path) -> Result<KeyPair, Error> {
        match std::fs::read_to_string(path) {
            Ok(pem) => KeyPair::from_pkcs8_pem(&pem).map_err(|_| {
                Error::Config(format!("{}: not an Ed25519 PKCS#8 PEM key", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = KeyPair::generate();
                write_secret_file(path, pair.to_pkcs8_pem()?.as_bytes())?;
                tracing::info!(path = %path.display(), kid = %kid_of(&pair.public_bytes()), "generated a new token signing key");
                Ok(pair)
            }
            Err(e) => Err(Error::Config(format!("{}: {e}", path.display()))),
        }
    }
}

const KEY_FORMS: &str = "JWT_PRIVATE_KEY: not an Ed25519 PKCS#8 private key; give its PEM, the PEM \
    on one line with \\n escapes, or the PEM in base64 (`scanpage keys generate` prints one)";

/// A PEM whose line breaks were lost or escaped on the way, rebuilt: its label lines, then the
/// base64 body in 64-character lines.
fn normalise_pem(pem: &str) -> String {
    let pem = pem.replace("\\r\\n", "\n").replace("\\n", "\n");
    let (Some(start), Some(end)) = (pem.find("-----BEGIN"), pem.find("-----END")) else {
        return pem;
    };
    let Some(body_start) = pem[start + 10..].find("-----").map(|i| start + 10 + i + 5) else {
        return pem;
    };
    let (Some(head), tail) = (pem.get(start..body_start), &pem[end..]) else {
        return pem;
    };
    let tail = tail.split_inclusive("-----").take(2).collect::<String>();
    let body: String = pem[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    format!("{head}\n{}\n{tail}\n", lines.join("\n"))
}

fn write_secret_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::Config(format!("{}: cannot create: {e}", path.display())))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

/// A public key as `JWT_PUBLIC_KEY` takes it (the JWK `x`: base64url, no padding).
pub fn public_key_setting(public: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(public)
}

/// A short, stable id of a public key (the JWK `kid`).
pub fn kid_of(public: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_is_read_in_every_form_a_platform_keeps() {
        let pair = KeyPair::generate();
        let pem = pair.to_pkcs8_pem().unwrap();
        let same = |value: &str| {
            let read = KeyPair::from_setting(value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert_eq!(read.public_bytes(), pair.public_bytes(), "{value:?}");
        };
        same(&pem);
        same(&format!("  {pem}\n"));
        same(&pem.replace('\n', "\\n"));
        same(&pem.replace('\n', "\r\n"));
        same(&pem.replace('\n', " "));
        same(&format!("\"{}\"", pem.replace('\n', "\\n")));
        same(&pair.to_setting().unwrap());
        assert!(!pair.to_setting().unwrap().contains('\n'), "one line");

        for bad in [
            "",
            "hunter2",
            "LS0tLS1CRUdJTg==",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        ] {
            let err = KeyPair::from_setting(bad).expect_err("refused").to_string();
            assert!(
                err.contains("JWT_PRIVATE_KEY") && err.contains("keys generate"),
                "{err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("sp-key-{}", uuid::Uuid::new_v4().simple()));
        let path = dir.join("jwt-ed25519.pem");
        let a = KeyPair::load_or_generate_file(&path).unwrap();
        let b = KeyPair::load_or_generate_file(&path).unwrap();
        assert_eq!(a.public_bytes(), b.public_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
