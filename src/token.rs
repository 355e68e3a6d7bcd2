//! Personal link tokens: opaque, fixed-length and HMAC-signed, so a link names a subscriber
//! and what the link is for without the address ever appearing in a URL.
//!
//! A token is 30 bytes in URL-safe base64 (40 characters): a format version, the purpose,
//! the subscriber's id in the ledger, an expiry (Unix seconds; 0 for none) and the first 16
//! bytes of an HMAC-SHA256 over the rest. Verification compares the tag in constant time.
//! Unsubscribe and preferences tokens do not expire (RFC 8058 clients may call months
//! later); confirmation tokens do. No I/O, no clock: `now` is an argument.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The length of every token, in characters.
pub const TOKEN_LEN: usize = 40;

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const BODY_LEN: usize = 1 + 1 + 8 + 4;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `/u/TOKEN`: unsubscribe (one click, RFC 8058).
    Unsubscribe,
    /// `/p/TOKEN`: choose topics, pause, leave.
    Preferences,
    /// `/c/TOKEN`: confirm a sign-up (expires).
    Confirm,
}

impl Purpose {
    fn byte(self) -> u8 {
        match self {
            Purpose::Unsubscribe => 1,
            Purpose::Preferences => 2,
            Purpose::Confirm => 3,
        }
    }

    fn from_byte(byte: u8) -> Option<Purpose> {
        match byte {
            1 => Some(Purpose::Unsubscribe),
            2 => Some(Purpose::Preferences),
            3 => Some(Purpose::Confirm),
            _ => None,
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of ours: wrong length, alphabet, version or signature.
    #[error("this link is not valid: it may have been cut short or changed")]
    Invalid,
    /// A valid token for another kind of link.
    #[error("this link is for another page")]
    WrongPurpose,
    /// A valid token past its expiry.
    #[error("this link has expired")]
    Expired,
}

/// Signs tokens with one secret.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches a log.
        f.write_str("Signer { .. }")
    }
}

impl Signer {
    /// A signer for `secret` (any length; long and random in practice).
    pub fn new(secret: &[u8]) -> Signer {
        Signer { key: secret.to_vec() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of every length, so this never fails; the fallback key would only
        // make tokens that verify against nothing the operator signed.
        Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()))
    }

    /// The token of `purpose` for subscriber `id`, valid until `expires` (forever: `None`).
    pub fn sign(
        &self,
        purpose: Purpose,
        id: i64,
        expires: Option<DateTime<FixedOffset>>,
    ) -> String {
        let mut bytes = Vec::with_capacity(BODY_LEN + TAG_LEN);
        bytes.push(VERSION);
        bytes.push(purpose.byte());
        bytes.extend_from_slice(&id.to_be_bytes());
        let expiry =
            expires.map_or(0, |at| u32::try_from(at.timestamp().max(1)).unwrap_or(u32::MAX));
        bytes.extend_from_slice(&expiry.to_be_bytes());
        let mut mac = self.mac();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The subscriber id a token of `purpose` names, when it is ours, of that purpose and
    /// not expired at `now`.
    ///
    /// # Errors
    /// [`TokenError`] saying which of the three it is not.
    pub fn verify(
        &self,
        token: &str,
        purpose: Purpose,
        now: DateTime<FixedOffset>,
    ) -> Result<i64, TokenError> {
        if token.len() != TOKEN_LEN {
            return Err(TokenError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| TokenError::Invalid)?;
        let (body, tag) = bytes.split_at_checked(BODY_LEN).ok_or(TokenError::Invalid)?;
        if tag.len() != TAG_LEN || body[0] != VERSION {
            return Err(TokenError::Invalid);
        }
        let mut mac = self.mac();
        mac.update(body);
        mac.verify_truncated_left(tag).map_err(|_| TokenError::Invalid)?;
        if Purpose::from_byte(body[1]) != Some(purpose) {
            return Err(TokenError::WrongPurpose);
        }
        let id = i64::from_be_bytes(body[2..10].try_into().map_err(|_| TokenError::Invalid)?);
        let expiry = u32::from_be_bytes(body[10..14].try_into().map_err(|_| TokenError::Invalid)?);
        if expiry != 0 && now.timestamp() >= i64::from(expiry) {
            return Err(TokenError::Expired);
        }
        Ok(id)
    }
}

/// The lower-case base32 alphabet of VERP tokens (RFC 4648, lower-cased: some relays fold
/// the case of local parts).
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The length of a VERP token, in characters.
pub const VERP_LEN: usize = 24;

impl Signer {
    /// The token of a return path (`bounces+TOKEN@…`): subscriber `id` and the edition's
    /// `date`, signed; 15 bytes in lower-case base32, 24 characters.
    pub fn sign_verp(&self, id: i64, date: chrono::NaiveDate) -> String {
        let mut bytes = Vec::with_capacity(15);
        bytes.extend_from_slice(&id.to_be_bytes()[3..]);
        bytes.extend_from_slice(&verp_day(date).to_be_bytes());
        let mut mac = self.mac();
        mac.update(b"verp");
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes()[..8]);
        base32(&bytes)
    }

    /// The subscriber id and date a VERP token names, when it is ours.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for anything else (a forged or mangled token).
    pub fn verify_verp(&self, token: &str) -> Result<(i64, chrono::NaiveDate), TokenError> {
        let bytes = unbase32(&token.to_ascii_lowercase()).ok_or(TokenError::Invalid)?;
        if bytes.len() != 15 {
            return Err(TokenError::Invalid);
        }
        let (body, tag) = bytes.split_at(7);
        let mut mac = self.mac();
        mac.update(b"verp");
        mac.update(body);
        mac.verify_truncated_left(tag).map_err(|_| TokenError::Invalid)?;
        let mut id = [0u8; 8];
        id[3..].copy_from_slice(&body[..5]);
        let day = u16::from_be_bytes([body[5], body[6]]);
        let date = VERP_EPOCH
            .checked_add_days(chrono::Days::new(u64::from(day)))
            .ok_or(TokenError::Invalid)?;
        Ok((i64::from_be_bytes(id), date))
    }
}

/// Days are counted from 2020-01-01 (two bytes last until 2199).
const VERP_EPOCH: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2020, 1, 1) {
    Some(date) => date,
    None => chrono::NaiveDate::MIN,
};

fn verp_day(date: chrono::NaiveDate) -> u16 {
    u16::try_from((date - VERP_EPOCH).num_days().max(0)).unwrap_or(u16::MAX)
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0);
    for ch in text.bytes() {
        let value = BASE32.iter().position(|&c| c == ch)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn tokens_are_fixed_length_opaque_and_verified() {
        let signer = Signer::new(b"a long random secret");
        let now = at("2026-11-30T08:00:00Z");
        for id in [1, 42, i64::MAX] {
            let token = signer.sign(Purpose::Unsubscribe, id, None);
            assert_eq!(token.len(), TOKEN_LEN, "{token}");
            assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            assert_eq!(signer.verify(&token, Purpose::Unsubscribe, now), Ok(id));
            // A year and more later, an unsubscribe link still works.
            assert_eq!(
                signer.verify(&token, Purpose::Unsubscribe, at("2031-01-01T00:00:00Z")),
                Ok(id)
            );
            assert_eq!(
                signer.verify(&token, Purpose::Preferences, now),
                Err(TokenError::WrongPurpose)
            );
        }
    }

    #[test]
    fn verp_tokens_round_trip_and_refuse_forgeries() {
        let signer = Signer::new(b"secret");
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let token = signer.sign_verp(123_456, date);
        assert_eq!(token.len(), VERP_LEN);
        assert!(token.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(signer.verify_verp(&token), Ok((123_456, date)));
        assert_eq!(signer.verify_verp(&token.to_uppercase()), Ok((123_456, date)), "case folded");
        assert_eq!(Signer::new(b"other").verify_verp(&token), Err(TokenError::Invalid));
        let mut forged: Vec<char> = token.chars().collect();
        forged[3] = if forged[3] == 'a' { 'b' } else { 'a' };
        assert_eq!(
            signer.verify_verp(&forged.into_iter().collect::<String>()),
            Err(TokenError::Invalid)
        );
        assert_eq!(signer.verify_verp("not-a-token"), Err(TokenError::Invalid));
        assert_eq!(signer.verify_verp(""), Err(TokenError::Invalid));
    }

    #[test]
    fn forged_changed_and_expired_tokens_are_refused() {
        let signer = Signer::new(b"secret one");
        let now = at("2026-11-30T08:00:00Z");
        let token = signer.sign(Purpose::Confirm, 7, Some(at("2026-12-02T08:00:00Z")));
        assert_eq!(signer.verify(&token, Purpose::Confirm, now), Ok(7));
        assert_eq!(
            signer.verify(&token, Purpose::Confirm, at("2026-12-02T08:00:00Z")),
            Err(TokenError::Expired)
        );
        // Another secret, one changed character, a cut token, junk.
        let other = Signer::new(b"secret two");
        assert_eq!(other.verify(&token, Purpose::Confirm, now), Err(TokenError::Invalid));
        let mut chars: Vec<char> = token.chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        let changed: String = chars.into_iter().collect();
        assert_eq!(signer.verify(&changed, Purpose::Confirm, now), Err(TokenError::Invalid));
        assert_eq!(signer.verify(&token[..39], Purpose::Confirm, now), Err(TokenError::Invalid));
        assert_eq!(signer.verify(&"!".repeat(40), Purpose::Confirm, now), Err(TokenError::Invalid));
        assert_eq!(signer.verify("", Purpose::Confirm, now), Err(TokenError::Invalid));
        // Another subscriber's id under the same signature.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[9] ^= 1;
        let moved = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(signer.verify(&moved, Purpose::Confirm, now), Err(TokenError::Invalid));
        assert_eq!(format!("{signer:?}"), "Signer { .. }");
    }
}
