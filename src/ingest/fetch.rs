//! HTTP for feeds and linked pages: reqwest with rustls, timeouts, at most 5 redirects (each
//! checked by [`super::guard`], as is every link found in content), a body size cap, gzip, a
//! User-Agent naming newsdigest, conditional GET, and at most `concurrency` requests in
//! flight with one at a time per host.
//!
//! A failure is a [`FetchError`] with a category (`dns`, `tls`, `http-404`, `timeout`, …) and
//! the reason in words; it never stops other fetches. Charsets are decoded here too, from the
//! HTTP header, the XML prolog or a BOM, since the parsers want UTF-8.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, TimeDelta};
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    LOCATION, RETRY_AFTER,
};
use tokio::sync::Semaphore;

use super::codepages;
use super::guard::{AddressPolicy, GuardedResolver};
use crate::config::FetchConfig;

/// The User-Agent of every request.
pub const USER_AGENT: &str = concat!("newsdigest/", env!("CARGO_PKG_VERSION"), " (feed reader)");

/// Why a fetch failed, as a category for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCategory {
    /// The host name did not resolve.
    Dns,
    /// The connection was refused or reset.
    Connect,
    /// The TLS handshake or certificate failed.
    Tls,
    /// Connect or request timeout.
    Timeout,
    /// More than 5 redirects, or a redirect to something other than http(s).
    Redirects,
    /// 404.
    NotFound,
    /// 410: the feed is gone for good.
    Gone,
    /// 429 (with Retry-After, when given).
    RateLimited,
    /// Another 4xx.
    ClientError,
    /// 5xx.
    ServerError,
    /// Over `max_bytes`.
    TooLarge,
    /// Not a feed (an HTML page, an image, …).
    NotAFeed,
    /// Malformed XML or JSON with nothing readable.
    Malformed,
    /// A local file could not be read.
    File,
    /// Refused by the address checks: a link from content to a private network, or a
    /// scheme other than http and https.
    Blocked,
    /// A parser failed where it never should (a panic caught): a bug to report.
    Internal,
}

impl FailureCategory {
    /// The category's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureCategory::Dns => "dns",
            FailureCategory::Connect => "connect",
            FailureCategory::Tls => "tls",
            FailureCategory::Timeout => "timeout",
            FailureCategory::Redirects => "redirects",
            FailureCategory::NotFound => "http-404",
            FailureCategory::Gone => "http-410",
            FailureCategory::RateLimited => "http-429",
            FailureCategory::ClientError => "http-4xx",
            FailureCategory::ServerError => "http-5xx",
            FailureCategory::TooLarge => "too-large",
            FailureCategory::NotAFeed => "not-a-feed",
            FailureCategory::Malformed => "malformed",
            FailureCategory::File => "file",
            FailureCategory::Blocked => "blocked",
            FailureCategory::Internal => "internal",
        }
    }
}

/// A failed fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// What kind of failure.
    pub category: FailureCategory,
    /// What happened, in words.
    pub reason: String,
    /// The server's Retry-After header (429, 503), as sent.
    pub retry_after: Option<String>,
}

impl FetchError {
    /// A failure of `category`.
    pub fn new(category: FailureCategory, reason: impl Into<String>) -> Self {
        FetchError { category, reason: reason.into(), retry_after: None }
    }

    /// When the server asked to be left alone until, from its Retry-After header (seconds
    /// or an HTTP date), capped at a week.
    pub fn retry_until(&self, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        let value = self.retry_after.as_deref()?.trim();
        let until = match value.parse::<i64>() {
            Ok(seconds) => now + TimeDelta::seconds(seconds.max(0)),
            Err(_) => DateTime::parse_from_rfc2822(value).ok()?,
        };
        Some(until.min(now + TimeDelta::days(7)))
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.reason, self.category.name())
    }
}

/// ETag and Last-Modified of an earlier response, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The ETag.
    pub etag: Option<String>,
    /// The Last-Modified date, as sent.
    pub last_modified: Option<String>,
}

/// A successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A body.
    Body {
        /// The body, decompressed.
        bytes: Vec<u8>,
        /// The Content-Type header.
        content_type: Option<String>,
        /// The URL after redirects.
        url: String,
        /// The response's validators.
        validators: Validators,
    },
    /// 304: unchanged since the validators were given.
    NotModified,
}

/// Whose URL a fetch follows, which decides the address checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// A URL the operator wrote in `[[sources]]`: fetched as written (a `localhost` feed is
    /// fine), though its redirects are checked.
    Operator,
    /// A link found in a feed or a page: checked, and so is every redirect.
    Content,
}

/// The HTTP client shared by every fetch of a run.
#[derive(Debug)]
pub struct Fetcher {
    /// For the operator's own URLs: the system resolver.
    trusted: reqwest::Client,
    /// For everything else: the guarded resolver, and no proxy (so the checks see the
    /// address that is really connected to).
    guarded: reqwest::Client,
    policy: Arc<AddressPolicy>,
    timeout: std::time::Duration,
    max_bytes: usize,
    slots: Arc<Semaphore>,
    hosts: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Fetcher {
    /// Builds the client.
    ///
    /// # Errors
    /// When the TLS setup fails.
    pub fn new(config: &FetchConfig) -> Result<Fetcher, String> {
        // reqwest is built without a bundled crypto provider; rustls takes ring, the one
        // lettre already uses. A second call finds it installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let policy = Arc::new(AddressPolicy::new(&config.allow_private));
        // Redirects are followed by `get` itself, so that each hop is checked.
        let builder = || {
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .redirect(reqwest::redirect::Policy::none())
        };
        let trusted = builder().build().map_err(|err| format!("cannot set up HTTP: {err}"))?;
        let guarded = builder()
            .no_proxy()
            .dns_resolver(GuardedResolver::new(Arc::clone(&policy)))
            .build()
            .map_err(|err| format!("cannot set up HTTP: {err}"))?;
        Ok(Fetcher {
            trusted,
            guarded,
            policy,
            timeout: config.timeout,
            max_bytes: config.max_bytes,
            slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
            hosts: Mutex::new(BTreeMap::new()),
        })
    }

    /// The largest body accepted (`fetch.max_bytes`), which also caps local feed files.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// GETs `url`, conditionally when `validators` are given, following at most
    /// [`MAX_REDIRECTS`] redirects, each checked as [`Trust::Content`]. The whole request,
    /// redirects and body included, is bounded by `fetch.timeout`.
    ///
    /// # Errors
    /// [`FetchError`] with its category.
    pub async fn get(
        &self,
        url: &str,
        validators: Option<&Validators>,
        trust: Trust,
    ) -> Result<Fetched, FetchError> {
        let host = host_of(url);
        let host_lock = match self.hosts.lock() {
            Ok(mut hosts) => Arc::clone(hosts.entry(host).or_default()),
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        };
        // One request at a time per host, and `concurrency` in all.
        let _host_turn = host_lock.lock().await;
        let _slot =
            self.slots.acquire().await.map_err(|_| {
                FetchError::new(FailureCategory::Connect, "the fetcher was shut down")
            })?;
        match tokio::time::timeout(self.timeout, self.follow(url, validators, trust)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::new(
                FailureCategory::Timeout,
                format!("no complete answer within fetch.timeout ({:?})", self.timeout),
            )),
        }
    }

    async fn follow(
        &self,
        url: &str,
        validators: Option<&Validators>,
        trust: Trust,
    ) -> Result<Fetched, FetchError> {
        let mut current = reqwest::Url::parse(url).map_err(|err| {
            FetchError::new(FailureCategory::Blocked, format!("`{url}` is not a URL: {err}"))
        })?;
        let mut redirects = 0;
        let mut response = loop {
            let trusted = redirects == 0 && trust == Trust::Operator;
            if !trusted {
                self.policy.check_url(&current).map_err(|blocked| {
                    let reason = match redirects {
                        0 => blocked.to_string(),
                        _ => format!("a redirect to {current}: {blocked}"),
                    };
                    FetchError::new(FailureCategory::Blocked, reason)
                })?;
            }
            let client = if trusted { &self.trusted } else { &self.guarded };
            let response = client
                .get(current.clone())
                .headers(conditional_headers(validators))
                .send()
                .await
                .map_err(|err| classify(&err))?;
            let status = response.status();
            if !status.is_redirection() || status == reqwest::StatusCode::NOT_MODIFIED {
                break response;
            }
            let Some(location) =
                response.headers().get(LOCATION).and_then(|value| value.to_str().ok())
            else {
                return Err(FetchError::new(
                    FailureCategory::Redirects,
                    format!("HTTP {} without a Location header", status.as_u16()),
                ));
            };
            let next = current.join(location.trim()).map_err(|err| {
                FetchError::new(
                    FailureCategory::Redirects,
                    format!("a redirect to `{location}`, which is not a URL: {err}"),
                )
            })?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::new(
                    FailureCategory::Redirects,
                    format!("a redirect to `{next}` is not followed: only http and https are"),
                ));
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(FetchError::new(
                    FailureCategory::Redirects,
                    format!("more than {MAX_REDIRECTS} redirects (the last to {next})"),
                ));
            }
            current = next;
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(status_error(status, response.headers()));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let new_validators =
            Validators { etag: header(ETAG), last_modified: header(LAST_MODIFIED) };
        if let Some(length) = response.content_length()
            && length > self.max_bytes as u64
        {
            return Err(too_large(self.max_bytes, Some(length)));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| classify(&err))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > self.max_bytes {
                return Err(too_large(self.max_bytes, None));
            }
        }
        Ok(Fetched::Body {
            bytes,
            content_type,
            url: current.to_string(),
            validators: new_validators,
        })
    }
}

/// Redirects followed before a fetch fails with `redirects`.
pub const MAX_REDIRECTS: usize = 5;

fn conditional_headers(validators: Option<&Validators>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(validators) = validators {
        if let Some(etag) = validators.etag.as_deref().and_then(header_value) {
            headers.insert(IF_NONE_MATCH, etag);
        }
        if let Some(date) = validators.last_modified.as_deref().and_then(header_value) {
            headers.insert(IF_MODIFIED_SINCE, date);
        }
    }
    headers
}

fn header_value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

fn too_large(max: usize, length: Option<u64>) -> FetchError {
    let size = length.map_or_else(|| "more".to_owned(), |n| format!("{n} bytes"));
    FetchError::new(
        FailureCategory::TooLarge,
        format!("the body is {size}, over fetch.max_bytes = {max}"),
    )
}

fn status_error(status: reqwest::StatusCode, headers: &HeaderMap) -> FetchError {
    let code = status.as_u16();
    let reason = status.canonical_reason().unwrap_or("");
    let category = match code {
        404 => FailureCategory::NotFound,
        410 => FailureCategory::Gone,
        429 => FailureCategory::RateLimited,
        400..=499 => FailureCategory::ClientError,
        _ => FailureCategory::ServerError,
    };
    let mut text = format!("HTTP {code} {reason}").trim_end().to_owned();
    if code == 410 {
        text.push_str(": the feed is gone; remove the source");
    }
    let retry_after =
        headers.get(RETRY_AFTER).and_then(|value| value.to_str().ok()).map(str::to_owned);
    if let Some(retry_after) = &retry_after {
        text.push_str(&format!(", Retry-After: {retry_after}"));
    }
    FetchError { category, reason: text, retry_after }
}

/// Sorts a reqwest error by what the user can do about it.
fn classify(err: &reqwest::Error) -> FetchError {
    let chain = crate::text::error_chain(err);
    let lower = chain.to_ascii_lowercase();
    if let Some(blocked) = super::guard::blocked_in(err) {
        return FetchError::new(FailureCategory::Blocked, blocked.to_string());
    }
    let category = if err.is_timeout() {
        FailureCategory::Timeout
    } else if is_tls_error(err) {
        FailureCategory::Tls
    } else if err.is_redirect() {
        FailureCategory::Redirects
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        FailureCategory::Dns
    } else if ["certificate", "tls", "handshake", "received corrupt message"]
        .iter()
        .any(|term| lower.contains(term))
    {
        FailureCategory::Tls
    } else {
        FailureCategory::Connect
    };
    FetchError::new(category, chain)
}

/// True when a rustls error is somewhere in the chain (a bad certificate, a server that does
/// not speak TLS, a failed handshake).
fn is_tls_error(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The host (and port) of a URL, for the one-request-per-host rule.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest).to_ascii_lowercase()
}

/// Decodes a feed's bytes to UTF-8 text, in RFC 7303's order: a byte order mark, then the
/// charset of the HTTP Content-Type, then the XML declaration's `encoding`. Without any of
/// them: UTF-16 or UTF-32 without a BOM is recognised by the shape of its first `<`; valid
/// UTF-8 is UTF-8; anything else is a legacy encoding sniffed by chardetng (Firefox's
/// detector: KOI8-R, EUC-JP, Shift_JIS, GB18030, Big5, EUC-KR, windows-125x, …). The
/// declaration is rewritten to say nothing of an encoding. Returns the text and whether
/// bytes had to be replaced.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, bool) {
    if let Some((text, lossy)) = decode_utf32(bytes) {
        return (strip_prolog_encoding(&text), lossy);
    }
    let header_label = content_type.and_then(|value| {
        value.split(';').skip(1).find_map(|param| {
            let (key, value) = param.split_once('=')?;
            (key.trim().eq_ignore_ascii_case("charset"))
                .then(|| value.trim().trim_matches('"').to_owned())
        })
    });
    let from_header = header_label.as_deref().and_then(encoding_for_label);
    if encoding_rs::Encoding::for_bom(bytes).is_none() {
        // A code page encoding_rs lacks (EBCDIC, a DOS or another Mac code page), named where
        // a WHATWG encoding could not be, or an EBCDIC document told by its first bytes.
        let legacy = match (&from_header, header_label) {
            (None, Some(label)) => codepages::for_label(&label),
            (None, None) => codepages::ebcdic(bytes).or_else(|| {
                prolog_label(bytes)
                    .filter(|label| encoding_for_label(label).is_none())
                    .and_then(|label| codepages::for_label(&label))
            }),
            _ => None,
        };
        if let Some(code_page) = legacy {
            let (text, lossy) = codepages::decode(bytes, code_page);
            return (strip_prolog_encoding(&text), lossy);
        }
    }
    let (encoding, body) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom)) => (encoding, &bytes[bom..]),
        None => {
            let encoding = from_header
                .or_else(|| utf16_without_bom(bytes))
                // A declaration read as ASCII cannot be a UTF-16 document's.
                .or_else(|| prolog_encoding(bytes).filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE))
                .unwrap_or_else(|| sniff(bytes));
            (encoding, bytes)
        }
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    (strip_prolog_encoding(&text), had_errors)
}

/// UTF-8 when `bytes` are valid UTF-8, else the legacy encoding chardetng finds likeliest.
fn sniff(bytes: &[u8]) -> &'static encoding_rs::Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    detector.guess(None, false)
}

/// UTF-16 without a BOM, told by the document's first character, `<`, with a zero byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match bytes.get(..4)? {
        [b'<', 0, c, 0] if *c != 0 => Some(encoding_rs::UTF_16LE),
        [0, b'<', 0, c] if *c != 0 => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// UTF-32, with or without a BOM (encoding_rs has no UTF-32 decoder): the text and whether
/// code points had to be replaced, or `None` when `bytes` are not UTF-32.
fn decode_utf32(bytes: &[u8]) -> Option<(String, bool)> {
    let big_endian = match bytes.get(..4)? {
        [0, 0, 0xFE, 0xFF] | [0, 0, 0, b'<'] => true,
        [0xFF, 0xFE, 0, 0] | [b'<', 0, 0, 0] => false,
        _ => return None,
    };
    let mut lossy = false;
    let text: String = bytes
        .chunks(4)
        .filter_map(|chunk| {
            let unit: [u8; 4] = chunk.try_into().ok()?;
            let code = if big_endian { u32::from_be_bytes(unit) } else { u32::from_le_bytes(unit) };
            let ch = char::from_u32(code).unwrap_or_else(|| {
                lossy = true;
                char::REPLACEMENT_CHARACTER
            });
            (ch != '\u{FEFF}').then_some(ch)
        })
        .collect();
    Some((text, lossy))
}

/// Decodes an HTML page: the charset from the HTTP header when it names one, else a BOM,
/// UTF-8, or the page's `<meta charset>`, as for HTML files.
pub fn decode_page(bytes: &[u8], content_type: Option<&str>) -> (String, bool) {
    let named = content_type.is_some_and(|value| value.to_ascii_lowercase().contains("charset="));
    if named { decode(bytes, content_type) } else { super::files::decode(bytes, true) }
}

fn prolog_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    encoding_for_label(&prolog_label(bytes)?)
}

/// The WHATWG encoding a label names, also in the spellings feeds use that the WHATWG
/// list lacks (`windows_1251`, `macroman`, `mac-cyrillic`, `ms-cyrl`).
fn encoding_for_label(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let label = label.trim().to_ascii_lowercase().replace('_', "-");
    let label = match label.as_str() {
        "macroman" | "mac-roman" => "macintosh",
        "maccyrillic" | "mac-cyrillic" => "x-mac-cyrillic",
        "ms-cyrl" => "windows-1251",
        "ms-ee" => "windows-1250",
        "ms-greek" => "windows-1253",
        "ms-turk" => "windows-1254",
        "ms-hebr" => "windows-1255",
        "ms-arab" => "windows-1256",
        other => other,
    };
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// The `encoding` of the XML declaration, as written.
fn prolog_label(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let prolog = head.trim_start().strip_prefix("<?xml")?;
    let prolog = &prolog[..prolog.find("?>")?];
    let at = prolog.find("encoding")?;
    let value = prolog[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    // Only a quote may open the value: anything else (a multi-byte character from a broken
    // file) is no declaration we can read.
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let value = &value[1..];
    Some(value[..value.find(quote)?].trim().to_owned())
}

/// `<?xml version="1.0" encoding="windows-1251"?>` → `<?xml version="1.0"?>`: the text is
/// UTF-8 now, and the parser must not decode it a second time. A declaration anywhere else
/// is not XML; it is renamed into an ordinary processing instruction (`<?_xml`), since the
/// XML reader panics when one names another encoding (found by fuzzing).
fn strip_prolog_encoding(text: &str) -> String {
    let text = strip_first_prolog_encoding(text);
    let Some(first) = text.find("<?xml") else { return text };
    let (head, rest) = text.split_at(first + "<?xml".len());
    if !rest.contains("<?xml") && !rest.contains("<?XML") {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(head);
    let mut remaining = rest;
    while let Some(at) = remaining.find("<?").filter(|_| !remaining.is_empty()) {
        let after = &remaining[at + 2..];
        out.push_str(&remaining[..at + 2]);
        if after.get(..3).is_some_and(|name| name.eq_ignore_ascii_case("xml")) {
            out.push('_');
        }
        remaining = after;
    }
    out.push_str(remaining);
    out
}

fn strip_first_prolog_encoding(text: &str) -> String {
    let trimmed = text.trim_start_matches('\u{FEFF}');
    let Some(rest) = trimmed.trim_start().strip_prefix("<?xml") else {
        return trimmed.to_owned();
    };
    let Some(end) = rest.find("?>") else {
        return trimmed.to_owned();
    };
    let prolog = &rest[..end];
    let cleaned = match prolog.find("encoding") {
        Some(at) => {
            let after = &prolog[at..];
            let value_end = after
                .char_indices()
                .filter(|(_, c)| *c == '"' || *c == '\'')
                .nth(1)
                .map_or(after.len(), |(i, _)| i + 1);
            format!("{}{}", &prolog[..at], &after[value_end..])
        }
        None => prolog.to_owned(),
    };
    format!("<?xml{}?>{}", cleaned.trim_end(), &rest[end + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_from_header_prolog_and_default() {
        let cp1251 = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss>\xcd\xee\xe2\xee\xf1\xf2\xe8</rss>";
        assert_eq!(
            decode(cp1251, None),
            ("<?xml version=\"1.0\"?><rss>Новости</rss>".to_owned(), false)
        );
        let latin1 = b"<rss>caf\xe9</rss>";
        assert_eq!(
            decode(latin1, Some("application/rss+xml; charset=ISO-8859-1")).0,
            "<rss>café</rss>"
        );
        assert_eq!(
            decode("<rss>café</rss>".as_bytes(), None),
            ("<rss>café</rss>".to_owned(), false)
        );
        // Undeclared and not UTF-8: sniffed (issue 9), not replaced.
        assert_eq!(decode(b"<rss>caf\xe9</rss>", None), ("<rss>café</rss>".to_owned(), false));
    }

    /// See issue 9: undeclared legacy encodings became replacement characters, BOM-less
    /// UTF-16/32 was not a feed, and a BOM or a header names the encoding before the
    /// declaration (RFC 7303).
    #[test]
    fn r9_encodings_as_the_standards_say() {
        // KOI8-R and Shift_JIS, undeclared: sniffed.
        let koi8 = b"<rss><channel><title>\xf7\xe5\xf3\xf4\xe9 \xe9\xfa \xed\xef\xf3\xeb\xf7\xf9 \xe9 \xf3\xe1\xee\xeb\xf4-\xf0\xe5\xf4\xe5\xf2\xe2\xf5\xf2\xe7\xe1</title></channel></rss>";
        assert_eq!(
            decode(koi8, None),
            (
                "<rss><channel><title>ВЕСТИ ИЗ МОСКВЫ И САНКТ-ПЕТЕРБУРГА</title></channel></rss>"
                    .to_owned(),
                false
            )
        );
        let text = "<?xml version=\"1.0\"?><rss><title>Größe</title></rss>";
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&utf16be, None).0, text);
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&utf16le, None).0, text);
        let utf32be: Vec<u8> = text.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        assert_eq!(decode(&utf32be, None).0, text);
        let mut utf32le_bom = vec![0xFF, 0xFE, 0, 0];
        utf32le_bom.extend(text.chars().flat_map(|c| (c as u32).to_le_bytes()));
        assert_eq!(decode(&utf32le_bom, None).0, text);
        // A BOM wins over the header, the header over the declaration.
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("<rss>é</rss>".as_bytes());
        assert_eq!(decode(&bom, Some("text/xml; charset=iso-8859-1")).0, "<rss>é</rss>");
        // DOS code pages, which encoding_rs does not know, by their many names.
        for label in ["cp437", "IBM437", "csIBM437", "437", "cspc8codepage437"] {
            let dos = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><t>\u{80}</t>");
            let dos = dos.replace('\u{80}', "\u{1}").into_bytes();
            let dos: Vec<u8> = dos.into_iter().map(|b| if b == 1 { 0x80 } else { b }).collect();
            assert_eq!(decode(&dos, None).0, "<?xml version=\"1.0\"?><t>Ç</t>", "{label}");
        }
        let mac = b"<?xml version=\"1.0\" encoding=\"macroman\"?><t>\x80</t>";
        assert_eq!(decode(mac, None).0, "<?xml version=\"1.0\"?><t>Ä</t>");
        let cyrillic = b"<?xml version=\"1.0\" encoding=\"windows_1251\"?><t>\x80</t>";
        assert_eq!(decode(cyrillic, None).0, "<?xml version=\"1.0\"?><t>Ђ</t>");
        let latin1 = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>caf\xe9</rss>";
        assert_eq!(
            decode(latin1, Some("text/xml; charset=iso-8859-1")).0,
            "<?xml version=\"1.0\"?><rss>café</rss>"
        );
    }

    /// Found by fuzzing: a second declaration naming UTF-16 made the XML reader panic, and
    /// a declaration whose value opened with a multi-byte character panicked here.
    #[test]
    fn fuzz_misplaced_and_broken_declarations() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed><link href=\"a<?xml version=\"1.0\" encoding=\"utf-16\"?>\"/><?XML x?></feed>";
        assert_eq!(
            decode(text.as_bytes(), None).0,
            "<?xml version=\"1.0\"?><feed><link href=\"a<?_xml version=\"1.0\" encoding=\"utf-16\"?>\"/><?_XML x?></feed>"
        );
        let broken = "<?xml version=\"1.0\" encoding=\u{FFFD}\"utf-8\"?><rss/>";
        assert_eq!(prolog_encoding(broken.as_bytes()), None);
        assert!(decode(broken.as_bytes(), None).0.ends_with("<rss/>"));
    }

    #[test]
    fn pages_use_their_meta_charset_when_the_header_names_none() {
        let page = b"<html><head><meta charset=\"windows-1252\"></head><p>caf\xe9</p></html>";
        assert_eq!(
            decode_page(page, Some("text/html")).0,
            "<html><head><meta charset=\"windows-1252\"></head><p>café</p></html>"
        );
        assert_eq!(
            decode_page("<p>café</p>".as_bytes(), Some("text/html; charset=utf-8")).0,
            "<p>café</p>"
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T07:00:00+00:00").unwrap();
        let mut err = FetchError::new(FailureCategory::RateLimited, "429");
        assert_eq!(err.retry_until(now), None);
        err.retry_after = Some("120".to_owned());
        assert_eq!(err.retry_until(now), Some(now + TimeDelta::seconds(120)));
        err.retry_after = Some("Thu, 26 Nov 2026 09:00:00 GMT".to_owned());
        assert_eq!(err.retry_until(now), Some(now + TimeDelta::hours(2)));
        err.retry_after = Some("99999999".to_owned());
        assert_eq!(err.retry_until(now), Some(now + TimeDelta::days(7)), "capped at a week");
    }

    #[test]
    fn hosts_for_the_per_host_rule() {
        assert_eq!(host_of("https://News.example.com:8443/feed?x=1"), "news.example.com:8443");
    }
}
