//! `newsdigest serve`: the subscribers' own web service, sharing the ledger with `run`.
//!
//! - `POST /u/TOKEN` unsubscribes at once (RFC 8058 one-click; idempotent, 200); `GET /u/TOKEN`
//!   changes nothing (link scanners prefetch) and shows one button that POSTs.
//! - `GET|POST /p/TOKEN`: topics, pause, leave.
//! - `GET|POST /subscribe`: sign-up with double opt-in; the answer is the same whether or not
//!   the address is known; rate limits per client and per address, a honeypot, a small body.
//! - `GET|POST /c/TOKEN`: the confirmation page and its button (the token expires).
//! - `GET /`, `/archive/`, `/archive/DATE/DIGEST`, `/feed.xml`: the web archive, without
//!   personal parts. `GET /healthz`.
//!
//! Every personal link carries a [`crate::token`] token, never an address. Pages are askama
//! templates ([`pages`]) under a Content-Security-Policy without scripts, with
//! `frame-ancestors 'none'`, no referrer (tokens never leak to another site) and no caching
//! of personal pages. Ledger work runs on the blocking pool; SQLite's WAL and busy timeout
//! let `run` and `serve` share the file.

pub mod form;
pub mod pages;
pub mod sns;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::clock::Clock;
use crate::config::{Config, DeliveryMode};
use crate::deliver::{OutboxSender, Sender, smtp::SmtpSender};
use crate::ledger::{Ledger, LedgerError, LedgerSubscriber, SignUp};
use crate::token::{Purpose, Signer, TokenError};
use pages::{ArchiveRow, Frame, TopicChoice};

/// The largest form body accepted, in bytes.
const MAX_BODY: usize = 8 * 1024;
/// The largest webhook body accepted (a provider's event carries the message's headers).
const MAX_HOOK_BODY: usize = 256 * 1024;
/// How old a webhook's signed timestamp may be (replays are refused).
const HOOK_MAX_AGE_SECONDS: i64 = 15 * 60;
/// Sign-ups one client address may make in an hour.
const SIGNUPS_PER_CLIENT_HOUR: u32 = 10;
/// Confirmation mails one address may be sent in a day.
const CONFIRMATIONS_PER_ADDRESS_DAY: u32 = 3;
/// Editions listed in the archive and the feed.
const ARCHIVE_LIMIT: usize = 200;

/// The running service's shared state.
pub struct Service {
    config: Arc<Config>,
    signer: Signer,
    ledger: Arc<Mutex<Ledger>>,
    clock: Arc<dyn Clock + Send + Sync>,
    limits: Mutex<Limits>,
    mailer: Mailer,
    /// Mailgun's webhook signing key, when configured.
    mailgun_key: Option<Vec<u8>>,
    /// Fetches from SNS (signing certificates, subscription confirmations).
    sns_fetch: SnsFetch,
    /// Signing certificates fetched, by URL.
    sns_certs: Mutex<HashMap<String, Vec<u8>>>,
    /// Sends a webhook report on to the shard whose subscriber it names (`web.shard`).
    forward: reqwest::Client,
    /// The config's list, as much of it as the service needs.
    listed: ListIndex,
}

/// What the service needs of the config's list (`[[subscribers]]` and `subscribers_file`)
/// without holding its rows: each listed address, as the 64-bit hash of its lower-cased
/// form, with its topics, each distinct set of topics stored once. A list of a million takes
/// 16 MB here (a hash shared by two addresses, once in billions of billions, would give one
/// the other's topics).
#[derive(Default)]
struct ListIndex {
    /// Sorted by hash, for a binary search.
    addresses: Vec<(u64, u32)>,
    topic_sets: Vec<Vec<String>>,
}

impl ListIndex {
    /// Reads the list once (the file row by row, when the config was loaded without it).
    fn read(config: &Config) -> anyhow::Result<ListIndex> {
        let mut index = ListIndex::default();
        let mut sets: HashMap<Vec<String>, u32> = HashMap::new();
        config.for_each_listed(|subscriber| {
            let key = ListIndex::key(subscriber.mailbox.email.as_ref());
            let next = u32::try_from(index.topic_sets.len())?;
            let set = *sets.entry(subscriber.topics.clone()).or_insert_with(|| {
                index.topic_sets.push(subscriber.topics);
                next
            });
            index.addresses.push((key, set));
            Ok(())
        })?;
        // The config refuses a list that names an address twice; the first would be kept.
        index.addresses.sort_by_key(|(key, _)| *key);
        index.addresses.dedup_by_key(|(key, _)| *key);
        index.addresses.shrink_to_fit();
        Ok(index)
    }

    fn key(email: &str) -> u64 {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::hash::DefaultHasher::new();
        email.to_ascii_lowercase().hash(&mut hasher);
        hasher.finish()
    }

    /// The topics the list gives `email` (any case), when it lists it.
    fn topics(&self, email: &str) -> Option<&[String]> {
        let key = ListIndex::key(email);
        let at = self.addresses.binary_search_by_key(&key, |(key, _)| *key).ok()?;
        let set = self.addresses.get(at)?.1;
        self.topic_sets.get(usize::try_from(set).ok()?).map(Vec::as_slice)
    }
}

/// Fetches a URL on SNS's own hosts (checked before) and returns the body.
pub type SnsFetch = Arc<
    dyn Fn(
            String,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send>>
        + Send
        + Sync,
>;

/// The real fetcher: https only, 10 s, at most 64 KiB.
fn sns_https() -> SnsFetch {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .build();
    Arc::new(move |url: String| {
        let client = client.as_ref().map_err(|err| err.to_string()).cloned();
        Box::pin(async move {
            let client = client?;
            let response = client.get(&url).send().await.map_err(|err| err.to_string())?;
            if !response.status().is_success() {
                return Err(format!("{url}: {}", response.status()));
            }
            let body = response.bytes().await.map_err(|err| err.to_string())?;
            if body.len() > 64 * 1024 {
                return Err(format!("{url}: too large"));
            }
            Ok(body.to_vec())
        })
    })
}

/// Where confirmation mails go: the configured delivery.
enum Mailer {
    Outbox(OutboxSender),
    Smtp(SmtpSender),
}

impl Service {
    /// Sets the service up: reads the token secret, opens (and migrates) the ledger, and
    /// prepares the delivery for confirmation mails.
    ///
    /// # Errors
    /// Without `web.base_url` or a secret, or when the ledger or the relay cannot be set up.
    pub fn new(
        config: Config,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> anyhow::Result<Arc<Service>> {
        Service::with_sns(config, clock, sns_https())
    }

    /// [`Service::new`] with another way of fetching from SNS (the tests serve a test
    /// certificate).
    ///
    /// # Errors
    /// As [`Service::new`].
    pub fn with_sns(
        config: Config,
        clock: Arc<dyn Clock + Send + Sync>,
        sns_fetch: SnsFetch,
    ) -> anyhow::Result<Arc<Service>> {
        if config.web.base_url.is_none() {
            anyhow::bail!(
                "`serve` needs `web.base_url`, the public address its links use\n\
                 hint: add [web] base_url = \"https://news.example.org\" (plain http only on loopback)"
            );
        }
        let secret = crate::deliver::message::read_secret(&config.delivery)
            .map_err(anyhow::Error::msg)?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "`serve` needs the token secret: set the environment variable `{}` or `delivery.unsubscribe_secret_file` (the same secret `run` uses)",
                    config.delivery.unsubscribe_secret_env
                )
            })?;
        let ledger = Ledger::open(&config.state_file)?;
        let mailer = match (&config.delivery.mode, &config.delivery.smtp) {
            (DeliveryMode::Smtp, Some(smtp)) => Mailer::Smtp(SmtpSender::new(smtp)?),
            _ => Mailer::Outbox(OutboxSender::new(config.digest.output_dir.join("confirmations"))),
        };
        let mailgun_key = match &config.bounces.mailgun_key {
            Some(source) => Some(
                source
                    .read()
                    .map_err(anyhow::Error::msg)?
                    .ok_or_else(|| anyhow::anyhow!("`bounces.mailgun_key_env` or `mailgun_key_file` names no key: set it, or remove the key from [bounces]"))?
                    .into_bytes(),
            ),
            None => None,
        };
        // Only to this list's own shards (from `web.base_url`), never to an address a
        // report names; plain http only where `base_url` allows it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let forward = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| anyhow::anyhow!("cannot set up the HTTP client for shards: {err}"))?;
        let listed = ListIndex::read(&config)?;
        Ok(Arc::new(Service {
            listed,
            forward,
            mailgun_key,
            sns_fetch,
            sns_certs: Mutex::new(HashMap::new()),
            signer: Signer::new(secret.as_bytes()),
            config: Arc::new(config),
            ledger: Arc::new(Mutex::new(ledger)),
            clock,
            limits: Mutex::new(Limits::default()),
            mailer,
        }))
    }

    fn base(&self) -> &str {
        self.config.web.base_url.as_deref().unwrap_or("")
    }

    fn frame<'a>(&'a self, heading: &'a str, indexable: bool) -> Frame<'a> {
        Frame {
            lang: &self.config.digest.language,
            heading,
            site: &self.config.digest.title,
            base: self.base(),
            indexable,
            postal_address: self.config.delivery.postal_address.as_deref(),
            style: pages::STYLE,
        }
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    /// Runs `work` on the ledger in the blocking pool.
    async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Ledger) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, Response> {
        let ledger = Arc::clone(&self.ledger);
        let joined = tokio::task::spawn_blocking(move || {
            let mut ledger = ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut ledger)
        })
        .await;
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                tracing::error!("ledger: {err}");
                Err(self.message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Please try again",
                    &["The service is busy for a moment. Nothing was changed."],
                    None,
                ))
            }
            Err(err) => {
                tracing::error!("ledger task: {err}");
                Err(self.message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    &["Nothing was changed. Please try again later."],
                    None,
                ))
            }
        }
    }

    fn message(
        &self,
        status: StatusCode,
        heading: &str,
        paragraphs: &[&str],
        link: Option<(String, String)>,
    ) -> Response {
        let page = pages::Message {
            frame: self.frame(heading, false),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            link,
        };
        html(status, &page, Kind::Personal)
    }

    /// The subscriber a token of `purpose` names, or the page that says why not.
    async fn subscriber(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> Result<LedgerSubscriber, Response> {
        let id = match self.signer.verify(token, purpose, self.now()) {
            Ok(id) => id,
            Err(TokenError::Expired) => {
                return Err(self.message(
                    StatusCode::GONE,
                    "This link has expired",
                    &["Confirmation links work for a limited time. Sign up again to get a new one."],
                    Some((format!("{}/subscribe", self.base()), "Sign up again".to_owned())),
                ));
            }
            Err(TokenError::Invalid | TokenError::WrongPurpose) => {
                return Err(self.message(
                    StatusCode::BAD_REQUEST,
                    "This link is not valid",
                    &["It may have been cut short or changed on the way. Use the link from the latest email."],
                    None,
                ));
            }
        };
        match self.db(move |ledger| ledger.subscriber(id)).await? {
            Some(subscriber) => Ok(subscriber),
            None => Err(self.message(
                StatusCode::NOT_FOUND,
                "Unknown subscriber",
                &["This address is not on the list any more."],
                None,
            )),
        }
    }

    fn topic_choices(&self, chosen: &[String]) -> Vec<TopicChoice<'_>> {
        self.config
            .select
            .topics
            .iter()
            .map(|topic| TopicChoice {
                id: &topic.id,
                name: &topic.name,
                checked: chosen.contains(&topic.id),
            })
            .collect()
    }

    /// The topics a subscriber gets now: their choice, else the config's listing.
    fn current_topics(&self, subscriber: &LedgerSubscriber) -> Vec<String> {
        subscriber.topics.clone().unwrap_or_else(|| {
            self.listed.topics(&subscriber.email).map(<[String]>::to_vec).unwrap_or_default()
        })
    }

    /// The configured topic ids among `values`, in the config's order.
    fn known_topics(&self, values: &[&str]) -> Vec<String> {
        self.config
            .select
            .topics
            .iter()
            .filter(|topic| values.contains(&topic.id.as_str()))
            .map(|topic| topic.id.clone())
            .collect()
    }
}

/// Builds the router.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/style.css", get(style))
        .route("/", get(archive))
        .route("/archive/", get(archive))
        .route("/archive", get(archive))
        .route("/archive/{date}/{digest}", get(edition_page))
        .route("/feed.xml", get(feed))
        .route("/u/{token}", get(unsubscribe_page).post(unsubscribe))
        .route("/p/{token}", get(preferences_page).post(save_preferences))
        .route("/subscribe", get(subscribe_page).post(subscribe))
        .route("/c/{token}", get(confirm_page).post(confirm))
        .route(
            "/hooks/ses",
            axum::routing::post(ses_hook).layer(DefaultBodyLimit::max(MAX_HOOK_BODY)),
        )
        .route(
            "/hooks/mailgun",
            axum::routing::post(mailgun_hook).layer(DefaultBodyLimit::max(MAX_HOOK_BODY)),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(service)
}

/// Serves on `listener` until `shutdown` resolves, then finishes the requests under way.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    service: Arc<Service>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(service).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

type Shared = State<Arc<Service>>;

/// What a page is, for its headers.
#[derive(Clone, Copy)]
enum Kind {
    /// Our own pages: our stylesheet only, never cached (they may name an address).
    Personal,
    /// The archive's pages: the digest's inline styles, cacheable.
    Archive,
}

fn html(status: StatusCode, page: &impl askama::Template, kind: Kind) -> Response {
    match page.render() {
        Ok(body) => with_headers(status, body, "text/html; charset=utf-8", kind),
        Err(err) => {
            tracing::error!("template: {err}");
            with_headers(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_owned(),
                "text/plain; charset=utf-8",
                kind,
            )
        }
    }
}

fn with_headers(status: StatusCode, body: String, content_type: &str, kind: Kind) -> Response {
    // Every page carries its styles: a saved or offline page looks the same, and loads
    // nothing. Our own pages allow exactly their stylesheet (by hash); the archive's digests
    // are styled inline, as emails are.
    let csp = match kind {
        Kind::Personal => format!(
            "default-src 'none'; style-src {}; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            pages::style_hash()
        ),
        Kind::Archive => "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'".to_owned(),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(headers, header::CONTENT_TYPE, content_type);
    set(headers, header::CONTENT_SECURITY_POLICY, &csp);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    let cache = match kind {
        Kind::Personal => "no-store",
        Kind::Archive => "public, max-age=300",
    };
    set(headers, header::CACHE_CONTROL, cache);
    response
}

async fn healthz(State(service): Shared) -> Response {
    match service.db(|ledger| ledger.id()).await {
        Ok(_) => with_headers(
            StatusCode::OK,
            "ok\n".to_owned(),
            "text/plain; charset=utf-8",
            Kind::Personal,
        ),
        Err(_) => with_headers(
            StatusCode::SERVICE_UNAVAILABLE,
            "the ledger cannot be read\n".to_owned(),
            "text/plain; charset=utf-8",
            Kind::Personal,
        ),
    }
}

/// The stylesheet on its own: every page carries it inline, so nothing links here; it
/// stays as the static baseline of `benches/web.rs` (the HTTP stack alone).
async fn style() -> Response {
    let mut response = with_headers(
        StatusCode::OK,
        pages::STYLE.to_owned(),
        "text/css; charset=utf-8",
        Kind::Archive,
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

async fn not_found(State(service): Shared) -> Response {
    service.message(
        StatusCode::NOT_FOUND,
        "Not found",
        &["There is no page here."],
        Some((format!("{}/archive/", service.base()), "The archive".to_owned())),
    )
}

/// The archive's rows, newest first, with each digest's topics in words.
fn archive_rows(service: &Service, entries: Vec<crate::ledger::ArchiveEntry>) -> Vec<ArchiveRow> {
    entries
        .into_iter()
        .map(|entry| ArchiveRow {
            label: topics_label(&service.config, &entry.digest),
            date: entry.date.format("%Y-%m-%d").to_string(),
            digest: entry.digest,
            subject: entry.subject,
            items: entry.items,
            updated: entry.created_at,
        })
        .collect()
}

/// A digest's topics in words, from its slug (`climate+health` → "Climate & energy, Health").
fn topics_label(config: &Config, slug: &str) -> String {
    if slug == "all" {
        return "Every topic".to_owned();
    }
    let names: Vec<&str> = slug
        .split('+')
        .filter_map(|id| config.select.topics.iter().find(|topic| topic.id == id))
        .map(|topic| topic.name.as_str())
        .collect();
    if names.is_empty() { slug.to_owned() } else { names.join(", ") }
}

async fn archive(State(service): Shared) -> Response {
    let entries = match service.db(|ledger| ledger.archive(ARCHIVE_LIMIT)).await {
        Ok(entries) => entries,
        Err(page) => return page,
    };
    let page = pages::Archive {
        frame: service.frame("Archive", true),
        entries: archive_rows(&service, entries),
        signups: service.config.web.signups,
    };
    html(StatusCode::OK, &page, Kind::Archive)
}

async fn edition_page(
    State(service): Shared,
    Path((date, digest)): Path<(String, String)>,
) -> Response {
    let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else {
        return not_found(State(service)).await;
    };
    match service.db(move |ledger| ledger.web_page(date, &digest)).await {
        Ok(Some((_, page))) => {
            with_headers(StatusCode::OK, page, "text/html; charset=utf-8", Kind::Archive)
        }
        Ok(None) => not_found(State(service)).await,
        Err(page) => page,
    }
}

async fn feed(State(service): Shared) -> Response {
    let entries = match service.db(|ledger| ledger.archive(ARCHIVE_LIMIT)).await {
        Ok(entries) => entries,
        Err(page) => return page,
    };
    let rows = archive_rows(&service, entries);
    let updated =
        rows.first().map_or_else(|| service.now().to_rfc3339(), |row| row.updated.clone());
    let page = pages::Feed {
        site: &service.config.digest.title,
        base: service.base(),
        updated: &updated,
        entries: rows,
    };
    match askama::Template::render(&page) {
        Ok(body) => {
            with_headers(StatusCode::OK, body, "application/atom+xml; charset=utf-8", Kind::Archive)
        }
        Err(err) => {
            tracing::error!("feed template: {err}");
            with_headers(
                StatusCode::INTERNAL_SERVER_ERROR,
                String::new(),
                "text/plain",
                Kind::Archive,
            )
        }
    }
}

async fn unsubscribe_page(State(service): Shared, Path(token): Path<String>) -> Response {
    let subscriber = match service.subscriber(&token, Purpose::Unsubscribe).await {
        Ok(subscriber) => subscriber,
        Err(page) => return page,
    };
    if subscriber.suppressed.is_some() {
        return service.message(
            StatusCode::OK,
            "You are unsubscribed",
            &["This address gets no more digests."],
            None,
        );
    }
    let preferences = format!(
        "{}/p/{}",
        service.base(),
        service.signer.sign(Purpose::Preferences, subscriber.id, None)
    );
    let page = pages::Unsubscribe {
        frame: service.frame("Unsubscribe", false),
        email: &subscriber.email,
        token: &token,
        preferences_href: &preferences,
    };
    html(StatusCode::OK, &page, Kind::Personal)
}

/// RFC 8058: the POST unsubscribes at once, whatever else it carries; no login, no page to
/// read, and the same answer when repeated.
async fn unsubscribe(State(service): Shared, Path(token): Path<String>) -> Response {
    let subscriber = match service.subscriber(&token, Purpose::Unsubscribe).await {
        Ok(subscriber) => subscriber,
        Err(page) => return page,
    };
    let now = service.now();
    let email = subscriber.email.clone();
    if let Err(page) =
        service.db(move |ledger| ledger.suppress(&email, "unsubscribed (one-click)", now)).await
    {
        return page;
    }
    service.message(
        StatusCode::OK,
        "You are unsubscribed",
        &["This address gets no more digests. If you change your mind, sign up again."],
        Some((format!("{}/subscribe", service.base()), "Sign up again".to_owned())),
    )
}

async fn preferences_page(State(service): Shared, Path(token): Path<String>) -> Response {
    let subscriber = match service.subscriber(&token, Purpose::Preferences).await {
        Ok(subscriber) => subscriber,
        Err(page) => return page,
    };
    let unsubscribe = service.signer.sign(Purpose::Unsubscribe, subscriber.id, None);
    let topics = service.current_topics(&subscriber);
    let heading = if subscriber.suppressed.is_some() {
        "You are unsubscribed: choose topics to come back"
    } else {
        "Your digest"
    };
    let page = pages::Preferences {
        frame: service.frame(heading, false),
        email: &subscriber.email,
        token: &token,
        unsubscribe_token: &unsubscribe,
        topics: service.topic_choices(&topics),
        paused: subscriber.paused,
    };
    html(StatusCode::OK, &page, Kind::Personal)
}

async fn save_preferences(
    State(service): Shared,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let subscriber = match service.subscriber(&token, Purpose::Preferences).await {
        Ok(subscriber) => subscriber,
        Err(page) => return page,
    };
    let fields = form::pairs(&body);
    let topics = service.known_topics(&form::all(&fields, "topic"));
    let paused = form::first(&fields, "pause").is_some();
    let now = service.now();
    let (id, email) = (subscriber.id, subscriber.email.clone());
    // Saving from the personal page brings back someone who had unsubscribed there (never
    // an address suppressed for bounces or complaints).
    let comes_back =
        subscriber.suppressed.as_ref().is_some_and(|(reason, _)| reason.starts_with("unsubscribe"));
    let saved = service
        .db(move |ledger| {
            if comes_back {
                ledger.unsuppress(&email)?;
            }
            ledger.save_preferences(id, Some(&topics), paused, now)
        })
        .await;
    if let Err(page) = saved {
        return page;
    }
    let back = format!("{}/p/{}", service.base(), token);
    let what = if paused {
        "The digest is paused: nothing is sent until you untick the pause."
    } else {
        "Your choice applies from the next digest."
    };
    service.message(
        StatusCode::OK,
        "Saved",
        &[what],
        Some((back, "Back to your choices".to_owned())),
    )
}

/// `/subscribe` when `web.signups = false`.
fn signups_closed(service: &Service) -> Response {
    service.message(
        StatusCode::NOT_FOUND,
        "Sign-ups are closed",
        &["This list takes no new subscribers here."],
        None,
    )
}

async fn subscribe_page(State(service): Shared) -> Response {
    if !service.config.web.signups {
        return signups_closed(&service);
    }
    let page = pages::Subscribe {
        frame: service.frame("Subscribe", true),
        topics: service.topic_choices(&[]),
    };
    html(StatusCode::OK, &page, Kind::Personal)
}

/// The client's address: the peer, or behind a proxy on loopback, the last address of
/// `X-Forwarded-For` (the one the proxy saw).
fn client(peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    match forwarded {
        Some(ip) if peer.ip().is_loopback() => ip,
        _ => peer.ip(),
    }
}

async fn subscribe(
    State(service): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !service.config.web.signups {
        return signups_closed(&service);
    }
    let fields = form::pairs(&body);
    let email = form::first(&fields, "email").unwrap_or("").trim().to_owned();
    let checked = crate::config::check_address(&email);
    // A sharded list records a sign-up in the ledger of the address's shard: another
    // shard's address goes to that shard's service, the form as it came (307 keeps the
    // method and the body), before this shard counts it against the client's limit.
    if let Some(shard) = service.config.web.shard
        && let Ok(address) = &checked
        && !shard.contains(address)
        && let Some(root) = shard.root_url(service.base())
    {
        let owner = shard.owner_of(address);
        let location = format!("{}/subscribe", owner.base_url(root));
        let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        return response;
    }
    let now = service.now();
    let client = client(peer, &headers);
    let allowed = service
        .limits
        .lock()
        .map(|mut limits| limits.allow_client(client, now.timestamp()))
        .unwrap_or(false);
    if !allowed {
        let mut page = service.message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ups",
            &["Please wait an hour and try again."],
            None,
        );
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        return page;
    }
    let address = match checked {
        Ok(address) => address,
        Err(reason) => {
            return service.message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please check the address",
                &[&format!("`{email}` cannot receive the digest: {reason}.")],
                Some((format!("{}/subscribe", service.base()), "Back to the form".to_owned())),
            );
        }
    };
    let done = service.message(
        StatusCode::OK,
        "Check your inbox",
        &[&format!(
            "If {address} is not subscribed yet, a message with a link to confirm is on its way. The digest starts after you confirm."
        )],
        None,
    );
    // A filled honeypot is a robot: the same answer, and nothing done.
    if form::first(&fields, "website").is_some_and(|value| !value.is_empty()) {
        return done;
    }
    let mail_allowed = service
        .limits
        .lock()
        .map(|mut limits| limits.allow_address(&address, now.timestamp()))
        .unwrap_or(false);
    if !mail_allowed {
        return done;
    }
    let name = form::first(&fields, "name")
        .map(crate::text::normalize)
        .filter(|name| !name.is_empty())
        .map(|name| name.chars().take(200).collect::<String>());
    let topics = service.known_topics(&form::all(&fields, "topic"));
    let key = address.clone();
    // An address the config lists receives the digest already, unless it left.
    let listed = service.listed.topics(&address).is_some();
    let signed = service
        .db(move |ledger| {
            if listed && !ledger.is_suppressed(&key)? {
                return Ok(SignUp::AlreadyActive);
            }
            ledger.sign_up(&key, name.as_deref(), &topics, now)
        })
        .await;
    match signed {
        Ok(SignUp::Pending(id)) => {
            let expires = now
                + chrono::TimeDelta::from_std(service.config.web.confirm_within)
                    .unwrap_or(chrono::TimeDelta::hours(48));
            let link = format!(
                "{}/c/{}",
                service.base(),
                service.signer.sign(Purpose::Confirm, id, Some(expires))
            );
            if let Err(err) = send_confirmation(&service, &address, &link, now).await {
                tracing::warn!("confirmation mail to {address}: {err}");
            }
            done
        }
        Ok(SignUp::AlreadyActive) => done,
        Err(page) => page,
    }
}

/// Sends the confirmation mail through the configured delivery.
async fn send_confirmation(
    service: &Service,
    address: &str,
    link: &str,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<()> {
    let config = &service.config;
    let title = &config.digest.title;
    let to: lettre::message::Mailbox = address.parse()?;
    let hours = config.web.confirm_within.as_secs() / 3600;
    let text = format!(
        "Someone, probably you, asked to get {title} by email at {address}.\n\n\
         To confirm, open this link and press the button:\n{link}\n\n\
         The link works for {hours} hours. If you did not ask for this, ignore this message: \
         nothing will be sent.\n"
    );
    let escaped_link = crate::text::escape_html(link);
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2328;\">\
         <p>Someone, probably you, asked to get {t} by email at {a}.</p>\
         <p><a href=\"{escaped_link}\" style=\"display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;\">Confirm my subscription</a></p>\
         <p>The link works for {hours} hours. If you did not ask for this, ignore this message: nothing will be sent.</p>\
         </body></html>",
        lang = crate::text::escape_html(&config.digest.language),
        t = crate::text::escape_html(title),
        a = crate::text::escape_html(address),
    );
    let message = lettre::Message::builder()
        .from(config.delivery.from.clone())
        .to(to)
        .subject(format!("Confirm your subscription to {title}"))
        .date(now.into())
        .multipart(lettre::message::MultiPart::alternative_plain_html(text, html))?;
    let envelope = message.envelope().clone();
    let bytes = message.formatted();
    let sent = match &service.mailer {
        Mailer::Outbox(outbox) => outbox.send(&envelope, &bytes).await,
        Mailer::Smtp(smtp) => smtp.send(&envelope, &bytes).await,
    };
    sent.map(drop).map_err(|failure| anyhow::anyhow!("{}", failure.reply))
}

async fn confirm_page(State(service): Shared, Path(token): Path<String>) -> Response {
    let subscriber = match service.subscriber(&token, Purpose::Confirm).await {
        Ok(subscriber) => subscriber,
        Err(page) => return page,
    };
    if !subscriber.pending {
        return service.message(
            StatusCode::OK,
            "You are subscribed",
            &["This address is confirmed already."],
            None,
        );
    }
    let page = pages::Confirm {
        frame: service.frame("Confirm your subscription", false),
        email: &subscriber.email,
        token: &token,
    };
    html(StatusCode::OK, &page, Kind::Personal)
}

async fn confirm(State(service): Shared, Path(token): Path<String>) -> Response {
    let subscriber = match service.subscriber(&token, Purpose::Confirm).await {
        Ok(subscriber) => subscriber,
        Err(page) => return page,
    };
    let now = service.now();
    let id = subscriber.id;
    if let Err(page) = service.db(move |ledger| ledger.confirm(id, now)).await {
        return page;
    }
    let preferences =
        format!("{}/p/{}", service.base(), service.signer.sign(Purpose::Preferences, id, None));
    service.message(
        StatusCode::OK,
        "You are subscribed",
        &["Thank you. Your first digest comes with the next edition."],
        Some((preferences, "Choose your topics".to_owned())),
    )
}

/// `POST /hooks/mailgun`: Mailgun's `failed` and `complained` events, signed with the
/// webhook signing key (HMAC-SHA256 of timestamp and token, checked in constant time, at
/// most 15 minutes old). A bad signature is `401` (Mailgun stops), a body that is no event
/// `406`, anything applied or ignored `200`; the event's id makes a retry change nothing.
async fn mailgun_hook(State(service): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = service.mailgun_key.as_deref() else {
        return plain(StatusCode::NOT_FOUND, "no Mailgun webhook here");
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return plain(StatusCode::NOT_ACCEPTABLE, "not JSON");
    };
    let field = |path: &str| value.pointer(path).and_then(|v| v.as_str()).unwrap_or("");
    let (timestamp, token, signature) =
        (field("/signature/timestamp"), field("/signature/token"), field("/signature/signature"));
    let now = service.now();
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|at| (now.timestamp() - at).abs() <= HOOK_MAX_AGE_SECONDS);
    if !fresh || !mailgun_signature_ok(key, timestamp, token, signature) {
        return plain(StatusCode::UNAUTHORIZED, "bad signature");
    }
    let Some(bounce) = mailgun_event(&value) else {
        return plain(StatusCode::OK, "not a bounce or complaint: ignored");
    };
    if let Some(sent_on) = send_on(&service, &bounce.recipient, "mailgun", &headers, &body).await {
        return sent_on;
    }
    let key = format!("mailgun:{}", field("/event-data/id"));
    apply_hook_bounce(&service, bounce, key, "mailgun").await
}

/// The header on a webhook report one shard's service sends on to another's: such a report
/// is never sent on again.
const FORWARDED: &str = "x-newsdigest-forwarded";

/// A sharded list (`web.shard`) takes the providers' webhooks at every shard: a report about
/// another shard's subscriber is sent on to that shard's `/hooks/HOOK` (under
/// `web.base_url`'s root), the body as it came, so that shard checks the signature itself
/// and applies it in its own ledger; the provider gets that shard's answer (a failure to
/// reach it is `503`, and the provider tries again later). `None` when the report is this
/// shard's, or names no address: it is applied here.
async fn send_on(
    service: &Service,
    recipient: &str,
    hook: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Response> {
    let shard = service.config.web.shard?;
    if recipient.is_empty() || shard.contains(recipient) {
        return None;
    }
    let owner = shard.owner_of(recipient);
    if headers.contains_key(FORWARDED) {
        // The shard that sent it on counts shards otherwise: a misconfiguration, said so.
        tracing::warn!(
            "a {hook} report sent on by another shard names {recipient}, of shard {owner}/{}:              do the shards agree on their number?",
            shard.count
        );
        return Some(plain(StatusCode::MISDIRECTED_REQUEST, "not this shard's subscriber"));
    }
    let root = shard.root_url(service.base())?;
    let url = format!("{}/hooks/{hook}", owner.base_url(root));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let sent = service
        .forward
        .post(&url)
        .header(header::CONTENT_TYPE, content_type)
        .header(FORWARDED, "1")
        .body(body.clone())
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status =
                StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let text = response.text().await.unwrap_or_default();
            Some(plain(status, &format!("sent on to shard {owner}: {}", text.trim())))
        }
        Err(err) => {
            tracing::warn!("sending a {hook} report on to {url}: {err}");
            Some(plain(StatusCode::SERVICE_UNAVAILABLE, "cannot reach the subscriber's shard"))
        }
    }
}

/// Applies a bounce or complaint a webhook reported, once per `key`, by the same policy as
/// `bounces read`; answers with what became of it.
async fn apply_hook_bounce(
    service: &Service,
    bounce: crate::bounce::Bounce,
    key: String,
    source: &'static str,
) -> Response {
    let config = Arc::clone(&service.config);
    let now = service.now();
    let applied = service
        .db(move |ledger| {
            crate::app::bounces::apply_bounce(
                &config, ledger, None, bounce, &key, None, source, now,
            )
        })
        .await;
    match applied {
        Ok(applied) => plain(StatusCode::OK, &format!("{:?}", applied.outcome)),
        Err(page) => page,
    }
}

/// A webhook's short plain-text answer (providers read only the status).
fn plain(status: StatusCode, text: &str) -> Response {
    with_headers(status, format!("{text}\n"), "text/plain; charset=utf-8", Kind::Personal)
}

/// `POST /hooks/ses`: SES's bounce and complaint notifications through SNS. Each message must
/// come from the configured topic, name a signing certificate on SNS's own host for that
/// region, and carry a valid signature by it (`403` otherwise). A subscription
/// confirmation is confirmed by fetching its SubscribeURL (on the same host); a notification
/// is applied by the same policy, once per SNS message id.
async fn ses_hook(State(service): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let Some(topic) = service.config.bounces.ses_topic_arn.clone() else {
        return plain(StatusCode::NOT_FOUND, "no SES webhook here");
    };
    let Ok(message) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return plain(StatusCode::BAD_REQUEST, "not JSON");
    };
    let field = |name: &str| message.get(name).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let region = sns::region_of(&topic).unwrap_or("").to_owned();
    let cert_url = field("SigningCertURL");
    if field("TopicArn") != topic || !sns::sns_url_ok(&cert_url, &region) {
        return plain(StatusCode::FORBIDDEN, "not from the configured SNS topic");
    }
    let cached = service.sns_certs.lock().ok().and_then(|certs| certs.get(&cert_url).cloned());
    let cert = match cached {
        Some(cert) => cert,
        None => match (service.sns_fetch)(cert_url.clone()).await {
            Ok(cert) => {
                if let Ok(mut certs) = service.sns_certs.lock() {
                    certs.insert(cert_url.clone(), cert.clone());
                }
                cert
            }
            Err(err) => {
                tracing::warn!("SNS signing certificate {cert_url}: {err}");
                return plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "cannot fetch the signing certificate",
                );
            }
        },
    };
    if !sns::signature_ok(&message, &cert) {
        return plain(StatusCode::FORBIDDEN, "bad signature");
    }
    match field("Type").as_str() {
        "SubscriptionConfirmation" => {
            let url = field("SubscribeURL");
            if !sns::sns_url_ok(&url, &region) {
                return plain(StatusCode::FORBIDDEN, "the SubscribeURL is not on SNS");
            }
            match (service.sns_fetch)(url).await {
                Ok(_) => plain(StatusCode::OK, "subscribed"),
                Err(err) => {
                    tracing::warn!("SNS subscription confirmation: {err}");
                    plain(StatusCode::SERVICE_UNAVAILABLE, "cannot confirm the subscription")
                }
            }
        }
        "Notification" => {
            let Ok(inner) = serde_json::from_str::<serde_json::Value>(&field("Message")) else {
                return plain(StatusCode::OK, "not a notification: ignored");
            };
            let Some(bounce) = crate::bounce::ses_notification(&inner, "") else {
                return plain(StatusCode::OK, "not a bounce or complaint: ignored");
            };
            if let Some(sent_on) =
                send_on(&service, &bounce.recipient, "ses", &headers, &body).await
            {
                return sent_on;
            }
            let key = format!("ses:{}", field("MessageId"));
            apply_hook_bounce(&service, bounce, key, "ses").await
        }
        _ => plain(StatusCode::OK, "ignored"),
    }
}

/// Whether `signature` is the hex HMAC-SHA256 of `timestamp` and `token` under `key`.
fn mailgun_signature_ok(key: &[u8], timestamp: &str, token: &str, signature: &str) -> bool {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else { return false };
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    let Some(expected) = hex_bytes(signature) else { return false };
    mac.verify_slice(&expected).is_ok()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// A Mailgun event as a bounce: `failed` (permanent or temporary) or `complained`.
fn mailgun_event(value: &serde_json::Value) -> Option<crate::bounce::Bounce> {
    use crate::bounce::{Bounce, Class};
    let data = value.get("event-data")?;
    let text = |path: &str| data.pointer(path).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let recipient = text("/recipient").to_lowercase();
    let message_id = text("/message/headers/message-id");
    match data.get("event")?.as_str()? {
        "complained" => Some(Bounce {
            class: Class::Complaint,
            recipient,
            status: String::new(),
            reason: "feedback".to_owned(),
            reply: "abuse".to_owned(),
            message_id,
        }),
        "failed" => {
            let code = data.pointer("/delivery-status/code").and_then(serde_json::Value::as_i64);
            let words = format!(
                "{} {} {}",
                code.map(|c| c.to_string()).unwrap_or_default(),
                text("/delivery-status/message"),
                text("/delivery-status/description")
            );
            let mut bounce = crate::bounce::from_reply(&recipient, words.trim());
            // A temporary failure is never hard, whatever its words.
            if text("/severity") == "temporary" && bounce.class == Class::Hard {
                bounce.class = Class::Soft;
            }
            bounce.message_id = message_id;
            Some(bounce)
        }
        _ => None,
    }
}

/// Fixed windows of sign-ups per client address (an hour) and of confirmation mails per
/// address (a day), in memory; the maps are pruned when they grow.
#[derive(Default)]
struct Limits {
    clients: HashMap<IpAddr, (i64, u32)>,
    addresses: HashMap<String, (i64, u32)>,
}

const PRUNE_AT: usize = 10_000;

impl Limits {
    fn allow_client(&mut self, client: IpAddr, now: i64) -> bool {
        allow(&mut self.clients, client, now, 3600, SIGNUPS_PER_CLIENT_HOUR)
    }

    fn allow_address(&mut self, address: &str, now: i64) -> bool {
        allow(
            &mut self.addresses,
            address.to_lowercase(),
            now,
            86_400,
            CONFIRMATIONS_PER_ADDRESS_DAY,
        )
    }
}

fn allow<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, (i64, u32)>,
    key: K,
    now: i64,
    window: i64,
    max: u32,
) -> bool {
    if map.len() >= PRUNE_AT && !map.contains_key(&key) {
        map.retain(|_, (start, _)| *start + window > now);
        // A flood from more clients than that within one window: new ones wait, so memory
        // stays bounded.
        if map.len() >= PRUNE_AT {
            return false;
        }
    }
    let entry = map.entry(key).or_insert((now, 0));
    if entry.0 + window <= now {
        *entry = (now, 0);
    }
    if entry.1 >= max {
        return false;
    }
    entry.1 += 1;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_per_window_and_reset() {
        let mut limits = Limits::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..SIGNUPS_PER_CLIENT_HOUR {
            assert!(limits.allow_client(ip, 1000));
        }
        assert!(!limits.allow_client(ip, 1000));
        assert!(limits.allow_client("203.0.113.8".parse().unwrap(), 1000));
        assert!(limits.allow_client(ip, 1000 + 3600));
        for _ in 0..CONFIRMATIONS_PER_ADDRESS_DAY {
            assert!(limits.allow_address("Ana@example.org", 0));
        }
        assert!(!limits.allow_address("ana@example.org", 100));
        // Memory stays bounded under a flood of distinct clients.
        let mut flood = Limits::default();
        for i in 0..PRUNE_AT as u32 + 50 {
            let _ = flood.allow_client(IpAddr::from(i.to_be_bytes()), 5000);
        }
        assert_eq!(flood.clients.len(), PRUNE_AT);
        assert!(flood.allow_client(IpAddr::from(7u32.to_be_bytes()), 5000), "a known client");
        assert!(
            flood.allow_client("198.51.100.200".parse().unwrap(), 5000 + 3600),
            "after the window"
        );
    }

    #[test]
    fn the_client_is_the_peer_unless_a_local_proxy_forwards() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1, 203.0.113.9"));
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "192.0.2.4:5000".parse().unwrap();
        assert_eq!(client(local, &headers), "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(
            client(remote, &headers),
            remote.ip(),
            "a remote peer cannot claim another address"
        );
        assert_eq!(client(local, &HeaderMap::new()), local.ip());
    }
}
