//! One subscriber's message: the frozen edition's text and HTML with the subscriber's own
//! unsubscribe link, and the headers a list mail needs.
//!
//! Headers: From, Reply-To, To (with the name), Subject (RFC 2047 by lettre when not ASCII),
//! Date, a Message-ID derived from the edition and the address (a resend is recognisable),
//! List-Id, List-Unsubscribe (`mailto:` and, when configured, an https URL with an HMAC
//! token) and List-Unsubscribe-Post (RFC 8058). Control characters never reach a header:
//! every value from config or articles is normalised first. Optional DKIM signature.
//! No I/O apart from reading the DKIM key once.

use chrono::{DateTime, FixedOffset, NaiveDate};
use hmac::{Hmac, Mac};
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig as LettreDkim, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart};
use sha2::{Digest as _, Sha256};
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::{DeliveryConfig, DkimAlgorithm};
use crate::ledger::StoredEdition;

/// Stands for the subscriber's unsubscribe link in a stored edition's HTML and text.
///
/// Only letters and `-`, so HTML escaping and CSS inlining leave it as it is.
pub const UNSUBSCRIBE_MARKER: &str = "newsdigest-unsubscribe-link-marker";

/// Stands for the subscriber's preferences link ("Manage topics"), like
/// [`UNSUBSCRIBE_MARKER`].
pub const PREFERENCES_MARKER: &str = "newsdigest-preferences-link-marker";

/// Reads the secret of personal link tokens: the first line of
/// `delivery.unsubscribe_secret_file` when set, else the environment variable
/// `delivery.unsubscribe_secret_env`; `None` when neither holds one.
///
/// # Errors
/// When the file is set but cannot be read; the message names it.
pub fn read_secret(config: &DeliveryConfig) -> Result<Option<String>, String> {
    let source = match &config.unsubscribe_secret_file {
        Some(path) => crate::config::SecretSource::File(path.clone()),
        None => crate::config::SecretSource::Env(config.unsubscribe_secret_env.clone()),
    };
    source.read().map_err(|reason| format!("the token secret file: {reason}"))
}

/// Why a message could not be composed or the composer set up.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// lettre refused the message.
    #[error("cannot build the message for {to}: {source}")]
    Build {
        /// The recipient.
        to: String,
        /// lettre's reason.
        source: lettre::error::Error,
    },
    /// The DKIM key could not be read or parsed.
    #[error("DKIM key `{path}`: {reason}")]
    DkimKey {
        /// The key file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An unsubscribe URL or the web service is configured but the secret is missing.
    #[error(
        "personal links (`web.base_url`, `delivery.unsubscribe_url`) need a secret for their tokens: set the environment variable `{0}` or `delivery.unsubscribe_secret_file` (any long random string, kept the same across runs)"
    )]
    MissingSecret(String),
}

/// Builds every subscriber's message from a stored edition.
pub struct Composer {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    list_id: String,
    unsubscribe_url: Option<String>,
    unsubscribe_email: String,
    secret: Option<Vec<u8>>,
    /// `web.base_url`, with the signer of its personal links.
    web: Option<(String, crate::token::Signer)>,
    /// `delivery.bounce_address`, with the signer of its VERP tokens.
    bounce: Option<(lettre::Address, crate::token::Signer)>,
    dkim: Option<LettreDkim>,
    /// Each edition's encoded body, built on first use.
    templates: Mutex<Vec<Arc<Template>>>,
    /// The List-Id header's value: the list's name and id.
    list_id_header: String,
}

impl std::fmt::Debug for Composer {
    // Hand-written so the secret and the key never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer")
            .field("from", &self.from)
            .field("list_id", &self.list_id)
            .field("unsubscribe_url", &self.unsubscribe_url)
            .field("dkim", &self.dkim.is_some())
            .finish_non_exhaustive()
    }
}

/// A composed message and its sizes.
#[derive(Debug)]
pub struct Composed {
    /// Bytes of the whole message as sent.
    pub bytes: Vec<u8>,
    /// Bytes of the HTML part before transfer encoding (what Gmail's clipping counts).
    pub html_bytes: usize,
    /// The SMTP envelope: the From address, or the VERP return path, to the recipient.
    pub envelope: lettre::address::Envelope,
}

impl Composer {
    /// Sets up a composer; `secret` is the unsubscribe secret read from the environment.
    ///
    /// # Errors
    /// [`ComposeError`] when the DKIM key cannot be read, or an unsubscribe URL is configured
    /// without a secret.
    pub fn new(
        config: &DeliveryConfig,
        base_url: Option<&str>,
        secret: Option<String>,
    ) -> Result<Composer, ComposeError> {
        let secret = secret.filter(|secret| !secret.is_empty()).map(String::into_bytes);
        let needs_secret = config.unsubscribe_url.is_some()
            || base_url.is_some()
            || config.bounce_address.is_some();
        if needs_secret && secret.is_none() {
            return Err(ComposeError::MissingSecret(config.unsubscribe_secret_env.clone()));
        }
        let bounce = config
            .bounce_address
            .clone()
            .zip(secret.as_deref())
            .map(|(address, secret)| (address, crate::token::Signer::new(secret)));
        let web = base_url.zip(secret.as_deref()).map(|(base, secret)| {
            (base.trim_end_matches('/').to_owned(), crate::token::Signer::new(secret))
        });
        let dkim = match &config.dkim {
            None => None,
            Some(dkim) => {
                let path = dkim.key_file.display().to_string();
                let pem = std::fs::read_to_string(&dkim.key_file).map_err(|err| {
                    ComposeError::DkimKey { path: path.clone(), reason: err.to_string() }
                })?;
                let algorithm = match dkim.algorithm {
                    DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
                    DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
                };
                let key = DkimSigningKey::new(pem.trim(), algorithm).map_err(|err| {
                    ComposeError::DkimKey { path, reason: format!("not a usable key ({err})") }
                })?;
                // RFC 8058 asks that List-Unsubscribe and List-Unsubscribe-Post be signed.
                let headers = [
                    "From",
                    "To",
                    "Subject",
                    "Date",
                    "Message-ID",
                    "List-Id",
                    "List-Unsubscribe",
                    "List-Unsubscribe-Post",
                ]
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect();
                Some(LettreDkim::new(
                    dkim.selector.clone(),
                    dkim.domain.clone(),
                    key,
                    headers,
                    DkimCanonicalization {
                        header: DkimCanonicalizationType::Relaxed,
                        body: DkimCanonicalizationType::Relaxed,
                    },
                ))
            }
        };
        Ok(Composer {
            from: config.from.clone(),
            reply_to: config.reply_to.clone(),
            list_id: config.list_id.clone(),
            unsubscribe_url: config.unsubscribe_url.clone(),
            unsubscribe_email: config.unsubscribe_email.to_string(),
            secret,
            web,
            bounce,
            dkim,
            templates: Mutex::new(Vec::new()),
            list_id_header: format!("{} <{}>", list_name(&config.from), config.list_id),
        })
    }

    /// The subscriber's unsubscribe token (an HMAC-SHA256 of the lowercased address, 32 hex
    /// digits), when a secret is set.
    pub fn token(&self, email: &str) -> Option<String> {
        self.secret.as_deref().map(|secret| token(secret, email))
    }

    /// The subscriber's personal links on the web service, `(unsubscribe, preferences)`,
    /// when `web.base_url` is set and the ledger gave the subscriber an id.
    pub fn web_links(&self, subscriber: Option<i64>) -> Option<(String, String)> {
        use crate::token::Purpose;
        let (base, signer) = self.web.as_ref()?;
        let id = subscriber?;
        Some((
            format!("{base}/u/{}", signer.sign(Purpose::Unsubscribe, id, None)),
            format!("{base}/p/{}", signer.sign(Purpose::Preferences, id, None)),
        ))
    }

    /// The VERP return path `bounces+TOKEN@domain` naming the subscriber and the day, when
    /// `delivery.bounce_address` is set and the ledger gave the subscriber an id.
    pub fn return_path(&self, subscriber: Option<i64>, date: NaiveDate) -> Option<lettre::Address> {
        let (address, signer) = self.bounce.as_ref()?;
        let token = signer.sign_verp(subscriber?, date);
        lettre::Address::new(format!("{}+{token}", address.user()), address.domain()).ok()
    }

    /// The https unsubscribe link of `delivery.unsubscribe_url` (an operator's own page), when
    /// configured.
    pub fn unsubscribe_https(&self, email: &str) -> Option<String> {
        let base = self.unsubscribe_url.as_deref()?;
        let token = self.token(email)?;
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{separator}email={}&token={token}", percent_encode(email)))
    }

    /// The `mailto:` unsubscribe link. With the web service its subject carries the opaque
    /// unsubscribe token, never the address.
    pub fn unsubscribe_mailto(&self, email: &str, subscriber: Option<i64>) -> String {
        let subject = match (&self.web, subscriber) {
            (Some((_, signer)), Some(id)) => {
                format!("unsubscribe {}", signer.sign(crate::token::Purpose::Unsubscribe, id, None))
            }
            _ => {
                let mut subject = format!("unsubscribe {email}");
                if let Some(token) = self.token(email) {
                    subject.push(' ');
                    subject.push_str(&token);
                }
                subject
            }
        };
        format!("mailto:{}?subject={}", self.unsubscribe_email, percent_encode(&subject))
    }

    /// Builds the message of `edition` for `to`.
    ///
    /// Without DKIM, the edition's MIME body is encoded once (a `Template`) and each
    /// message copies it with the subscriber's links in their slots; with DKIM, lettre builds
    /// and signs each message whole.
    ///
    /// # Errors
    /// [`ComposeError::Build`] when lettre refuses it.
    pub fn compose(
        &self,
        edition: &StoredEdition,
        to: &Mailbox,
        subscriber: Option<i64>,
        message_id: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Composed, ComposeError> {
        let links = self.links(to, subscriber);
        let to = Mailbox::new(
            to.name.as_deref().map(|name| header_text(name, MAX_NAME_CHARS)),
            to.email.clone(),
        );
        let build_error = |source| ComposeError::Build { to: to.to_string(), source };
        // The envelope is given, so lettre need not parse it back out of the headers.
        let envelope =
            lettre::address::Envelope::new(Some(self.from.email.clone()), vec![to.email.clone()])
                .map_err(build_error)?;
        let (message, bytes, html_bytes) = match &self.dkim {
            None => {
                let template = self.template(edition);
                let builder = self.headers(&template.subject, &to, &links, message_id, now);
                let mut message = builder
                    .envelope(envelope)
                    .header(lettre::message::header::MIME_VERSION_1_0)
                    .header(template.content_type.clone())
                    .body(Vec::new())
                    .map_err(build_error)?;
                message.headers_mut().remove::<ContentTransferEncoding>();
                let mut bytes = message.headers().to_string().into_bytes();
                bytes.extend_from_slice(b"\r\n");
                let html_bytes = template.write_body(&links, &mut bytes);
                (message, bytes, html_bytes)
            }
            Some(dkim) => {
                let html = fill_slots(&edition.html, &links, true);
                let text = fill_slots(&edition.text, &links, false);
                let html_bytes = html.len();
                let subject = header_text(&edition.subject, MAX_SUBJECT_CHARS);
                let mut message = self
                    .headers(&subject, &to, &links, message_id, now)
                    .envelope(envelope)
                    .multipart(MultiPart::alternative_plain_html(text, html))
                    .map_err(build_error)?;
                message.sign(dkim);
                let bytes = message.formatted();
                (message, bytes, html_bytes)
            }
        };
        let mut envelope = message.envelope().clone();
        if let Some(return_path) = self.return_path(subscriber, edition.date) {
            envelope = lettre::address::Envelope::new(Some(return_path), envelope.to().to_vec())
                .map_err(build_error)?;
        }
        Ok(Composed { bytes, html_bytes, envelope })
    }

    /// The subscriber's links: the footer's unsubscribe link, the preferences link and the
    /// List-Unsubscribe header's value.
    fn links(&self, to: &Mailbox, subscriber: Option<i64>) -> Links {
        let email = to.email.to_string().to_lowercase();
        let web = self.web_links(subscriber);
        let https = match &web {
            Some((unsubscribe, _)) => Some(unsubscribe.clone()),
            None => self.unsubscribe_https(&email),
        };
        let mailto = self.unsubscribe_mailto(&email, subscriber);
        let list_unsubscribe = match &https {
            Some(url) => format!("<{url}>, <{mailto}>"),
            None => format!("<{mailto}>"),
        };
        Links {
            one_click: https.is_some(),
            // The footer's link opens the page with the button (GET never unsubscribes).
            unsubscribe: https.unwrap_or(mailto),
            // Without an id (a dry run of a new address) the preferences link has no page.
            preferences: web.map_or_else(|| "#preferences".to_owned(), |(_, p)| p),
            list_unsubscribe,
        }
    }

    /// The message's headers, up to the body's.
    fn headers(
        &self,
        subject: &str,
        to: &Mailbox,
        links: &Links,
        message_id: &str,
        now: DateTime<FixedOffset>,
    ) -> lettre::message::MessageBuilder {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(subject)
            .date(now.into())
            .message_id(Some(message_id.to_owned()))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Id"),
                self.list_id_header.clone(),
            ));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            links.list_unsubscribe.clone(),
        ));
        if links.one_click {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
        }
        builder
    }

    /// The edition's encoded body, built on first use and kept for the run.
    fn template(&self, edition: &StoredEdition) -> Arc<Template> {
        let mut templates = self.templates.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = templates.iter().find(|template| template.is_for(edition)) {
            return Arc::clone(found);
        }
        let template = Arc::new(Template::new(edition));
        templates.push(Arc::clone(&template));
        template
    }
}

/// One subscriber's links, as [`Composer::compose`] puts them in the message.
#[derive(Debug)]
struct Links {
    /// The footer's unsubscribe link: the https page, else the `mailto:`.
    unsubscribe: String,
    /// The preferences page.
    preferences: String,
    /// The List-Unsubscribe header's value.
    list_unsubscribe: String,
    /// True when List-Unsubscribe has an https URL (RFC 8058 one-click).
    one_click: bool,
}

impl Links {
    /// The link of `slot`, HTML-escaped for the HTML part.
    fn get(&self, slot: Slot, html: bool) -> std::borrow::Cow<'_, str> {
        let link = match slot {
            Slot::Unsubscribe => &self.unsubscribe,
            Slot::Preferences => &self.preferences,
        };
        if html { crate::text::escape_html(link).into() } else { link.into() }
    }
}

/// A personal link's place in an edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Unsubscribe,
    Preferences,
}

/// `text` cut at the link markers: the text before each marker and the marker's slot, then
/// the rest.
fn split_slots(text: &str) -> (Vec<(&str, Slot)>, &str) {
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let next =
            [(UNSUBSCRIBE_MARKER, Slot::Unsubscribe), (PREFERENCES_MARKER, Slot::Preferences)]
                .into_iter()
                .filter_map(|(marker, slot)| rest.find(marker).map(|at| (at, marker.len(), slot)))
                .min_by_key(|(at, _, _)| *at);
        let Some((at, len, slot)) = next else { return (pieces, rest) };
        pieces.push((&rest[..at], slot));
        rest = &rest[at + len..];
    }
}

/// `text` with the subscriber's links in place of the markers (HTML-escaped in HTML).
fn fill_slots(text: &str, links: &Links, html: bool) -> String {
    let (pieces, rest) = split_slots(text);
    let mut out = String::with_capacity(text.len() + 256);
    for (before, slot) in pieces {
        out.push_str(before);
        out.push_str(&links.get(slot, html));
    }
    out.push_str(rest);
    out
}

/// Quoted-printable, with CRLF line ends, as lettre encodes a body.
fn quoted_printable(text: &str) -> Vec<u8> {
    // Quoted-printable accepts any input, so lettre never gives the text back.
    Body::new_with_encoding(text.to_owned(), ContentTransferEncoding::QuotedPrintable)
        .map_or_else(|raw| raw, Body::into_vec)
}

/// Encoded bytes of a [`Template`], and the link slot that follows them (in the HTML part when
/// the flag is set).
type Piece = (Vec<u8>, Option<(Slot, bool)>);

/// An edition's MIME body (`multipart/alternative`, text then HTML, both quoted-printable),
/// encoded once with a slot at each personal link.
///
/// Quoted-printable lets a line break anywhere as a soft break (`=` at the end of a line),
/// which decoding removes: the text between two links is encoded once, and a message is the
/// pieces copied in order with each link, encoded on its own, between soft breaks. The
/// boundary starts with `=_`, which quoted-printable text cannot hold.
#[derive(Debug)]
struct Template {
    /// The edition it encodes.
    key: (NaiveDate, String, i64),
    /// `multipart/alternative` with the boundary.
    content_type: ContentType,
    /// The subject line, made safe for a header and cut to length.
    subject: String,
    /// The encoded pieces, and the slot that follows each.
    pieces: Vec<Piece>,
    /// Bytes of HTML outside the slots.
    html_bytes: usize,
}

impl Template {
    fn new(edition: &StoredEdition) -> Template {
        let mut hasher = Sha256::new();
        hasher.update(edition.text.as_bytes());
        hasher.update(edition.html.as_bytes());
        let hex: String =
            hasher.finalize().iter().take(12).map(|byte| format!("{byte:02x}")).collect();
        let boundary = format!("=_newsdigest_{hex}");
        let part = |kind: &str| {
            format!(
                "--{boundary}\r\nContent-Type: {kind}; charset=utf-8\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            )
            .into_bytes()
        };
        let mut pieces: Vec<Piece> = Vec::new();
        let mut html_bytes = 0;
        for (text, kind, html) in
            [(&edition.text, "text/plain", false), (&edition.html, "text/html", true)]
        {
            let mut head = match pieces.pop() {
                Some((mut tail, None)) => {
                    tail.extend_from_slice(b"\r\n");
                    tail
                }
                Some(other) => {
                    pieces.push(other);
                    b"\r\n".to_vec()
                }
                None => Vec::new(),
            };
            head.extend_from_slice(&part(kind));
            let (slotted, rest) = split_slots(text);
            for (before, slot) in slotted {
                head.extend_from_slice(&quoted_printable(before));
                pieces.push((std::mem::take(&mut head), Some((slot, html))));
                if html {
                    html_bytes += before.len();
                }
            }
            head.extend_from_slice(&quoted_printable(rest));
            pieces.push((head, None));
            if html {
                html_bytes += rest.len();
            }
        }
        if let Some((tail, _)) = pieces.last_mut() {
            tail.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        }
        #[allow(clippy::expect_used, reason = "a constant type and a boundary of [=_0-9a-z]")]
        let content_type =
            ContentType::parse(&format!("multipart/alternative; boundary=\"{boundary}\""))
                .expect("a valid multipart content type");
        Template {
            key: (edition.date, edition.digest.clone(), edition.id),
            content_type,
            subject: header_text(&edition.subject, MAX_SUBJECT_CHARS),
            pieces,
            html_bytes,
        }
    }

    fn is_for(&self, edition: &StoredEdition) -> bool {
        self.key.0 == edition.date && self.key.2 == edition.id && self.key.1 == edition.digest
    }

    /// Appends the body with `links` in the slots; returns the bytes of the HTML part before
    /// encoding.
    fn write_body(&self, links: &Links, out: &mut Vec<u8>) -> usize {
        let mut html_bytes = self.html_bytes;
        out.reserve(self.pieces.iter().map(|(piece, _)| piece.len() + 200).sum());
        for (piece, slot) in &self.pieces {
            out.extend_from_slice(piece);
            let Some((slot, html)) = slot else { continue };
            let link = links.get(*slot, *html);
            if *html {
                html_bytes += link.len();
            }
            out.extend_from_slice(b"=\r\n");
            out.extend_from_slice(&quoted_printable(&link));
            out.extend_from_slice(b"=\r\n");
        }
        html_bytes
    }
}

/// The Message-ID of `digest` on `date` for `email`: the same on every resend, so a
/// duplicate is recognisable.
pub fn message_id(date: NaiveDate, digest: &str, email: &str, from: &Mailbox) -> String {
    let mut hasher = Sha256::new();
    hasher.update(date.format("%Y-%m-%d").to_string().as_bytes());
    hasher.update(b"\0");
    hasher.update(digest.as_bytes());
    hasher.update(b"\0");
    hasher.update(email.to_lowercase().as_bytes());
    let hash = hasher.finalize();
    let hex: String = hash.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
    format!("<{}.{hex}@{}>", date.format("%Y%m%d"), from.email.domain())
}

/// The unsubscribe token of `email` under `secret`: HMAC-SHA256 of the lowercased address,
/// its first 16 bytes in hex.
pub fn token(secret: &[u8], email: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty tag would only make
    // every token invalid, never valid.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(email.trim().to_lowercase().as_bytes());
    mac.finalize().into_bytes().iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// A header value with control characters (CR, LF, tabs, …) turned into single spaces.
pub fn header_safe(value: &str) -> String {
    crate::text::normalize(value)
}

/// The longest display name in a header, in characters (the config refuses longer ones).
pub const MAX_NAME_CHARS: usize = 200;

/// The longest subject, in characters: headlines come from feeds, and no mail client shows
/// more.
pub const MAX_SUBJECT_CHARS: usize = 250;

/// [`header_safe`], cut to `max` characters (ending in `…` when cut), so that lettre's
/// folding keeps every line within RFC 5322's 998 octets and the header stays small.
fn header_text(value: &str, max: usize) -> String {
    let safe = header_safe(value);
    if safe.chars().count() <= max {
        return safe;
    }
    let mut cut: String = safe.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The list's display name for List-Id: the From name without characters that would end
/// the phrase.
fn list_name(from: &Mailbox) -> String {
    let name = from.name.as_deref().unwrap_or("newsdigest");
    header_safe(&name.replace(['<', '>', '"', '\\'], ""))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn edition() -> StoredEdition {
        StoredEdition {
            id: 1,
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            digest: "all".to_owned(),
            subject: "Digest — 26 Nov 2026: Café\r\nBcc: evil@example.com".to_owned(),
            html: format!("<p>news</p><a href=\"{UNSUBSCRIBE_MARKER}\">Unsubscribe</a>"),
            text: format!("news\nUnsubscribe: {UNSUBSCRIBE_MARKER}\n"),
            items: 1,
        }
    }

    fn config(extra: &str) -> DeliveryConfig {
        let text = format!(
            "[delivery]\nfrom = \"The Digest <digest@example.org>\"\nlist_id = \"digest.example.org\"\n{extra}"
        );
        Config::parse(&text, std::path::Path::new(".")).unwrap().delivery
    }

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-26T07:00:00+01:00").unwrap()
    }

    #[test]
    fn message_ids_are_stable_per_edition_and_address() {
        let from: Mailbox = "d@example.org".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let one = message_id(date, "all", "Ana@Example.org", &from);
        assert_eq!(one, message_id(date, "all", "ana@example.org", &from));
        assert_ne!(one, message_id(date, "all", "ben@example.org", &from));
        assert_ne!(one, message_id(date.succ_opt().unwrap(), "all", "ana@example.org", &from));
        assert!(one.starts_with("<20261126.") && one.ends_with("@example.org>"), "{one}");
    }

    #[test]
    fn tokens_are_hmacs_of_the_lowercased_address() {
        // RFC 4231 test case 2 key and data give 5bdcc146bf60754e6a042426089575c7…
        assert_eq!(
            token(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
        assert_eq!(token(b"k", "Ana@Example.org"), token(b"k", "ana@example.org"));
        assert_ne!(token(b"k", "ana@example.org"), token(b"other", "ana@example.org"));
    }

    #[test]
    fn headers_and_links_are_per_subscriber_and_injection_free() {
        let composer = Composer::new(
            &config("unsubscribe_url = \"https://example.org/u\"\n"),
            None,
            Some("s3cret".to_owned()),
        )
        .unwrap();
        let to = Mailbox::new(
            Some("Ana\r\nBcc: evil@example.com".to_owned()),
            "ana@example.org".parse().unwrap(),
        );
        let composed = composer.compose(&edition(), &to, None, "<id@example.org>", now()).unwrap();
        let raw = String::from_utf8(composed.bytes).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(!headers.lines().any(|line| line.starts_with("Bcc:")), "{headers}");
        let token = token(b"s3cret", "ana@example.org");
        let url = format!("https://example.org/u?email=ana%40example.org&token={token}");
        assert!(headers.contains(&format!("List-Unsubscribe: <{url}>,")), "{headers}");
        assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(headers.contains("List-Id: The Digest <digest.example.org>"), "{headers}");
        assert!(headers.contains("Message-ID: <id@example.org>"));
        assert!(headers.contains("Date: Thu, 26 Nov 2026 06:00:00 +0000"), "{headers}");
        assert!(composed.html_bytes > 0);
        assert!(!raw.contains(UNSUBSCRIBE_MARKER));
    }

    /// The template path (an edition encoded once, links copied into slots) gives the same
    /// text and HTML, decoded, as building each message whole.
    #[test]
    fn an_encoded_once_body_decodes_to_the_personal_text_and_html() {
        let composer = Composer::new(
            &config(""),
            Some("https://news.example.org/"),
            Some("s3cret".to_owned()),
        )
        .unwrap();
        let long = "Zoë über Zürich — 東京 ".repeat(40);
        let mut edition = edition();
        edition.html = format!(
            "<p>{long}</p>\n.<a href=\"{UNSUBSCRIBE_MARKER}\">Leave</a> \
             <a href=\"{PREFERENCES_MARKER}\">Topics</a>   \n<p>end={UNSUBSCRIBE_MARKER}</p>"
        );
        edition.text =
            format!("{long}\n.Leave: {UNSUBSCRIBE_MARKER}  \nTopics: {PREFERENCES_MARKER}");
        let to: Mailbox = "Ana <ana@example.org>".parse().unwrap();
        let composed =
            composer.compose(&edition, &to, Some(42), "<id@example.org>", now()).unwrap();
        let links = composer.links(&to, Some(42));
        assert!(links.preferences.starts_with("https://news.example.org/p/"), "{links:?}");
        let (html, text) =
            (fill_slots(&edition.html, &links, true), fill_slots(&edition.text, &links, false));
        assert!(html.contains("&amp;") || !links.unsubscribe.contains('&'));

        let parsed = mail_parser::MessageParser::default().parse(&composed.bytes).unwrap();
        assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n"), text);
        assert_eq!(parsed.body_html(0).unwrap().replace("\r\n", "\n"), html);
        assert_eq!(composed.html_bytes, html.len());
        let raw = String::from_utf8(composed.bytes).unwrap();
        let (headers, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(headers.contains("MIME-Version: 1.0\r\nContent-Type: multipart/alternative;"));
        assert!(!headers.contains("Content-Transfer-Encoding"), "{headers}");
        assert!(body.split("\r\n").all(|line| line.len() <= 78), "quoted-printable lines");
        assert!(!raw.contains(UNSUBSCRIBE_MARKER) && !raw.contains(PREFERENCES_MARKER));

        // A second message of the same edition reuses the template, with its own links.
        let ben: Mailbox = "ben@example.org".parse().unwrap();
        let other = composer.compose(&edition, &ben, Some(7), "<id2@example.org>", now()).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&other.bytes).unwrap();
        let links = composer.links(&ben, Some(7));
        assert_eq!(
            parsed.body_text(0).unwrap().replace("\r\n", "\n"),
            fill_slots(&edition.text, &links, false)
        );
        assert_eq!(composer.templates.lock().unwrap().len(), 1);
    }

    /// See issue 8, failure 8: a 1 MB name gave a header line the relay refused (`500 Line
    /// too long`). Every header line stays within RFC 5322's 998 octets, whatever the input.
    #[test]
    fn r8_header_lines_stay_within_998_octets() {
        let composer = Composer::new(
            &config("unsubscribe_url = \"https://example.org/u\"\n"),
            None,
            Some("s3cret".to_owned()),
        )
        .unwrap();
        let mut edition = edition();
        for (name, subject) in [
            ("Ana ".repeat(250_000), "Storm ".repeat(2_000)),
            ("Zoë ".repeat(5_000), "Orkan über Zürich ".repeat(500)),
            ("x".repeat(5_000), "y".repeat(5_000)),
        ] {
            edition.subject = subject;
            let to = Mailbox::new(Some(name), "ana@example.org".parse().unwrap());
            let composed =
                composer.compose(&edition, &to, None, "<id@example.org>", now()).unwrap();
            let raw = String::from_utf8(composed.bytes).unwrap();
            let headers = raw.split("\r\n\r\n").next().unwrap();
            let longest = headers.split("\r\n").map(str::len).max().unwrap();
            assert!(longest <= 998, "a header line of {longest} octets");
            assert!(headers.len() < 8_000, "{} octets of headers", headers.len());
        }
    }

    #[test]
    fn without_a_url_the_footer_links_the_mailto() {
        let composer = Composer::new(&config(""), None, None).unwrap();
        assert_eq!(
            composer.unsubscribe_mailto("ana@example.org", None),
            "mailto:digest@example.org?subject=unsubscribe%20ana%40example.org"
        );
        let to: Mailbox = "ana@example.org".parse().unwrap();
        let composed = composer.compose(&edition(), &to, None, "<id@example.org>", now()).unwrap();
        let raw = String::from_utf8(composed.bytes).unwrap();
        assert!(!raw.contains("List-Unsubscribe-Post"), "no one-click without https");
    }

    #[test]
    fn a_url_without_its_secret_is_refused() {
        let err =
            Composer::new(&config("unsubscribe_url = \"https://example.org/u\"\n"), None, None)
                .unwrap_err();
        assert!(err.to_string().contains("NEWSDIGEST_UNSUBSCRIBE_SECRET"), "{err}");
    }

    #[test]
    fn dkim_signs_the_list_headers() {
        let dir = tempfile::tempdir().unwrap();
        // Any 32 bytes are an Ed25519 private key; lettre reads them base64-encoded.
        std::fs::write(
            dir.path().join("dkim.key"),
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n",
        )
        .unwrap();
        let text = "[delivery]\nfrom = \"d@example.org\"\n[delivery.dkim]\nkey_file = \"dkim.key\"\n\
                    selector = \"news\"\nalgorithm = \"ed25519\"\n";
        let config = Config::parse(text, dir.path()).unwrap().delivery;
        let composer = Composer::new(&config, None, None).unwrap();
        let to: Mailbox = "ana@example.org".parse().unwrap();
        let composed = composer.compose(&edition(), &to, None, "<id@example.org>", now()).unwrap();
        let raw = String::from_utf8(composed.bytes).unwrap();
        let signature: String = raw
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .replace("\r\n ", " ")
            .lines()
            .find(|line| line.starts_with("DKIM-Signature:"))
            .unwrap()
            .to_owned();
        for part in ["a=ed25519-sha256", "d=example.org", "s=news", "list-unsubscribe"] {
            assert!(signature.to_ascii_lowercase().contains(part), "{part}: {signature}");
        }
    }

    #[test]
    fn a_bad_dkim_key_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dkim.pem"), "not a key").unwrap();
        let text = "[delivery]\nfrom = \"d@example.org\"\n[delivery.dkim]\nkey_file = \"dkim.pem\"\n\
                    selector = \"news\"\n";
        let config = Config::parse(text, dir.path()).unwrap().delivery;
        let err = Composer::new(&config, None, None).unwrap_err().to_string();
        assert!(
            err.starts_with("DKIM key `") && err.contains("dkim.pem`: not a usable key"),
            "{err}"
        );
    }
}
