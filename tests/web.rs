//! Issue 10: `newsdigest serve` against the real server on 127.0.0.1 (reqwest), with the
//! test SMTP server for the confirmation mail and the digests: sign up, confirm (a GET changes
//! nothing), receive, change topics, leave in one click; forged and expired tokens, link
//! scanners, rate limits, an unsubscribe during a run, the archive and its feed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta};
use common::site::{Reader, STORIES, Site, now};
use common::smtp::{Action, Received, SmtpServer, Step};
use mail_parser::MessageParser;
use newsdigest::clock::FixedClock;
use newsdigest::ledger::Ledger;
use newsdigest::shard::Shard;
use newsdigest::token::{Purpose, Signer};

const SECRET: &str = "a long random secret for the tests";
const MAILGUN_KEY: &str = "key-mailgun-webhook-signing-key";

/// A site whose `serve` runs on 127.0.0.1, with its SMTP server.
struct Web {
    site: Site,
    /// The config the service runs (a shard's, for a sharded list).
    config: newsdigest::config::Config,
    smtp: SmtpServer,
    base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The URLs `serve` fetched from "SNS".
    sns_fetched: Arc<std::sync::Mutex<Vec<String>>>,
    served: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Web {
    fn start(readers: &[Reader], smtp: SmtpServer, smtp_extra: &str) -> Web {
        Web::start_with(readers, smtp, smtp_extra, "")
    }

    /// With extra `[web]` lines.
    fn start_with(readers: &[Reader], smtp: SmtpServer, smtp_extra: &str, web: &str) -> Web {
        Web::start_as(readers, smtp, smtp_extra, web, None)
    }

    /// Shard `shard`'s service (`serve --shard K/N`): its ledger, its public address.
    fn start_as(
        readers: &[Reader],
        smtp: SmtpServer,
        smtp_extra: &str,
        web: &str,
        shard: Option<Shard>,
    ) -> Web {
        Web::start_behind(readers, smtp, smtp_extra, web, shard, None, None)
    }

    /// [`Web::start_as`] with `web.base_url` set to `root` (a proxy in front of the shards),
    /// not to the service's own address (still `base`), and with `list`, the text of a
    /// `subscribers_file`. The config is loaded as `serve` loads it: the file's rows checked,
    /// not kept.
    fn start_behind(
        readers: &[Reader],
        smtp: SmtpServer,
        smtp_extra: &str,
        web: &str,
        shard: Option<Shard>,
        root: Option<&str>,
        list: Option<&str>,
    ) -> Web {
        let site = Site::new(
            smtp.port,
            readers,
            "unsubscribe_secret_file = \"secret.txt\"\npostal_address = \"1 Quay Street, Harbour Town\"",
            smtp_extra,
        );
        if let Some(list) = list {
            std::fs::write(site.path().join("list.csv"), list).unwrap();
            let text = std::fs::read_to_string(site.config_path()).unwrap();
            std::fs::write(site.config_path(), format!("subscribers_file = \"list.csv\"\n{text}"))
                .unwrap();
        }
        std::fs::write(site.path().join("secret.txt"), format!("{SECRET}\n")).unwrap();
        std::fs::write(site.path().join("mailgun.key"), MAILGUN_KEY).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let mut text = std::fs::read_to_string(site.config_path()).unwrap();
        text.push_str(&format!("\n[web]\nbase_url = \"{}\"\n{web}\n", root.unwrap_or(&base)));
        std::fs::write(site.config_path(), text).unwrap();
        // SNS is served from here: the test signing certificate, and a log of confirmations.
        let sns_fetched: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let log = Arc::clone(&sns_fetched);
        let fetch: newsdigest::web::SnsFetch = Arc::new(move |url: String| {
            log.lock().unwrap().push(url.clone());
            Box::pin(async move {
                if url.ends_with(".pem") {
                    Ok(std::fs::read(common::fixture("sns/test-cert.pem")).unwrap())
                } else {
                    Ok(b"<ConfirmSubscriptionResponse/>".to_vec())
                }
            })
        });
        let loaded = newsdigest::config::Config::load_checking_list(&site.config_path()).unwrap();
        let config = match shard {
            Some(shard) => shard.configure(loaded).unwrap(),
            None => loaded,
        };
        let service =
            newsdigest::web::Service::with_sns(config.clone(), Arc::new(FixedClock(now())), fetch)
                .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = runtime.spawn(newsdigest::web::serve(service, listener, async {
            let _ = stopped.await;
        }));
        // reqwest is built without a bundled crypto provider (as in the fetcher).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Web {
            site,
            config,
            smtp,
            base,
            runtime,
            client,
            stop: Some(stop),
            served: Some(served),
            sns_fetched,
        }
    }

    fn get(&self, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
        self.runtime.block_on(async {
            let response = self.client.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (status, headers, response.text().await.unwrap())
        })
    }

    /// A form POST; the status, the headers and the page.
    fn post_with_headers(
        &self,
        url: &str,
        body: &str,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_owned())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (status, headers, response.text().await.unwrap())
        })
    }

    fn post(&self, url: &str, body: &str) -> (u16, String) {
        self.post_from(url, body, None)
    }

    fn post_from(&self, url: &str, body: &str, forwarded_for: Option<&str>) -> (u16, String) {
        let forwarded: Vec<(&str, &str)> =
            forwarded_for.map(|client| ("x-forwarded-for", client)).into_iter().collect();
        self.post_typed(url, "application/x-www-form-urlencoded", body, &forwarded)
    }

    fn ledger(&self) -> Ledger {
        Ledger::open(&self.config.state_file).unwrap()
    }

    /// Runs `run` at `at` (outside the server's runtime).
    fn run_at(&self, at: DateTime<FixedOffset>) -> newsdigest::app::run::RunReport {
        self.site.run_at(at, false).unwrap()
    }

    /// Runs `run --shard` (the config being the shard's) at `now()`.
    fn run_shard(&self, shard: Shard) -> newsdigest::app::run::RunReport {
        let config = self.config.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            runtime.block_on(newsdigest::app::run::run(
                &config,
                &FixedClock(now()),
                newsdigest::app::run::RunOptions { shard: Some(shard), ..Default::default() },
                &mut (),
            ))
        })
        .join()
        .unwrap()
        .unwrap()
    }

    /// Posts a JSON body (a webhook's) with extra headers; the status and the answer.
    fn post_json(&self, url: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
        self.post_typed(url, "application/json", body, headers)
    }

    /// Posts `body` as `content_type` with extra headers; the status and the answer.
    fn post_typed(
        &self,
        url: &str,
        content_type: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        self.runtime.block_on(async {
            let mut request =
                self.client.post(url).header("content-type", content_type).body(body.to_owned());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    }

    fn messages_to(&self, email: &str) -> Vec<Received> {
        self.smtp
            .received()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|to| to == email))
            .collect()
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), served).await });
        }
    }
}

/// A reverse proxy on 127.0.0.1 in front of shards' services, as the README's nginx and
/// Caddy lines set one up: `/shard-K-of-N/rest` goes to shard K's service as `/rest`.
struct Proxy {
    base: String,
    backends: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
    /// Runs the proxy; dropped, it stops (the shards are then out of reach).
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    fn start() -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let backends: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>> =
            Arc::default();
        let routes = Arc::clone(&backends);
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (routes, client) = (Arc::clone(&routes), client.clone());
            async move {
                let path = request.uri().path().to_owned();
                let (prefix, rest) = path[1..].split_once('/').unwrap_or((&path[1..], ""));
                let Some(backend) = routes.lock().unwrap().get(prefix).cloned() else {
                    return (axum::http::StatusCode::BAD_GATEWAY, String::new());
                };
                let headers = request.headers().clone();
                let method = request.method().clone();
                let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
                let mut forwarded = client.request(method, format!("{backend}/{rest}")).body(body);
                for name in ["content-type", "x-newsdigest-forwarded"] {
                    if let Some(value) = headers.get(name) {
                        forwarded = forwarded.header(name, value);
                    }
                }
                let response = forwarded.send().await.unwrap();
                let status = axum::http::StatusCode::from_u16(response.status().as_u16()).unwrap();
                (status, response.text().await.unwrap())
            }
        });
        runtime.spawn(async move { axum::serve(listener, app).await });
        Proxy { base, backends, _runtime: runtime }
    }

    /// Sends `/shard-K-of-N/…` to `web`.
    fn route(&self, shard: Shard, web: &Web) {
        self.backends.lock().unwrap().insert(shard.dir_name(), web.base.clone());
    }
}

/// The plain-text part of a message.
fn text_of(received: &Received) -> String {
    let message = MessageParser::default().parse(&received.data).unwrap();
    message.body_text(0).unwrap().into_owned()
}

/// The HTML part of a message.
fn html_of(received: &Received) -> String {
    let message = MessageParser::default().parse(&received.data).unwrap();
    message.body_html(0).unwrap().into_owned()
}

fn header_of(received: &Received, name: &str) -> String {
    let message = MessageParser::default().parse(&received.data).unwrap();
    message.header_raw(name).unwrap_or_default().trim().replace("\r\n", "")
}

/// The first link under `base` with `path` (`/c/`, `/p/`, `/u/`) in `text`.
fn link(text: &str, base: &str, path: &str) -> String {
    let start =
        text.find(&format!("{base}{path}")).unwrap_or_else(|| panic!("no {path} link in {text}"));
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ":/._-+".contains(*c))
        .collect()
}

/// Adds a story dated `at` on `topic` to the site's articles.
fn add_story(site: &Site, stem: &str, title: &str, topic: &str, at: DateTime<FixedOffset>) {
    let body = format!(
        "+++\ntitle = \"{title}\"\ndate = {}\nurl = \"https://news.example.com/{stem}\"\nsource = \"Example News\"\ntopics = [\"{topic}\"]\n+++\n\n\
         A new story about {topic} broke this morning, with more to come. Officials gave details at noon.\n",
        at.to_rfc3339()
    );
    std::fs::write(site.path().join("articles").join(format!("{stem}.md")), body).unwrap();
}

#[test]
fn sign_up_confirm_receive_change_topics_and_leave_in_one_click() {
    let web =
        Web::start(&[Reader::new("ana@example.org", "Ana", &["climate"])], SmtpServer::start(), "");

    // 1. Sign up: the confirmation mail arrives through the configured delivery.
    let (status, page) = web.post(
        &format!("{}/subscribe", web.base),
        "email=New%40Example.org&name=New+Reader&topic=health&topic=bogus&website=",
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Check your inbox"));
    assert!(web.smtp.wait_for(1, Duration::from_secs(5)));
    let confirmation = &web.messages_to("new@example.org")[0];
    assert!(header_of(confirmation, "Subject").contains("Confirm your subscription"));
    let confirm = link(&text_of(confirmation), &web.base, "/c/");
    assert!(!confirm.contains('@'), "no address in any URL: {confirm}");

    // 2. A GET (a link scanner) confirms nothing; the POST does.
    let (status, _, page) = web.get(&confirm);
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(web.ledger().subscriber_by_email("new@example.org").unwrap().unwrap().pending);
    let (status, page) = web.post(&confirm, "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are subscribed"));
    assert!(!web.ledger().subscriber_by_email("new@example.org").unwrap().unwrap().pending);

    // 3. The run includes the address, with the topics chosen at sign-up.
    let report = web.run_at(now());
    assert_eq!(report.send.delivery.sent, 2, "{report:?}");
    let digest = web.messages_to("new@example.org").into_iter().last().unwrap();
    let html = html_of(&digest);
    assert!(html.contains("New vaccine enters trials"), "health only");
    assert!(!html.contains("Alpine glaciers shrink again"), "no climate");
    let one_click = header_of(&digest, "List-Unsubscribe");
    assert!(one_click.starts_with(&format!("<{}/u/", web.base)), "{one_click}");
    assert!(!one_click.contains("new@example.org") && !one_click.contains("new%40"), "{one_click}");
    assert_eq!(header_of(&digest, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert!(html.contains(">Manage topics</a>") && html.contains(">View in browser</a>"));
    assert!(html.contains("1 Quay Street, Harbour Town"));

    // 4. Change topics; the next run sends the new set.
    let preferences = link(&html, &web.base, "/p/");
    let (status, _, page) = web.get(&preferences);
    assert_eq!(status, 200);
    assert!(page.contains("value=\"health\" checked"), "{page}");
    let (status, _) = web.post(&preferences, "topic=climate");
    assert_eq!(status, 200);
    let tomorrow = now() + TimeDelta::hours(20);
    add_story(
        &web.site,
        "dam",
        "Dam levels fall in the climate heat",
        "climate",
        tomorrow - TimeDelta::hours(1),
    );
    add_story(
        &web.site,
        "clinic",
        "Clinic opens on health",
        "health",
        tomorrow - TimeDelta::hours(1),
    );
    web.run_at(tomorrow);
    let second = web.messages_to("new@example.org").into_iter().last().unwrap();
    let html = html_of(&second);
    assert!(html.contains("Dam levels fall"), "the new choice: climate");
    assert!(!html.contains("Clinic opens"), "health was dropped");

    // 5. One click, twice (idempotent); the next run skips the address.
    let unsubscribe = one_click[1..one_click.find('>').unwrap()].to_owned();
    for _ in 0..2 {
        let (status, _) = web.post(&unsubscribe, "List-Unsubscribe=One-Click");
        assert_eq!(status, 200);
    }
    let status = newsdigest::app::run::audience_status(&web.site.config()).unwrap();
    assert_eq!(status.suppressions.get("unsubscribed (one-click)"), Some(&1), "{status:?}");
    assert_eq!(
        status.subscribers.get(&("config".to_owned(), "active".to_owned())),
        Some(&1),
        "{status:?}"
    );
    assert_eq!(status.subscribers.len(), 1, "the sign-up left: {status:?}");
    let out = web.site.binary(&["status"], &[]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("subscribers: 1 active (config)\n"), "{printed}");
    assert!(printed.contains("suppressed: 1 (1 unsubscribed (one-click))\n"), "{printed}");
    let before = web.messages_to("new@example.org").len();
    let day3 = tomorrow + TimeDelta::hours(24);
    add_story(
        &web.site,
        "flood",
        "Flood barriers tested in the climate storm",
        "climate",
        day3 - TimeDelta::hours(1),
    );
    let report = web.run_at(day3);
    assert_eq!(web.messages_to("new@example.org").len(), before, "no digest after leaving");
    assert_eq!(report.send.suppressed, 1);
    assert_eq!(web.messages_to("ana@example.org").len(), 3, "the others still get theirs");
}

#[test]
fn forged_expired_and_misused_tokens_get_clear_pages_and_prefetches_change_nothing() {
    let web =
        Web::start(&[Reader::new("ana@example.org", "Ana", &["climate"])], SmtpServer::start(), "");
    web.run_at(now());
    let digest = web.messages_to("ana@example.org").pop().unwrap();
    let one_click = header_of(&digest, "List-Unsubscribe");
    let unsubscribe = one_click[1..one_click.find('>').unwrap()].to_owned();

    // A link scanner's GETs change nothing.
    for _ in 0..3 {
        let (status, headers, page) = web.get(&unsubscribe);
        assert_eq!(status, 200);
        assert!(page.contains("<button type=\"submit\">Unsubscribe</button>"));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script"), "{csp}");
        // Issue 12: the page carries its stylesheet, allowed by its hash; it loads nothing.
        let style = &page[page.find("<style>").unwrap() + 7..page.find("</style>").unwrap()];
        assert!(csp.contains(&style_source(style)), "{csp}");
        assert!(!page.contains("<link rel=\"stylesheet\""));
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["cache-control"], "no-store");
    }
    assert!(!web.ledger().is_suppressed("ana@example.org").unwrap());

    let signer = Signer::new(SECRET.as_bytes());
    let id = web.ledger().subscriber_by_email("ana@example.org").unwrap().unwrap().id;
    let forged = Signer::new(b"another secret").sign(Purpose::Unsubscribe, id, None);
    let expired = signer.sign(Purpose::Confirm, id, Some(now() - TimeDelta::hours(1)));
    let preferences = signer.sign(Purpose::Preferences, id, None);
    let unknown = signer.sign(Purpose::Unsubscribe, 999_999, None);
    for (url, status, says) in [
        (format!("{}/u/{forged}", web.base), 400, "This link is not valid"),
        (format!("{}/u/{}", web.base, &forged[..20]), 400, "This link is not valid"),
        (format!("{}/u/{preferences}", web.base), 400, "This link is not valid"),
        (format!("{}/c/{expired}", web.base), 410, "This link has expired"),
        (format!("{}/u/{unknown}", web.base), 404, "Unknown subscriber"),
    ] {
        let (got, _, page) = web.get(&url);
        assert_eq!(got, status, "{url}: {page}");
        assert!(page.contains(says), "{url}: {page}");
        let (got, page) = web.post(&url, "List-Unsubscribe=One-Click");
        assert_eq!(got, status, "POST {url}: {page}");
    }
    assert!(!web.ledger().is_suppressed("ana@example.org").unwrap());
    let (status, _, page) = web.get(&format!("{}/healthz", web.base));
    assert_eq!((status, page.as_str()), (200, "ok\n"));
}

#[test]
fn sign_ups_are_rate_limited_trapped_and_never_tell_who_is_subscribed() {
    let web = Web::start(&[Reader::new("ana@example.org", "Ana", &[])], SmtpServer::start(), "");
    let url = format!("{}/subscribe", web.base);
    let form = web.get(&url).2;
    assert!(form.contains("<label for=\"email\">") && form.contains("name=\"website\""));

    // The same answer for a new address, a subscribed one and a robot.
    let (_, fresh) = web.post_from(&url, "email=one%40example.org&website=", Some("198.51.100.1"));
    let (_, known) = web.post_from(&url, "email=ana%40example.org&website=", Some("198.51.100.2"));
    let (_, robot) = web.post_from(
        &url,
        "email=bot%40example.org&website=http%3A%2F%2Fspam",
        Some("198.51.100.3"),
    );
    let strip = |page: &str, email: &str| page.replace(email, "ADDRESS");
    assert_eq!(strip(&fresh, "one@example.org"), strip(&known, "ana@example.org"));
    assert_eq!(strip(&fresh, "one@example.org"), strip(&robot, "bot@example.org"));
    assert!(web.smtp.wait_for(1, Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(web.smtp.count(), 1, "only the new address gets a confirmation");
    assert!(web.ledger().subscriber_by_email("bot@example.org").unwrap().is_none());

    // At most three confirmations a day to one address, whoever asks.
    for client in ["198.51.100.4", "198.51.100.5", "198.51.100.6", "198.51.100.7"] {
        let (status, _) = web.post_from(&url, "email=one%40example.org", Some(client));
        assert_eq!(status, 200);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(web.messages_to("one@example.org").len(), 3);

    // At most ten sign-ups an hour from one client; then 429 with Retry-After.
    for n in 0..10 {
        let (status, _) =
            web.post_from(&url, &format!("email=r{n}%40example.org"), Some("203.0.113.50"));
        assert_eq!(status, 200);
    }
    let (status, page) = web.post_from(&url, "email=r10%40example.org", Some("203.0.113.50"));
    assert_eq!(status, 429, "{page}");

    // A bad address is told; a huge body is refused.
    let (status, page) = web.post_from(&url, "email=not-an-address", Some("192.0.2.9"));
    assert_eq!(status, 422, "{page}");
    let (status, _) = web.post_from(&url, &"x".repeat(20_000), Some("192.0.2.10"));
    assert_eq!(status, 413);
}

#[test]
fn an_unsubscribe_during_a_run_is_honoured_before_the_next_message() {
    // Each message takes 300 ms at the relay; the list goes out one at a time.
    let smtp = SmtpServer::with_script(Arc::new(|_, step: &Step| match step {
        Step::DataEnd(_) => Action::Delay(Duration::from_millis(300)),
        _ => Action::Accept,
    }));
    let readers: Vec<Reader> = (0..5)
        .map(|i| Reader::new(&format!("reader{i}@example.org"), &format!("Reader {i}"), &[]))
        .collect();
    let web = Web::start(&readers, smtp, "concurrency = 1");
    // The ledger gives reader4 its id when the run starts; sign its link from the row.
    let site_config = web.site.config();
    let run = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime.block_on(newsdigest::app::run::run(
            &site_config,
            &FixedClock(now()),
            newsdigest::app::run::RunOptions::default(),
            &mut (),
        ))
    });
    assert!(web.smtp.wait_for(1, Duration::from_secs(10)), "the run started sending");
    let id = web.ledger().subscriber_by_email("reader4@example.org").unwrap().unwrap().id;
    let token = Signer::new(SECRET.as_bytes()).sign(Purpose::Unsubscribe, id, None);
    let (status, _) = web.post(&format!("{}/u/{token}", web.base), "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    let report = run.join().unwrap().unwrap();
    assert!(web.messages_to("reader4@example.org").is_empty(), "left mid-run: nothing sent");
    assert_eq!(web.smtp.count(), 4);
    assert_eq!(report.send.suppressed, 1, "{report:?}");
    let status = web.ledger().status(Some(now().date_naive())).unwrap();
    let rows: usize = status.iter().flat_map(|edition| edition.counts.iter().map(|(_, n)| n)).sum();
    assert_eq!(rows, 4, "the unsent row is gone, so nothing is pending: {status:?}");
}

/// Issue 13: a list sent in shards keeps its web service. Each shard's links name the shard's
/// own address (`base_url`/shard-K-of-N, which a proxy sends to that shard's `serve`, the
/// prefix stripped), its service reads its own ledger, and a sign-up of another shard's
/// address is sent on to that shard, so every address is recorded in exactly one ledger.
#[test]
fn a_sharded_list_links_to_its_shards_service_and_sends_sign_ups_to_their_shard() {
    let shard = Shard { index: 1, count: 2 };
    let readers: Vec<Reader> = (0..8)
        .map(|i| Reader::new(&format!("reader{i}@example.org"), &format!("Reader {i}"), &[]))
        .collect();
    let web = Web::start_as(&readers, SmtpServer::start(), "", "", Some(shard));
    let mine: Vec<&Reader> = readers.iter().filter(|r| shard.contains(&r.email)).collect();
    assert!(!mine.is_empty() && mine.len() < readers.len(), "both shards have readers");

    // The shard's run: its own readers only, each message linking to the shard's service.
    let report = web.run_shard(shard);
    assert_eq!(report.send.delivery.sent, mine.len(), "{report:?}");
    let shard_base = format!("{}/shard-1-of-2", web.base);
    for reader in &mine {
        let messages = web.messages_to(&reader.email);
        assert_eq!(messages.len(), 1, "{}", reader.email);
        let one_click = header_of(&messages[0], "List-Unsubscribe");
        assert!(one_click.starts_with(&format!("<{shard_base}/u/")), "{one_click}");
    }

    // One click: the proxy strips the shard's path; the shard's ledger records the leave.
    let leaving = &mine[0].email;
    let one_click = header_of(&web.messages_to(leaving)[0], "List-Unsubscribe");
    let url = one_click[1..one_click.find('>').unwrap()].replace(&shard_base, &web.base);
    let (status, page) = web.post(&url, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200, "{page}");
    assert!(web.ledger().is_suppressed(leaving).unwrap());

    // Sign-ups: the shard's own address is taken here, another shard's is sent on there.
    let address = |wanted: u32| {
        (0..)
            .map(|i| format!("new{i}@example.org"))
            .find(|email| Shard::of(email, 2) == wanted)
            .unwrap()
    };
    let (own, other) = (address(1), address(2));
    let (status, headers, _) = web.post_with_headers(
        &format!("{}/subscribe", web.base),
        &format!("email={}", own.replace('@', "%40")),
    );
    assert_eq!(status, 200);
    assert!(headers.get("location").is_none());
    assert!(web.ledger().subscriber_by_email(&own).unwrap().unwrap().pending);
    assert!(web.smtp.wait_for(mine.len() + 1, Duration::from_secs(5)));
    let confirmation = text_of(&web.messages_to(&own)[0]);
    assert!(confirmation.contains(&format!("{shard_base}/c/")), "{confirmation}");
    let (status, headers, _) = web.post_with_headers(
        &format!("{}/subscribe", web.base),
        &format!("email={}&name=Other", other.replace('@', "%40")),
    );
    assert_eq!(status, 307, "another shard's address is sent on, the form kept");
    assert_eq!(
        headers.get("location").and_then(|value| value.to_str().ok()),
        Some(format!("{}/shard-2-of-2/subscribe", web.base).as_str())
    );
    assert!(web.ledger().subscriber_by_email(&other).unwrap().is_none(), "not recorded here");
    assert!(web.messages_to(&other).is_empty());
    // Sent on before this shard counts it: a client's limit (ten an hour) is spent where
    // its sign-ups are recorded.
    let form = format!("email={}", other.replace('@', "%40"));
    for _ in 0..12 {
        let (status, _) =
            web.post_from(&format!("{}/subscribe", web.base), &form, Some("203.0.113.9"));
        assert_eq!(status, 307);
    }
    let (status, page) = web.post_from(
        &format!("{}/subscribe", web.base),
        &format!("email={}", address_after(&own).replace('@', "%40")),
        Some("203.0.113.9"),
    );
    assert_eq!(status, 200, "{page}");
}

/// The next address after `email` that is in shard 1 of 2.
fn address_after(email: &str) -> String {
    (0..)
        .map(|i| format!("later{i}.{email}"))
        .find(|candidate| Shard::of(candidate, 2) == 1)
        .unwrap()
}

#[test]
fn the_archive_and_its_feed_show_editions_without_personal_parts() {
    let web = Web::start(
        &[
            Reader::new("ana@example.org", "Ana", &["climate"]),
            Reader::new("ben@example.org", "Ben", &[]),
        ],
        SmtpServer::start(),
        "",
    );
    let (status, _, page) = web.get(&format!("{}/", web.base));
    assert_eq!(status, 200);
    assert!(page.contains("No editions yet."));
    web.run_at(now());
    let date = now().date_naive().format("%Y-%m-%d").to_string();
    let (status, headers, page) = web.get(&format!("{}/archive/", web.base));
    assert_eq!(status, 200);
    assert!(page.contains(&format!("href=\"{}/archive/{date}/climate\"", web.base)), "{page}");
    assert!(page.contains(&format!("href=\"{}/archive/{date}/all\"", web.base)), "{page}");
    assert!(
        headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'")
    );

    let (status, _, edition) = web.get(&format!("{}/archive/{date}/climate", web.base));
    assert_eq!(status, 200);
    assert!(edition.contains(STORIES[0].title), "{edition}");
    for personal in
        ["You are receiving", "#unsubscribe", "Unsubscribe", "Manage topics", "/u/", "/p/"]
    {
        assert!(!edition.contains(personal), "{personal} on the public page");
    }
    assert!(edition.contains(&format!("href=\"{}/subscribe\"", web.base)));

    // Every email's "View in browser" leads to that page.
    let mail = web.messages_to("ana@example.org").pop().unwrap();
    assert!(html_of(&mail).contains(&format!("href=\"{}/archive/{date}/climate\"", web.base)));

    let (status, headers, feed) = web.get(&format!("{}/feed.xml", web.base));
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert_eq!(feed.matches("<entry>").count(), 2, "{feed}");
    assert!(feed.contains(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}/archive/{date}/climate\"/>",
        web.base
    )));

    for missing in ["/archive/2026-13-01/climate", "/archive/2020-01-01/climate", "/nowhere"] {
        assert_eq!(web.get(&format!("{}{missing}", web.base)).0, 404, "{missing}");
    }
}

/// `newsdigest subscribers list | add | remove | import | export` on the real binary.
#[test]
fn the_audience_is_managed_from_the_shell() {
    let site = Site::new(1, &[Reader::new("ana@example.org", "Ana", &["climate"])], "", "");
    let run = |args: &[&str]| {
        let out = site.binary(args, &[]);
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[
        "subscribers",
        "add",
        "New@Example.org",
        "--name",
        "New Reader",
        "--topics",
        "health,economy",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "New@Example.org: added\n");
    let (code, _, err) = run(&["subscribers", "add", "x@example.org", "--topics", "sport"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown topic(s) `sport`") && err.contains("known topics: climate"),
        "{err}"
    );
    let (code, _, err) = run(&["subscribers", "add", "\"quoted\"@example.org"]);
    assert_eq!(code, 2, "{err}");

    std::fs::write(
        site.path().join("more.csv"),
        "email,name,topics\nbea@example.org,Bea,climate;health\nnot-an-address,Nobody,\ncal@example.org,,sport\ndee@example.org,,\n",
    )
    .unwrap();
    let (code, out, err) = run(&["subscribers", "import", "more.csv"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("2 addresses added from `more.csv`, 2 refused"), "{out}");
    assert!(err.contains("`more.csv` line 3: `not-an-address`"), "{err}");
    assert!(
        err.contains("`more.csv` line 4: `cal@example.org`: unknown topic(s) `sport`"),
        "{err}"
    );

    let (code, out, _) = run(&["subscribers", "list"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "ana@example.org  active  config  climate  \"Ana\"\n\
         bea@example.org  active  shell  climate,health  \"Bea\"\n\
         dee@example.org  active  shell  every topic\n\
         new@example.org  active  shell  health,economy  \"New Reader\"\n\
         4 addresses\n"
    );

    let (_, out, _) = run(&["subscribers", "remove", "ana@example.org"]);
    assert!(out.contains("suppressed; the config lists it"), "{out}");
    let (_, out, _) = run(&["subscribers", "remove", "dee@example.org"]);
    assert_eq!(out, "dee@example.org: removed\n");
    let (code, out, _) = run(&["subscribers", "remove", "zed@example.org"]);
    assert_eq!((code, out.as_str()), (1, "zed@example.org: not on the list\n"));

    let (code, out, _) = run(&["subscribers", "export"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "email,name,topics,status,source,created_at,confirmed_at,suppressed");
    assert!(lines[1].starts_with("ana@example.org,Ana,climate,suppressed,config,"), "{}", lines[1]);
    assert!(
        lines[1].contains(",removed by the operator at 2026-11-26T07:00:00+01:00"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(
            "bea@example.org,Bea,climate;health,active,shell,2026-11-26T07:00:00+01:00,"
        ),
        "{}",
        lines[2]
    );
    assert_eq!(lines.len(), 4, "{out}");
    let (code, _, err) = run(&["subscribers", "export", "--output", "list.csv"]);
    assert_eq!(code, 0);
    assert_eq!(err, "3 addresses written to `list.csv`\n");
    assert_eq!(std::fs::read_to_string(site.path().join("list.csv")).unwrap(), out);
    let (_, json, _) = run(&["subscribers", "list", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value[2]["email"], "new@example.org");
    assert_eq!(value[2]["topics"], serde_json::json!(["health", "economy"]));
}

/// Issue 10's "done when": the README's sample, with `base_url` set, sends one-click headers
/// and footer links that work against a running `serve` (outbox delivery, the real binary for
/// `run`).
#[test]
fn the_readme_sample_with_base_url_links_to_a_working_service() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for folder in ["articles", "feeds"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(folder).join(entry.file_name())).unwrap();
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let config = std::fs::read_to_string(root.join("config.toml")).unwrap().replacen(
        "[delivery]\n",
        "[delivery]\nunsubscribe_secret_file = \"secret.txt\"\n",
        1,
    ) + &format!("\n[web]\nbase_url = \"{base}\"\n");
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsdigest"))
        .arg("run")
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let loaded = newsdigest::config::Config::load(&dir.path().join("config.toml")).unwrap();
    let service =
        newsdigest::web::Service::new(loaded, Arc::new(newsdigest::clock::SystemClock)).unwrap();
    let served = runtime.spawn(newsdigest::web::serve(service, listener, std::future::pending()));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();

    let day = std::fs::read_dir(dir.path().join("digests"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.is_dir() && path.join("outbox").is_dir())
        .unwrap();
    let eml = std::fs::read(day.join("outbox/ana@example.org.eml")).unwrap();
    let received = Received { mail_from: String::new(), rcpt_to: Vec::new(), data: eml };
    let html = html_of(&received);
    let one_click = header_of(&received, "List-Unsubscribe");
    assert_eq!(header_of(&received, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    let unsubscribe = one_click[1..one_click.find('>').unwrap()].to_owned();
    let preferences = link(&html, &base, "/p/");
    let view = link(&html, &base, "/archive/");
    runtime.block_on(async {
        let page = client.get(&view).send().await.unwrap();
        assert_eq!(page.status(), 200, "{view}");
        let page = page.text().await.unwrap();
        assert!(!page.contains("You are receiving") && !page.contains("/u/"), "{page}");
        let page = client.get(&preferences).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("ana@example.org"));
        let footer = client.get(link(&html, &base, "/u/")).send().await.unwrap();
        assert_eq!(footer.status(), 200, "the footer's link opens the page with the button");
        let done = client
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
    });
    let ledger = Ledger::open(&dir.path().join("digests/newsdigest.sqlite")).unwrap();
    assert!(ledger.is_suppressed("ana@example.org").unwrap());
    served.abort();
}

#[test]
fn closed_sign_ups_say_so() {
    let web = Web::start_with(&[], SmtpServer::start(), "", "signups = false");
    let (status, _, page) = web.get(&format!("{}/subscribe", web.base));
    assert_eq!(status, 404);
    assert!(page.contains("Sign-ups are closed"));
    let (status, _) = web.post(&format!("{}/subscribe", web.base), "email=a%40example.org");
    assert_eq!(status, 404);
    assert!(!web.get(&format!("{}/archive/", web.base)).2.contains("/subscribe\""));
    assert_eq!(web.smtp.count(), 0);
}

/// `serve` answers `/healthz`, and on SIGTERM (systemd's stop) finishes and exits 0.
#[test]
fn serve_stops_gracefully_on_sigterm() {
    let site = Site::new(1, &[], "unsubscribe_secret_file = \"secret.txt\"", "");
    std::fs::write(site.path().join("secret.txt"), SECRET).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut text = std::fs::read_to_string(site.config_path()).unwrap();
    text.push_str(&format!("\n[web]\nbase_url = \"http://127.0.0.1:{port}\"\n"));
    std::fs::write(site.config_path(), text).unwrap();
    let mut child = site
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")], &[])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let healthy = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut stream| {
            use std::io::{Read, Write};
            let _ =
                stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok\n")
        })
    });
    assert!(healthy, "serve answers /healthz");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = (0..200).find_map(|_| {
        std::thread::sleep(Duration::from_millis(25));
        child.try_wait().unwrap()
    });
    let Some(status) = stopped else {
        let _ = child.kill();
        panic!("serve did not stop on SIGTERM");
    };
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains(&format!("serving on http://127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.ends_with("stopped\n"), "{stderr}");
}

/// `serve` keeps no row of a long list (the config is loaded as the binary loads it): it reads
/// the list once into an index of hashed addresses. An address the file lists signs up as
/// already subscribed, and its preferences page shows the topics the file gives it; one
/// that is not listed is taken as a new sign-up.
#[test]
fn the_service_knows_a_long_lists_addresses_without_keeping_its_rows() {
    let web = Web::start_behind(
        &[Reader::new("ana@example.org", "Ana", &["climate"])],
        SmtpServer::start(),
        "",
        "",
        None,
        None,
        Some("email,name,topics\nBea@Example.org,Bea,health\ncal@example.org,,\n"),
    );
    assert!(web.config.subscribers.len() == 1, "the file's rows are not kept");
    // Before any run, only the list says who is subscribed.
    for (email, listed) in
        [("BEA@example.org", true), ("ana@example.org", true), ("new@example.org", false)]
    {
        let (status, _) = web.post_from(
            &format!("{}/subscribe", web.base),
            &format!("email={}", email.replace('@', "%40")),
            None,
        );
        assert_eq!(status, 200, "{email}");
        let pending = web
            .ledger()
            .subscriber_by_email(&email.to_ascii_lowercase())
            .unwrap()
            .is_some_and(|s| s.pending);
        assert_eq!(pending, !listed, "{email}");
    }
    web.run_at(now());
    let bea = web.ledger().subscriber_by_email("bea@example.org").unwrap().unwrap();
    let preferences = Signer::new(SECRET.as_bytes()).sign(Purpose::Preferences, bea.id, None);
    let (status, _, page) = web.get(&format!("{}/p/{preferences}", web.base));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("value=\"health\" checked"), "{page}");
    assert!(!page.contains("value=\"climate\" checked"), "{page}");
}

/// A Mailgun webhook event (`failed` or `complained`) for `recipient`, signed with `key`.
fn mailgun_event(id: &str, event: &str, recipient: &str, timestamp: i64, key: &str) -> String {
    use hmac::Mac as _;
    let token = format!("token-{id}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{timestamp}{token}").as_bytes());
    let signature: String =
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({
        "signature": {"timestamp": timestamp.to_string(), "token": token, "signature": signature},
        "event-data": {
            "id": id, "event": event, "severity": "permanent", "recipient": recipient,
            "delivery-status": {"code": 550, "message": "5.1.1 The email account does not exist", "description": ""},
            "message": {"headers": {"message-id": "x@news.example.org"}}
        }
    })
    .to_string()
}

/// A sharded list takes the webhooks at every shard: a report about another shard's
/// subscriber is sent on, through the proxy, to that shard, which checks its signature and
/// applies it in its own ledger; the provider gets that shard's answer.
#[test]
fn a_shards_webhook_sends_another_shards_report_on_to_its_shard() {
    let readers: Vec<Reader> = (0..8)
        .map(|i| Reader::new(&format!("reader{i}@example.org"), &format!("Reader {i}"), &[]))
        .collect();
    let proxy = Proxy::start();
    let hooks = "[bounces]\nmailgun_key_file = \"mailgun.key\"";
    let (one, two) = (Shard { index: 1, count: 2 }, Shard { index: 2, count: 2 });
    let start = |shard| {
        Web::start_behind(
            &readers,
            SmtpServer::start(),
            "",
            hooks,
            Some(shard),
            Some(&proxy.base),
            None,
        )
    };
    let (first, second) = (start(one), start(two));
    proxy.route(one, &first);
    proxy.route(two, &second);
    assert!(first.run_shard(one).send.delivery.sent > 0);
    assert!(second.run_shard(two).send.delivery.sent > 0);
    let of =
        |shard: Shard| readers.iter().find(|r| shard.contains(&r.email)).unwrap().email.clone();
    let (mine, theirs) = (of(one), of(two));
    let url = format!("{}/hooks/mailgun", first.base);
    let at = now().timestamp();

    // Shard 1 gets a hard bounce of shard 2's reader: sent on, applied there only.
    let report = mailgun_event("e1", "failed", &theirs, at, MAILGUN_KEY);
    let (status, answer) = first.post_json(&url, &report, &[]);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.starts_with("sent on to shard 2/2: Suppressed(\"bounced (hard"), "{answer}");
    assert!(second.ledger().is_suppressed(&theirs).unwrap());
    assert!(!first.ledger().is_suppressed(&theirs).unwrap());
    // The provider's retry: shard 2 has it already.
    assert_eq!(
        first.post_json(&url, &report, &[]),
        (200, "sent on to shard 2/2: Duplicate\n".to_owned())
    );
    // Shard 2 checks the signature itself.
    let forged = mailgun_event("e2", "complained", &theirs, at, "wrong key");
    assert_eq!(first.post_json(&url, &forged, &[]).0, 401);
    // Its own reader's report is applied here.
    let (status, answer) =
        first.post_json(&url, &mailgun_event("e3", "complained", &mine, at, MAILGUN_KEY), &[]);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.starts_with("Suppressed(\"complaint"), "{answer}");
    assert!(first.ledger().is_suppressed(&mine).unwrap());
    // A report one shard sent on is never sent on again (shards that count otherwise).
    let again = mailgun_event("e4", "failed", &theirs, at, MAILGUN_KEY);
    let (status, _) = first.post_json(&url, &again, &[("x-newsdigest-forwarded", "1")]);
    assert_eq!(status, 421);
    // Shard 2 out of reach: the provider gets a failure and tries again later; nothing is
    // applied here meanwhile.
    let other = readers.iter().rev().find(|r| two.contains(&r.email)).unwrap().email.clone();
    assert_ne!(other, theirs, "shard 2 has two readers");
    let later = mailgun_event("e5", "failed", &other, at, MAILGUN_KEY);
    proxy.backends.lock().unwrap().clear();
    assert_eq!(first.post_json(&url, &later, &[]).0, 502, "the proxy's answer");
    drop(proxy);
    let (status, answer) = first.post_json(&url, &later, &[]);
    assert_eq!((status, answer.as_str()), (503, "cannot reach the subscriber's shard\n"));
    assert!(!second.ledger().is_suppressed(&other).unwrap());
    assert!(!first.ledger().is_suppressed(&other).unwrap());
}

/// Issue 11: Mailgun's signed webhooks suppress a hard bounce and a complaint; a retry
/// changes nothing; a bad or stale signature is refused.
#[test]
fn mailgun_webhooks_are_verified_and_applied_once() {
    let web = Web::start_with(
        &[Reader::new("ana@example.org", "Ana", &[]), Reader::new("ben@example.org", "Ben", &[])],
        SmtpServer::start(),
        "",
        "[bounces]\nmailgun_key_file = \"mailgun.key\"",
    );
    web.run_at(now());
    let url = format!("{}/hooks/mailgun", web.base);
    let event = mailgun_event;
    let post = |body: String| {
        web.runtime.block_on(async {
            let response = web
                .client
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    let at = now().timestamp();
    let (status, body) = post(event("e1", "failed", "ana@example.org", at, MAILGUN_KEY));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Suppressed(\"bounced (hard: userunknown)\")"), "{body}");
    let (status, body) = post(event("e1", "failed", "ana@example.org", at, MAILGUN_KEY));
    assert_eq!((status, body.as_str()), (200, "Duplicate\n"));
    assert_eq!(post(event("e2", "failed", "ben@example.org", at, "wrong key")).0, 401);
    assert_eq!(
        post(event("e3", "failed", "ben@example.org", at - 3600, MAILGUN_KEY)).0,
        401,
        "stale"
    );
    assert!(!web.ledger().is_suppressed("ben@example.org").unwrap());
    let (status, body) = post(event("e4", "complained", "ben@example.org", at, MAILGUN_KEY));
    assert_eq!(status, 200, "{body}");
    assert!(web.ledger().is_suppressed("ben@example.org").unwrap());
    assert_eq!(post("not json".to_owned()).0, 406);
}

/// Issue 11: SES notifications through SNS: the subscription is confirmed, a signed bounce is
/// applied once, and a changed message, another topic or a certificate off SNS's host is
/// refused.
#[test]
fn ses_notifications_through_sns_are_verified_and_applied_once() {
    let web = Web::start_with(
        &[Reader::new("ana@example.org", "Ana", &[])],
        SmtpServer::start(),
        "",
        "[bounces]\nses_topic_arn = \"arn:aws:sns:eu-west-1:123456789012:ses-bounces\"",
    );
    web.run_at(now());
    let url = format!("{}/hooks/ses", web.base);
    let post = |body: String| {
        web.runtime.block_on(async {
            let response = web.client.post(&url).body(body).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    let read =
        |name: &str| std::fs::read_to_string(common::fixture(&format!("sns/{name}"))).unwrap();

    let (status, body) = post(read("subscription-confirmation.json"));
    assert_eq!((status, body.as_str()), (200, "subscribed\n"));
    let fetched = web.sns_fetched.lock().unwrap().clone();
    assert!(
        fetched
            .iter()
            .any(|u| u.contains("Action=ConfirmSubscription") && u.contains("Token=tok-123")),
        "{fetched:?}"
    );

    let notification = read("bounce-notification.json");
    let (status, body) = post(notification.clone());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Suppressed(\"bounced (hard: userunknown)\")"), "{body}");
    assert!(web.ledger().is_suppressed("ana@example.org").unwrap());
    let (status, body) = post(notification.clone());
    assert_eq!((status, body.as_str()), (200, "Duplicate\n"));

    let changed = notification.replace("5.1.1 user unknown", "5.1.1 user unknown!");
    assert_eq!(post(changed).0, 403, "a changed message fails its signature");
    let other_topic = notification.replace("ses-bounces", "other-topic");
    assert_eq!(post(other_topic).0, 403);
    let off_host = notification.replace(
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
        "https://evil.example/cert.pem",
    );
    assert_eq!(post(off_host).0, 403);
    assert_eq!(post("not json".to_owned()).0, 400);
    // The certificate was fetched once, then reused.
    let certs = web.sns_fetched.lock().unwrap().iter().filter(|u| u.ends_with(".pem")).count();
    assert_eq!(certs, 1);
}

/// The CSP source that allows one inline stylesheet: `'sha256-<base64 of its SHA-256>'`.
fn style_source(style: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(style.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}
