//! Delivery over real SMTP on 127.0.0.1: every subscriber gets exactly one message with their
//! own topics, transient faults are retried, permanent refusals are recorded, state survives
//! and a second run sends nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::site::{Reader, STORIES, Site, now, readers};
use common::smtp::{Action, Received, SmtpServer, Step};
use mail_parser::{MessageParser, MimeHeaders};
use newsdigest::ledger::Status;

fn parse(received: &Received) -> mail_parser::Message<'_> {
    MessageParser::default().parse(&received.data).expect("a parseable message")
}

fn header(message: &mail_parser::Message<'_>, name: &str) -> String {
    message
        .header_raw(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .trim()
        .replace("\r\n", "")
}

fn to_of(received: &Received) -> &str {
    assert_eq!(received.rcpt_to.len(), 1, "one recipient per message");
    &received.rcpt_to[0]
}

#[test]
fn every_subscriber_gets_exactly_one_message_with_their_topics() {
    let server = SmtpServer::start();
    let mut list = readers(8);
    list.push(Reader::new("chloe@example.org", "Chloé Müller", &["technology"]));
    let site = Site::new(server.port, &list, "", "concurrency = 3");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 9);
    assert_eq!(report.send.planned, 9);

    let received = server.received();
    assert_eq!(received.len(), 9);
    let mut addresses: Vec<&str> = received.iter().map(to_of).collect();
    addresses.sort_unstable();
    addresses.dedup();
    assert_eq!(addresses.len(), 9, "nobody gets two messages");

    for message in &received {
        let to = to_of(message);
        let reader = list.iter().find(|r| r.email == to).unwrap();
        assert_eq!(message.mail_from, "digest@example.org");
        let parsed = parse(message);
        let to_header = parsed.to().unwrap().first().unwrap();
        assert_eq!(to_header.name(), Some(reader.name.as_str()));
        assert_eq!(to_header.address(), Some(reader.email.as_str()));
        assert_eq!(parsed.content_type().unwrap().subtype(), Some("alternative"));
        let text = parsed.body_text(0).unwrap();
        let html = parsed.body_html(0).unwrap();
        assert!(html.contains("<html"), "{to}: an HTML part");
        assert!(!text.contains('<'), "{to}: a plain-text part");
        for story in &STORIES {
            let wanted = reader.topics.is_empty() || reader.topics.contains(&story.topic);
            let link = format!("https://news.example.com/{}", story.stem);
            assert_eq!(html.contains(&link), wanted, "{to}: {} in the HTML", story.stem);
            assert_eq!(text.contains(&link), wanted, "{to}: {} in the text", story.stem);
        }
        assert_eq!(header(&parsed, "List-Id"), "The Morning Digest <morning.example.org>");
        assert_eq!(
            header(&parsed, "List-Unsubscribe"),
            format!("<mailto:editor@example.org?subject=unsubscribe%20{}>", to.replace('@', "%40"))
        );
        assert_eq!(
            parsed.reply_to().unwrap().first().unwrap().address(),
            Some("editor@example.org")
        );
        let id = parsed.message_id().unwrap();
        assert!(id.starts_with("20261126.") && id.ends_with("@example.org"), "{id}");
        assert!(parsed.date().is_some());
        assert!(html.contains(&format!(
            "mailto:editor@example.org?subject=unsubscribe%20{}",
            to.replace('@', "%40")
        )));
    }

    let rows = site.deliveries();
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|row| row.status == Status::Sent && row.attempts == 1));

    // The same day again: nothing is sent, everything is accounted for.
    let again = site.run().unwrap();
    assert_eq!(again.send.planned, 0);
    assert_eq!(again.send.already_delivered, 9);
    assert!(again.editions.iter().all(|edition| edition.reused));
    assert_eq!(server.count(), 9);
}

#[test]
fn a_non_ascii_subject_round_trips_and_injection_is_neutralised() {
    let server = SmtpServer::start();
    let list = [
        Reader::new("tech@example.org", "Tech Reader", &["technology"]),
        Reader::new("econ@example.org", "Econ Reader", &["economy"]),
    ];
    let site = Site::new(server.port, &list, "", "");
    site.run().unwrap();
    let received = server.received();
    let tech = received.iter().find(|m| to_of(m) == "tech@example.org").unwrap();
    assert_eq!(
        parse(tech).subject(),
        Some("Zürich café chain bets on chip design + 1 more — The Morning Digest")
    );
    let econ = received.iter().find(|m| to_of(m) == "econ@example.org").unwrap();
    let parsed = parse(econ);
    assert_eq!(
        parsed.subject(),
        Some("Central bank holds rates Bcc: evil@example.com — The Morning Digest")
    );
    let raw = String::from_utf8_lossy(&econ.data);
    let head = raw.split("\r\n\r\n").next().unwrap();
    assert!(!head.lines().any(|line| line.to_ascii_lowercase().starts_with("bcc:")), "{head}");
    assert_eq!(econ.rcpt_to, ["econ@example.org"], "the title adds no recipient");
}

#[test]
fn transient_replies_are_retried_on_a_fresh_connection() {
    let script = Arc::new(|txn: usize, step: &Step| match (txn, step) {
        (1, Step::Mail) => Action::Reply("421 4.7.0 too busy, try later".to_owned()),
        (2, Step::DataEnd(_)) => Action::Reply("451 4.3.0 local error in processing".to_owned()),
        (3, Step::Rcpt(_)) => Action::Reply("450 4.2.1 mailbox busy".to_owned()),
        _ => Action::Accept,
    });
    let server = SmtpServer::with_script(script);
    let site = Site::new(server.port, &readers(4), "", "concurrency = 1");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 4);
    let received = server.received();
    assert_eq!(received.len(), 4, "each delivered once");
    assert_eq!(server.transactions(), 7, "three refused transactions, four accepted");
    let rows = site.deliveries();
    // The first message is refused twice (421, then 451 after its content). The 450 of the
    // third transaction answers either the first message's third attempt, or the second
    // message's envelope, announced with the first one's content on the connection the 451
    // closed, when the relay read it before it saw the close: then the second message
    // starts afresh on the next connection and is accepted at its first attempt.
    let mut attempts: Vec<u32> = rows.iter().map(|row| row.attempts).collect();
    attempts.sort_unstable();
    assert!(attempts == [1, 1, 1, 4] || attempts == [1, 1, 1, 3], "{attempts:?}");
    assert!(rows.iter().all(|row| row.status == Status::Sent));
}

#[test]
fn a_permanent_refusal_fails_one_subscriber_and_not_the_others() {
    let script = Arc::new(|_: usize, step: &Step| match step {
        Step::Rcpt(to) if to == "reader001@example.org" => {
            Action::Reply("550 5.1.1 <reader001@example.org>: mailbox unavailable".to_owned())
        }
        _ => Action::Accept,
    });
    let server = SmtpServer::with_script(script);
    let site = Site::new(server.port, &readers(4), "", "concurrency = 2");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 3);
    assert_eq!(report.send.delivery.count(Status::FailedPermanent), 1);
    let rows = site.deliveries();
    let failed = rows.iter().find(|row| row.email == "reader001@example.org").unwrap();
    assert_eq!(failed.status, Status::FailedPermanent);
    assert_eq!(failed.attempts, 1, "a permanent failure is not retried");
    let reply = failed.last_reply.as_deref().unwrap();
    assert!(reply.contains("550") && reply.contains("mailbox unavailable"), "{reply}");
    assert_eq!(server.received().len(), 3);

    // 5.1.1 is a hard bounce: the address is suppressed (issue 11), and a later run leaves
    // it alone.
    assert_eq!(report.send.bounced, 1);
    let again = site.run().unwrap();
    assert_eq!((again.send.planned, again.send.suppressed), (0, 1));
}

#[test]
fn a_connection_dropped_during_data_is_resent_once() {
    let script = Arc::new(|txn: usize, step: &Step| match (txn, step) {
        (2, Step::DataEnd(_)) => Action::Drop,
        _ => Action::Accept,
    });
    let server = SmtpServer::with_script(script);
    let site = Site::new(server.port, &readers(3), "", "concurrency = 1");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 3);
    let mut to: Vec<String> = server.received().iter().map(|m| to_of(m).to_owned()).collect();
    to.sort();
    assert_eq!(to, ["reader000@example.org", "reader001@example.org", "reader002@example.org"]);
    assert!(server.connections() >= 2, "a fresh connection after the drop");
}

#[test]
fn a_stalled_server_times_out_and_the_message_is_retried() {
    let script = Arc::new(|txn: usize, step: &Step| match (txn, step) {
        (1, Step::Mail) => Action::Stall(Duration::from_secs(4)),
        _ => Action::Accept,
    });
    let server = SmtpServer::with_script(script);
    let site = Site::new(server.port, &readers(2), "", "concurrency = 1\ntimeout = \"1s\"");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 2);
    // Either message may be the first to reach the relay (both are composed ahead of the one
    // session); whichever it was timed out once.
    let mut attempts: Vec<u32> = site.deliveries().iter().map(|row| row.attempts).collect();
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 2], "the first message timed out once");
    assert_eq!(server.received().len(), 2);
}

/// Issue 13: messages are composed ahead of a free session, but never sent on more sessions
/// than `concurrency`.
#[test]
fn composing_ahead_opens_no_more_sessions_than_concurrency() {
    let server = SmtpServer::with_script(Arc::new(|_: usize, step: &Step| match step {
        Step::DataEnd(_) => Action::Delay(Duration::from_millis(5)),
        _ => Action::Accept,
    }));
    let site = Site::new(server.port, &readers(30), "", "concurrency = 2");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 30);
    assert_eq!(server.count(), 30);
    assert!(server.most_open() <= 2, "{} sessions open at once", server.most_open());
    assert!(site.deliveries().iter().all(|row| row.status == Status::Sent));
}

#[test]
fn a_relay_rejecting_everything_stops_the_run_cleanly() {
    let script = Arc::new(|_: usize, step: &Step| match step {
        Step::Rcpt(_) => Action::Reply("554 5.7.1 relay access denied".to_owned()),
        _ => Action::Accept,
    });
    let server = SmtpServer::with_script(script);
    let site =
        Site::new(server.port, &readers(10), "max_consecutive_failures = 3", "concurrency = 1");
    let report = site.run().unwrap();
    let delivery = &report.send.delivery;
    assert_eq!(delivery.stopped, Some(newsdigest::deliver::Stop::RelayRejecting(3)));
    assert_eq!(delivery.count(Status::FailedPermanent), 3);
    assert_eq!(delivery.not_attempted, 7);
    let rows = site.deliveries();
    assert_eq!(rows.iter().filter(|row| row.status == Status::Pending).count(), 7);
    assert!(delivery.stopped.unwrap().to_string().contains("the relay is rejecting everything"));
}

#[test]
fn transient_failures_are_left_for_retry() {
    let mailbox_full = Arc::new(AtomicBool::new(true));
    let full = Arc::clone(&mailbox_full);
    let server = SmtpServer::with_script(Arc::new(move |_: usize, step: &Step| match step {
        Step::Rcpt(to) if to == "reader002@example.org" && full.load(Ordering::SeqCst) => {
            Action::Reply("452 4.2.2 mailbox full".to_owned())
        }
        _ => Action::Accept,
    }));
    let site = Site::new(server.port, &readers(3), "max_attempts = 2", "");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::FailedTransient), 1);
    let row = site.deliveries().into_iter().find(|r| r.email == "reader002@example.org").unwrap();
    assert_eq!((row.status, row.attempts), (Status::FailedTransient, 2));
    assert_eq!(row.last_reply.as_deref(), Some("transient error (452): 4.2.2 mailbox full"));

    // `retry` the same day, once the mailbox has room again.
    mailbox_full.store(false, Ordering::SeqCst);
    let out = site.binary(&["retry"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "retry 2026-11-26: sent 1/1 (2 delivered earlier)\n"
    );
    let received = server.received();
    assert_eq!(received.len(), 3);
    assert_eq!(to_of(&received[2]), "reader002@example.org");
    let row = site.deliveries().into_iter().find(|r| r.email == "reader002@example.org").unwrap();
    assert_eq!((row.status, row.attempts), (Status::Sent, 3));
}

#[test]
fn overlapping_runs_are_refused() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(2), "", "");
    let _held = newsdigest::ledger::RunLock::acquire(&site.state_file()).unwrap();
    let err = site.run().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "another newsdigest run is active (it holds the lock on the folder `{}`); wait for it to finish",
            site.state_file().parent().unwrap().display()
        )
    );
    assert_eq!(server.transactions(), 0);
}

#[test]
fn a_dry_run_writes_messages_and_changes_no_state() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(3), "", "");
    let report = site.run_at(now(), true).unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 3);
    assert_eq!(server.transactions(), 0, "nothing reaches the relay");
    assert!(!site.state_file().exists(), "no ledger is created");
    let dry = site.path().join("digests/2026-11-26/dry-run");
    let files: Vec<_> = std::fs::read_dir(&dry).unwrap().collect();
    assert_eq!(files.len(), 3);
    assert!(dry.join("reader000@example.org.eml").exists());

    site.run().unwrap();
    let before = std::fs::read(site.state_file()).unwrap();
    let again = site.run_at(now(), true).unwrap();
    assert_eq!(again.send.planned, 0);
    assert_eq!(std::fs::read(site.state_file()).unwrap(), before, "the ledger is unchanged");
    assert_eq!(server.count(), 3);
}

#[test]
fn unsubscribed_addresses_are_never_sent_to() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(3), "", "");
    let config = site.config();
    let clock = newsdigest::clock::FixedClock(now());
    assert!(
        newsdigest::app::run::unsubscribe(&config, &clock, "Reader001@example.org", None).unwrap()
    );
    let report = site.run().unwrap();
    assert_eq!(report.send.suppressed, 1);
    assert_eq!(report.send.planned, 2);
    assert!(server.received().iter().all(|m| to_of(m) != "reader001@example.org"));
    assert!(newsdigest::app::run::resubscribe(&config, "reader001@example.org").unwrap());
    let later = site.run().unwrap();
    assert_eq!(later.send.planned, 1, "back on the list, the same day");
}

#[test]
fn articles_sent_on_an_earlier_day_are_not_repeated() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(1), "", "");
    site.run().unwrap();
    let config = std::fs::read_to_string(site.config_path()).unwrap();
    std::fs::write(site.config_path(), config.replace("window = \"24h\"", "window = \"48h\""))
        .unwrap();
    let tomorrow = chrono::DateTime::parse_from_rfc3339("2026-11-27T07:00:00+01:00").unwrap();
    let report = site.run_at(tomorrow, false).unwrap();
    assert_eq!(report.already_sent_articles, 2, "both climate stories went out yesterday");
    assert_eq!(report.send.planned, 0);
    assert_eq!(report.skipped_subscribers.len(), 1);
    assert_eq!(
        report.skipped_subscribers[0].reason,
        "0 stories selected for their topics, fewer than delivery.min_items = 1"
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn min_items_skips_a_thin_digest_and_says_so() {
    let server = SmtpServer::start();
    let list = [
        Reader::new("health@example.org", "H", &["health"]),
        Reader::new("climate@example.org", "C", &["climate"]),
    ];
    let site = Site::new(server.port, &list, "min_items = 2", "");
    let report = site.run().unwrap();
    assert_eq!(report.send.planned, 1);
    assert_eq!(report.skipped_subscribers.len(), 1);
    assert_eq!(report.skipped_subscribers[0].count, 1);
    assert_eq!(report.skipped_subscribers[0].first, ["health@example.org"]);
    assert_eq!(report.skipped_subscribers[0].digest, "health");
    assert_eq!(
        report.skipped_subscribers[0].reason,
        "1 story selected for their topics, fewer than delivery.min_items = 2"
    );
}

#[test]
fn one_click_unsubscribe_links_carry_the_subscribers_token() {
    let server = SmtpServer::start();
    let site = Site::new(
        server.port,
        &readers(1),
        "unsubscribe_url = \"https://example.org/unsubscribe\"\nunsubscribe_secret_env = \"ND_TEST_SECRET_ONE_CLICK\"",
        "",
    );
    // Without the secret the run refuses to start sending, and says why.
    let err = site.run().unwrap_err();
    assert!(
        format!("{err:#}").contains("set the environment variable `ND_TEST_SECRET_ONE_CLICK`"),
        "{err:#}"
    );
    assert_eq!(server.transactions(), 0);

    let secret = [("ND_TEST_SECRET_ONE_CLICK", "s3cret")];
    let out = site.binary(&["run"], &secret);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let received = server.received();
    let parsed = parse(&received[0]);
    let token = newsdigest::deliver::message::token(b"s3cret", "reader000@example.org");
    let url =
        format!("https://example.org/unsubscribe?email=reader000%40example.org&token={token}");
    assert_eq!(
        header(&parsed, "List-Unsubscribe"),
        format!(
            "<{url}>, <mailto:editor@example.org?subject=unsubscribe%20reader000%40example.org%20{token}>"
        )
    );
    assert_eq!(header(&parsed, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert!(parsed.body_html(0).unwrap().contains(&url.replace('&', "&amp;")));
    assert!(parsed.body_text(0).unwrap().contains(&url));

    // The token checks out for that address only.
    let wrong = site.binary(&["unsubscribe", "reader001@example.org", "--token", &token], &secret);
    assert_eq!(wrong.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&wrong.stderr),
        "error: the token is not valid for `reader001@example.org`; nothing changed\n"
    );
    let right = site.binary(&["unsubscribe", "reader000@example.org", "--token", &token], &secret);
    assert_eq!(
        String::from_utf8_lossy(&right.stdout),
        "reader000@example.org: unsubscribed; no digest will be sent to it\n"
    );
}

#[test]
fn clip_budget_drops_the_lowest_ranked_stories() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(3)[2..], "clip_budget = 7600", "");
    let report = site.run().unwrap();
    let edition = &report.editions[0];
    assert!(edition.clipped > 0, "{edition:?}");
    assert!(edition.html_bytes <= 7600, "{edition:?}");
    assert_eq!(edition.items + edition.clipped, STORIES.len());
}

#[test]
fn max_per_hour_counts_earlier_runs_and_leaves_the_rest_pending() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(5), "", "max_per_hour = 2\nconcurrency = 1");
    let report = site.run().unwrap();
    assert_eq!(report.send.delivery.count(Status::Sent), 2);
    assert_eq!(report.send.delivery.stopped, Some(newsdigest::deliver::Stop::HourlyLimit(2)));
    assert_eq!(report.send.delivery.not_attempted, 3);

    // Half an hour later the two sent still count: nothing goes.
    let config = site.config();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let retry_at = |at: &str| {
        let clock =
            newsdigest::clock::FixedClock(chrono::DateTime::parse_from_rfc3339(at).unwrap());
        runtime
            .block_on(newsdigest::app::run::retry(
                &config,
                &clock,
                Some(now().date_naive()),
                newsdigest::app::run::RunOptions::default(),
                &mut (),
            ))
            .unwrap()
    };
    let soon = retry_at("2026-11-26T07:30:00+01:00");
    assert_eq!((soon.planned, soon.delivery.sent, soon.delivery.not_attempted), (3, 0, 3));
    // An hour and a minute after the first run, two more go.
    let later = retry_at("2026-11-26T08:01:00+01:00");
    assert_eq!((later.planned, later.delivery.sent), (3, 2));
    assert_eq!(server.count(), 4);
}

/// Issue 13: rows are planned a chunk at a time as the run reads them (256 members to a
/// chunk), so sending starts before the whole list is planned. A run over several chunks
/// sends everyone exactly once; one that stops at `max_per_hour` plans the rest before it
/// reports, so `retry` finds them `pending`.
#[test]
fn rows_planned_as_the_run_goes_are_all_there_when_it_ends_or_stops() {
    const N: usize = 600;
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(N), "", "concurrency = 4");
    let report = site.run().unwrap();
    assert_eq!((report.send.planned, report.send.delivery.sent), (N, N));
    assert_eq!(server.count(), N);
    let mut to: Vec<String> = server.received().iter().map(|m| m.rcpt_to[0].clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), N, "one message each");
    let rows = site.deliveries();
    assert_eq!(rows.len(), N);
    assert!(rows.iter().all(|row| row.status == Status::Sent));

    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(N), "", "max_per_hour = 3\nconcurrency = 2");
    let report = site.run().unwrap();
    let delivery = &report.send.delivery;
    assert_eq!(delivery.stopped, Some(newsdigest::deliver::Stop::HourlyLimit(3)));
    assert_eq!((report.send.planned, delivery.sent, delivery.not_attempted), (N, 3, N - 3));
    let rows = site.deliveries();
    assert_eq!(rows.len(), N, "every member has a row, planned or not when the run stopped");
    assert_eq!(rows.iter().filter(|row| row.status == Status::Pending).count(), N - 3);
    let clock = newsdigest::clock::FixedClock(
        chrono::DateTime::parse_from_rfc3339("2026-11-26T08:01:00+01:00").unwrap(),
    );
    let later = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(newsdigest::app::run::retry(
            &site.config(),
            &clock,
            Some(now().date_naive()),
            newsdigest::app::run::RunOptions::default(),
            &mut (),
        ))
        .unwrap();
    assert_eq!((later.planned, later.delivery.sent), (N - 3, 3));
    assert_eq!(server.count(), 6);
}

/// Issue 13: the rows `sending` at once, the most messages a crash could cause to be sent
/// twice, never exceed `deliver::max_sending`, watched from another connection while a run
/// sends.
#[test]
fn rows_sending_at_once_stay_within_the_stated_bound() {
    const N: usize = 400;
    const CONCURRENCY: usize = 4;
    let server = SmtpServer::with_script(Arc::new(|_: usize, step: &Step| match step {
        Step::DataEnd(_) => Action::Delay(Duration::from_millis(2)),
        _ => Action::Accept,
    }));
    let site = Site::new(server.port, &readers(N), "", &format!("concurrency = {CONCURRENCY}"));
    let path = site.state_file();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let (report, most) = std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            let report = site.run();
            finished.store(true, std::sync::atomic::Ordering::SeqCst);
            report
        });
        let mut most = 0usize;
        while !finished.load(std::sync::atomic::Ordering::SeqCst) {
            let sending = rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .and_then(|conn| {
                conn.query_row(
                    "SELECT COUNT(*) FROM deliveries WHERE status = 'sending'",
                    [],
                    |row| row.get::<_, i64>(0),
                )
            });
            if let Ok(sending) = sending {
                most = most.max(usize::try_from(sending).unwrap());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        (run.join().unwrap().unwrap(), most)
    });
    assert_eq!(report.send.delivery.sent, N);
    let bound = newsdigest::deliver::max_sending(CONCURRENCY);
    assert!(most > 2 * CONCURRENCY, "watched while the run sent: at most {most} rows `sending`");
    assert!(most <= bound, "{most} rows `sending` at once; at most {bound} may be");
}

/// Issue 13: a lane whose announced message is not the one it sends next (its turn never
/// came) is closed in the middle of that transaction, never finished: the announced message
/// is not delivered, and the next one goes on a fresh connection.
#[test]
fn a_lane_drops_an_announced_message_that_does_not_come() {
    use newsdigest::deliver::Sender as _;
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(1), "", "concurrency = 1");
    let config = site.config();
    let sender =
        newsdigest::deliver::smtp::SmtpSender::new(config.delivery.smtp.as_ref().unwrap()).unwrap();
    let envelope = |to: &str| {
        lettre::address::Envelope::new(
            Some("digest@example.org".parse().unwrap()),
            vec![to.parse().unwrap()],
        )
        .unwrap()
    };
    let message = |to: &str| format!("To: <{to}>\r\nSubject: test\r\n\r\nFor {to}.\r\n");
    let (a, b, c) = ("a@example.org", "b@example.org", "c@example.org");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (b_envelope, b_message) = (envelope(b), message(b));
        let next = Some((&b_envelope, b_message.as_bytes()));
        sender.send_on(0, &envelope(a), message(a).as_bytes(), next).await.unwrap();
        // The lane's next message is c, not the announced b.
        sender.send_on(0, &envelope(c), message(c).as_bytes(), None).await.unwrap();
        sender.finish().await;
    });
    assert_eq!(server.announced(), 1, "b's MAIL came with a's content");
    let to: Vec<String> = server.received().iter().map(|m| m.rcpt_to[0].clone()).collect();
    assert_eq!(to, [a, c], "b was never delivered");
    assert_eq!(server.connections(), 2, "c went on a fresh connection");
}

/// The sink of `examples/smtp_sink.rs` takes messages as they come and keeps none: left
/// running under a list of a million it once held every message and was killed for memory.
#[test]
fn the_sink_gives_each_message_once_and_keeps_none() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(3), "", "concurrency = 1");
    site.run().unwrap();
    assert_eq!(server.take_received().len(), 3);
    assert!(server.take_received().is_empty(), "each message is given once");
    assert!(server.received().is_empty(), "and not kept");
    assert_eq!(server.count(), 3, "still counted");
}

#[test]
fn rate_spaces_the_messages_out() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(5), "", "rate = 20.0\nconcurrency = 4");
    let started = std::time::Instant::now();
    site.run().unwrap();
    // Five messages at 20 a second: the fifth starts at least 4 × 50 ms after the first.
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
    assert_eq!(server.count(), 5);
}
