//! Feeds over real HTTP on 127.0.0.1 (wiremock): every format and charset, teasers with their
//! linked pages, the same story in two feeds, every kind of failure, and conditional GET
//! across runs with a failed send in between.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use common::fixture;
use common::smtp::{Action, SmtpServer, Step};
use newsdigest::app::gather::{FeedReport, FeedState, gather};
use newsdigest::app::run::{RunOptions, RunReport, run};
use newsdigest::clock::FixedClock;
use newsdigest::config::Config;
use newsdigest::ingest::fetch::FailureCategory;
use newsdigest::ledger::Status;
use newsdigest::model::Article;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: &str = "2026-11-26T07:00:00+01:00";

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(NOW).unwrap()
}

const TOPICS: &str = r#"
[[topics]]
id = "climate"
keywords = ["flood", "storm"]
[[topics]]
id = "technology"
keywords = ["chip"]
[[topics]]
id = "science"
keywords = ["comet"]
[[topics]]
id = "health"
keywords = ["vaccine"]
[[topics]]
id = "economy"
keywords = ["interest rate"]
"#;

/// A config in a temporary folder with these `[[sources]]` lines and extra TOML.
fn site(sources: &str, extra: &str) -> (tempfile::TempDir, Config) {
    site_with_window(sources, extra, "24h")
}

/// The same, with another selection window (runs on several days).
fn site_with_window(sources: &str, extra: &str, window: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[select]\nwindow = \"{window}\"\nmax_per_topic = 10\nother_section = \"Other news\"\n\
         [fetch]\ntimeout = \"2s\"\nmax_bytes = 200000\nallow_private = [\"127.0.0.1\"]\n\
         {TOPICS}{sources}\n{extra}"
    );
    std::fs::write(dir.path().join("config.toml"), &text).unwrap();
    let config = Config::load(&dir.path().join("config.toml")).unwrap();
    (dir, config)
}

fn feed_source(id: &str, url: &str) -> String {
    format!("[[sources]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{url}\"\n")
}

async fn serve(server: &MockServer, route: &str, body: Vec<u8>, content_type: &str) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
        .mount(server)
        .await;
}

async fn articles(config: &Config) -> (Vec<Article>, Vec<FeedReport>) {
    let (loaded, reports) = gather(config, FeedState::Read(None), now()).await.unwrap();
    (loaded.articles.into_iter().map(|item| item.article).collect(), reports)
}

fn titled<'a>(articles: &'a [Article], title: &str) -> &'a Article {
    articles.iter().find(|article| article.title == title).unwrap_or_else(|| {
        panic!("no `{title}` among {:?}", articles.iter().map(|a| &a.title).collect::<Vec<_>>())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_feed_format_and_charset_is_read() {
    let server = MockServer::start().await;
    let formats = [
        ("/rss2", "rss2.xml", "application/rss+xml"),
        ("/atom", "atom.xml", "application/atom+xml"),
        ("/rss1", "rss1.rdf", "application/rdf+xml"),
        ("/rss091", "rss091.xml", "text/xml"),
        ("/json", "feed.json", "application/feed+json"),
        ("/cp1251", "cp1251.xml", "application/xml"),
        ("/latin1", "latin1.xml", "text/xml; charset=ISO-8859-1"),
    ];
    let mut sources = String::new();
    for (route, file, content_type) in formats {
        let body = std::fs::read(fixture(&format!("feeds/{file}"))).unwrap();
        serve(&server, route, body, content_type).await;
        sources.push_str(&feed_source(&route[1..], &format!("{}{route}", server.uri())));
    }
    let (_dir, config) = site(&sources, "");
    let (articles, reports) = articles(&config).await;
    assert!(reports.iter().all(|r| r.failure.is_none()), "{reports:?}");
    assert_eq!(articles.len(), 7);

    let seawall = titled(&articles, "Harbour authority approves a new seawall");
    assert_eq!(seawall.url.as_deref(), Some("https://harbour.example.com/seawall"));
    assert_eq!(seawall.source, "Harbour Herald");
    assert_eq!(seawall.author.as_deref(), Some("Mara Quint"));
    assert_eq!(seawall.paragraphs.len(), 3);
    assert_eq!(seawall.published.unwrap().to_rfc3339(), "2026-11-26T05:10:00+00:00");
    assert_eq!(seawall.id.as_str(), "guid:rss2:herald-1001");
    assert_eq!(seawall.tags, ["Climate"]);

    let chip = titled(&articles, "Chip plant opens ahead of schedule");
    assert_eq!(chip.source, "Valley Technology Review");
    assert_eq!(chip.paragraphs.len(), 2);
    let comet = titled(&articles, "Amateur astronomers spot a new comet");
    assert_eq!(comet.published.unwrap().to_rfc3339(), "2026-11-26T04:30:00+00:00");
    let clinics = titled(&articles, "Clinics extend their opening hours for the vaccine campaign");
    assert_eq!(clinics.published, Some(now()), "undated: the time it was first fetched");
    let rates = titled(&articles, "Central bank signals a pause in rate rises");
    assert_eq!(rates.source, "Market Morning");
    assert_eq!(rates.id.as_str(), "guid:json:mm-77");
    let bridge = titled(&articles, "Новый мост через реку открыт");
    assert_eq!(bridge.source, "Северные новости");
    let cafe = titled(&articles, "Le café rouvre après les travaux");
    assert_eq!(cafe.source, "Le Café du Village");
}

#[tokio::test(flavor = "multi_thread")]
async fn teasers_are_replaced_by_the_linked_page() {
    let server = MockServer::start().await;
    let base = server.uri();
    let feed = format!(
        r#"<rss version="2.0"><channel><title>Teasers</title>
        <item><title>Storm closes the coast road</title><link>{base}/pages/storm.html</link>
          <pubDate>Thu, 26 Nov 2026 05:00:00 GMT</pubDate><description>Read more on our site.</description></item>
        <item><title>Flood barriers tested</title><link>{base}/pages/missing.html</link>
          <pubDate>Thu, 26 Nov 2026 05:00:00 GMT</pubDate><description>Barriers were tested.</description></item>
        </channel></rss>"#
    );
    serve(&server, "/teasers", feed.into_bytes(), "application/rss+xml").await;
    let page = "<!DOCTYPE html><html><head><title>Storm closes the coast road | Teasers</title></head>\
        <body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Storm closes the coast road</h1>\
        <p>A winter storm closed the coast road on Thursday morning after waves threw rocks and sand across both lanes near the lighthouse.</p>\
        <p>Police said the road would stay closed until engineers had checked the sea wall, which was damaged in two places during the night.</p>\
        <p>Buses to the fishing villages will take the inland route, adding about forty minutes to each journey, the transport company said.</p>\
        </article><footer>Copyright Teasers</footer></body></html>";
    serve(&server, "/pages/storm.html", page.as_bytes().to_vec(), "text/html; charset=utf-8").await;
    Mock::given(method("GET"))
        .and(path("/pages/missing.html"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let (_dir, config) = site(&feed_source("teasers", &format!("{base}/teasers")), "");
    let (articles, reports) = articles(&config).await;
    let storm = titled(&articles, "Storm closes the coast road");
    assert_eq!(storm.paragraphs.len(), 3, "{:?}", storm.paragraphs);
    assert!(storm.paragraphs[0].starts_with("A winter storm closed the coast road"));
    let barriers = titled(&articles, "Flood barriers tested");
    assert_eq!(barriers.paragraphs, ["Barriers were tested."], "the teaser stands in");
    assert_eq!(
        reports[0].notes,
        [format!(
            "full article {base}/pages/missing.html: HTTP 404 Not Found (http-404); the feed's teaser is used"
        )]
    );
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0].headers.get("user-agent").unwrap().to_str().unwrap().to_owned();
    assert!(agent.starts_with("newsdigest/"), "{agent}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_story_in_two_feeds_appears_once_with_also_in() {
    let server = MockServer::start().await;
    let wire = "Emergency crews evacuated two hundred homes along the river on Wednesday night as the water rose faster than forecast, officials said. The flood is expected to peak on Friday.";
    let feed = |title: &str, name: &str, link: &str, time: &str, own: &str| {
        let slug = name.replace(' ', "-");
        format!(
            r#"<rss version="2.0"><channel><title>{name}</title><item><title>{title}</title>
            <link>{link}</link><pubDate>{time}</pubDate><description>{wire}</description></item>
            <item><title>Chip news from {name}</title><link>https://chips.example.com/{slug}</link><pubDate>{time}</pubDate>
            <description>{own}</description></item>
            </channel></rss>"#
        )
    };
    serve(&server, "/a", feed("River flood forces evacuations", "Daily A", "https://a.example.com/flood", "Thu, 26 Nov 2026 05:00:00 GMT",
        "A chip maker in the east of the city hired sixty engineers for a design centre that opens in March.").into_bytes(), "application/rss+xml").await;
    serve(&server, "/b", feed("Hundreds evacuated as river floods", "Courier B", "https://b.example.com/story/99", "Thu, 26 Nov 2026 04:00:00 GMT",
        "Shares in the regional chip supplier rose sharply after it won an order from a carmaker in Bavaria.").into_bytes(), "application/rss+xml").await;
    // A third outlet links the first one's story, with tracking parameters.
    serve(
        &server,
        "/c",
        feed(
            "Flood: the story so far",
            "Gazette C",
            "https://A.example.com/flood?utm_source=x",
            "Thu, 26 Nov 2026 03:00:00 GMT",
            "Students at the technical college built a tiny chip that counts birds by their songs.",
        )
        .into_bytes(),
        "application/rss+xml",
    )
    .await;
    let sources = [("a", "/a"), ("b", "/b"), ("c", "/c")]
        .map(|(id, route)| feed_source(id, &format!("{}{route}", server.uri())))
        .join("\n");
    let (_dir, config) = site(&sources, "");
    let (loaded, _) = gather(&config, FeedState::Read(None), now()).await.unwrap();
    let selection = newsdigest::select::select(loaded.articles, &config.select, now());
    let floods: Vec<&Article> = selection
        .articles
        .iter()
        .map(|item| &item.article)
        .filter(|article| article.title.contains("lood") || article.title.contains("vacuated"))
        .collect();
    assert_eq!(floods.len(), 1, "{floods:?}");
    assert_eq!(floods[0].title, "River flood forces evacuations", "the newest is kept");
    assert_eq!(floods[0].also_in(), ["Courier B", "Gazette C"]);
    assert_eq!(selection.articles.len(), 4, "three chip stories in their own words stay apart");

    // The digest says so, in both parts.
    let digest_dir = _dir.path().join("digests");
    std::fs::create_dir_all(&digest_dir).unwrap();
    let report = newsdigest::app::preview(&config, now()).await.unwrap();
    let text = std::fs::read_to_string(&report.digests[0].text).unwrap();
    assert!(text.contains("Also in: Courier B, Gazette C"), "{text}");
    let html = std::fs::read_to_string(&report.digests[0].html).unwrap();
    assert!(html.contains("Also in: Courier B, Gazette C"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_source_never_stops_the_others() {
    let server = MockServer::start().await;
    let good = std::fs::read(fixture("feeds/rss2.xml")).unwrap();
    serve(&server, "/good", good, "application/rss+xml").await;
    let status = |code: u16| ResponseTemplate::new(code);
    let routes: [(&str, ResponseTemplate); 6] = [
        ("/missing", status(404)),
        ("/gone", status(410)),
        ("/busy", status(429).insert_header("Retry-After", "120")),
        ("/broken", status(503)),
        ("/slow", status(200).set_body_string("<rss/>").set_delay(Duration::from_secs(5))),
        ("/huge", status(200).set_body_string(format!("<rss>{}</rss>", "x".repeat(300_000)))),
    ];
    for (route, response) in routes {
        Mock::given(method("GET")).and(path(route)).respond_with(response).mount(&server).await;
    }
    serve(
        &server,
        "/page",
        b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>".to_vec(),
        "text/html",
    )
    .await;
    let partial = format!(
        "<rss version=\"2.0\"><channel><title>Partial</title>\
         <item><title>Readable storm item</title><link>https://p.example.com/1</link>\
         <pubDate>Thu, 26 Nov 2026 05:00:00 GMT</pubDate><description>{}</description></item>\
         <item><title>Broken <b>item</title></item><item><title>cut off",
        "A storm brought down trees across the county overnight and left ten thousand homes without power."
    );
    serve(&server, "/partial", partial.into_bytes(), "application/rss+xml").await;
    let port = server.address().port();
    let mut sources = String::new();
    for route in ["good", "missing", "gone", "busy", "broken", "slow", "huge", "page", "partial"] {
        sources.push_str(&feed_source(route, &format!("{}/{route}", server.uri())));
    }
    sources.push_str(&feed_source("tls", &format!("https://127.0.0.1:{port}/good")));
    sources.push_str(&feed_source("nofile", "no/such/feed.xml"));
    let (_dir, config) = site(&sources, "");
    let (articles, reports) = articles(&config).await;

    let category = |id: &str| {
        let report = reports.iter().find(|r| r.source_id == id).unwrap();
        report.failure.as_ref().map(|failure| (failure.category, failure.reason.clone()))
    };
    assert_eq!(category("good"), None);
    assert_eq!(category("missing").unwrap().0, FailureCategory::NotFound);
    assert_eq!(
        category("gone").unwrap(),
        (FailureCategory::Gone, "HTTP 410 Gone: the feed is gone; remove the source".to_owned())
    );
    assert_eq!(
        category("busy").unwrap(),
        (FailureCategory::RateLimited, "HTTP 429 Too Many Requests, Retry-After: 120".to_owned())
    );
    assert_eq!(category("broken").unwrap().0, FailureCategory::ServerError);
    assert_eq!(category("slow").unwrap().0, FailureCategory::Timeout);
    assert_eq!(category("huge").unwrap().0, FailureCategory::TooLarge);
    assert_eq!(category("page").unwrap().0, FailureCategory::NotAFeed);
    assert_eq!(category("tls").unwrap().0, FailureCategory::Tls, "{:?}", category("tls"));
    let nofile = category("nofile").unwrap();
    assert_eq!(nofile.0, FailureCategory::File);
    assert!(nofile.1.starts_with("cannot read `"), "{}", nofile.1);
    assert_eq!(category("partial"), None);
    let partial = reports.iter().find(|r| r.source_id == "partial").unwrap();
    assert!(
        partial.notes[0].starts_with("read 1 items of a malformed feed"),
        "{:?}",
        partial.notes
    );

    let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Harbour authority approves a new seawall", "Readable storm item"]);
}

/// A run against a config, at `at`.
async fn run_at(config: &Config, at: &str) -> RunReport {
    let clock = FixedClock(DateTime::parse_from_rfc3339(at).unwrap());
    run(config, &clock, RunOptions::default(), &mut ()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_304_never_hides_items_that_were_not_sent() {
    let server = MockServer::start().await;
    let body = std::fs::read(fixture("feeds/rss2.xml")).unwrap();
    Mock::given(method("GET"))
        .and(path("/feed"))
        .and(header("If-None-Match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body, "application/rss+xml")
                .insert_header("ETag", "\"v1\""),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let accepting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&accepting);
    let smtp = SmtpServer::with_script(Arc::new(move |_: usize, step: &Step| match step {
        Step::Mail if !flag.load(std::sync::atomic::Ordering::SeqCst) => {
            Action::Reply("451 4.3.0 try again later".to_owned())
        }
        _ => Action::Accept,
    }));
    let extra = format!(
        "[[subscribers]]\nemail = \"ana@example.org\"\n\
         [delivery]\nmode = \"smtp\"\nfrom = \"d@example.org\"\nmax_attempts = 1\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout = \"2s\"\n",
        smtp.port
    );
    let (_dir, config) =
        site_with_window(&feed_source("herald", &format!("{}/feed", server.uri())), &extra, "48h");

    // Day one: the feed is fetched, the send fails.
    let first = run_at(&config, NOW).await;
    assert_eq!(first.feeds[0].fetched, 1);
    assert_eq!(first.send.delivery.count(Status::FailedTransient), 1);
    let (_, feeds) = newsdigest::app::run::status(&config, None).unwrap();
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0].checked_at, "2026-11-26T07:00:00+01:00");
    assert!(feeds[0].conditional, "the ETag is kept");
    assert_eq!(feeds[0].items, 1);

    // Day two: the feed answers 304; the stored item is still offered, and delivered.
    accepting.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = run_at(&config, "2026-11-27T07:00:00+01:00").await;
    assert!(second.feeds[0].not_modified, "{:?}", second.feeds[0]);
    assert_eq!(second.feeds[0].items, 1);
    assert_eq!(second.send.delivery.count(Status::Sent), 1);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert!(
        String::from_utf8_lossy(&received[0].data)
            .contains("Harbour authority approves a new seawall")
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].headers.get("if-none-match").unwrap(), "\"v1\"");

    // Day three: sent yesterday, so not repeated, although the store still offers it.
    let third = run_at(&config, "2026-11-28T06:00:00+01:00").await;
    assert_eq!(third.already_sent_articles, 1);
    assert_eq!(third.send.planned, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_and_redirects() {
    let server = MockServer::start().await;
    let gz = std::fs::read(fixture("feeds/rss2.xml.gz")).unwrap();
    Mock::given(method("GET"))
        .and(path("/gz"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(gz, "application/rss+xml")
                .insert_header("Content-Encoding", "gzip"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/moved"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/gz"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/loop"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/loop"))
        .mount(&server)
        .await;
    let sources = ["gz", "moved", "loop"]
        .map(|route| feed_source(route, &format!("{}/{route}", server.uri())))
        .join("\n");
    let (_dir, config) = site(&sources, "");
    let (articles, reports) = articles(&config).await;
    assert_eq!(reports[0].failure, None);
    assert_eq!(reports[1].failure, None, "a redirect is followed");
    assert_eq!(reports[2].failure.as_ref().unwrap().category, FailureCategory::Redirects);
    let requests = server.received_requests().await.unwrap();
    let loops = requests.iter().filter(|r| r.url.path() == "/loop").count();
    assert_eq!(loops, 6, "the first request and five redirects");
    assert!(requests[0].headers.get("accept-encoding").unwrap().to_str().unwrap().contains("gzip"));
    // One story once: the same item through two sources.
    let (loaded, _) = gather(&config, FeedState::Read(None), now()).await.unwrap();
    let selection = newsdigest::select::select(loaded.articles, &config.select, now());
    assert_eq!(articles.len(), 2);
    assert_eq!(selection.articles.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_back_under_a_new_guid_is_not_sent_again() {
    let server = MockServer::start().await;
    let item = |guid: &str| {
        format!(
            "<rss version=\"2.0\"><channel><title>Herald</title><item><title>Harbour seawall approved</title>\
             <link>https://harbour.example.com/seawall</link><guid>{guid}</guid>\
             <pubDate>Thu, 26 Nov 2026 05:00:00 GMT</pubDate><description>The harbour authority \
             approved a seawall on Wednesday to protect the old town from storm surges.</description></item></channel></rss>"
        )
    };
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(item("g1"), "application/rss+xml"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(item("g2"), "application/rss+xml"))
        .with_priority(2)
        .mount(&server)
        .await;
    let extra = "[[subscribers]]\nemail = \"ana@example.org\"\n";
    let (_dir, config) =
        site_with_window(&feed_source("herald", &format!("{}/feed", server.uri())), extra, "48h");
    let first = run_at(&config, NOW).await;
    assert_eq!(first.send.delivery.count(Status::Sent), 1);
    let second = run_at(&config, "2026-11-27T07:00:00+01:00").await;
    assert_eq!(second.feeds[0].fetched, 1);
    assert_eq!(second.already_sent_articles, 2, "the old and the new GUID, one link");
    assert_eq!(second.send.planned, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_request_at_a_time_per_host() {
    let server = MockServer::start().await;
    let body = std::fs::read(fixture("feeds/rss2.xml")).unwrap();
    for route in ["/one", "/two", "/three"] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(body.clone(), "application/rss+xml")
                    .set_delay(Duration::from_millis(300)),
            )
            .mount(&server)
            .await;
    }
    let sources = ["one", "two", "three"]
        .map(|route| feed_source(route, &format!("{}/{route}", server.uri())))
        .join("\n");
    let (_dir, config) = site(&sources, "");
    let started = std::time::Instant::now();
    let (_, reports) = articles(&config).await;
    assert!(reports.iter().all(|report| report.failure.is_none()));
    // Three requests of 300 ms to one host, never two at once: at least 900 ms.
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_across_runs() {
    let server = MockServer::start().await;
    let body = std::fs::read(fixture("feeds/rss2.xml")).unwrap();
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml"))
        .with_priority(2)
        .mount(&server)
        .await;
    let (_dir, config) = site(&feed_source("herald", &format!("{}/feed", server.uri())), "");
    let first = run_at(&config, NOW).await;
    assert_eq!(first.feeds[0].failure.as_ref().unwrap().category, FailureCategory::RateLimited);
    // Ten minutes later: the server said an hour, so it is not asked.
    let second = run_at(&config, "2026-11-26T07:10:00+01:00").await;
    assert_eq!(second.feeds[0].failure, None);
    assert_eq!(
        second.feeds[0].notes,
        [
            "not fetched: the server asked to wait until 2026-11-26T08:00:00+01:00 (Retry-After); stored items used"
        ]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let (_, feeds) = newsdigest::app::run::status(&config, None).unwrap();
    assert_eq!(feeds[0].retry_after.as_deref(), Some("2026-11-26T08:00:00+01:00"));
    // After the hour, it is fetched again.
    let third = run_at(&config, "2026-11-26T08:05:00+01:00").await;
    assert_eq!(third.feeds[0].fetched, 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
