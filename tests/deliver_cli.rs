//! The real binary sending: killed mid-run and started again, the outbox on a project with no
//! mail server, `check --smtp`, `status` and the exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::site::{Site, readers};
use common::smtp::{Action, SmtpServer, Step};
use newsdigest::ledger::Status;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_run_killed_mid_way_loses_nobody_and_resends_at_most_what_was_in_flight() {
    // More than one chunk of rows planned as the run goes (256): killed before the second
    // chunk is planned, the next run plans it.
    const N: usize = 300;
    const CONCURRENCY: usize = 4;
    // Accepted but not recorded yet: at most the rows `sending` at once.
    let bound = newsdigest::deliver::max_sending(CONCURRENCY);
    // Each message takes a while to be accepted, so the kill lands with messages in flight.
    let server = SmtpServer::with_script(Arc::new(|_: usize, step: &Step| match step {
        Step::DataEnd(_) => Action::Delay(Duration::from_millis(40)),
        _ => Action::Accept,
    }));
    let site = Site::new(server.port, &readers(N), "", &format!("concurrency = {CONCURRENCY}"));
    let mut child = site.command(&["run"], &[]).spawn().unwrap();
    // Killed once more messages went out than the bound allows to be sent twice, so that a
    // run that recorded too little would resend more than the bound.
    assert!(server.wait_for(bound + 20, Duration::from_secs(60)), "the first run sends");
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    let before_restart = server.count();
    assert!(before_restart < N, "killed before the end ({before_restart} of {N})");

    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let mut per_address: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for message in server.received() {
        let id = text(&message.data)
            .lines()
            .find_map(|line| line.strip_prefix("Message-ID: ").map(str::to_owned))
            .unwrap();
        per_address.entry(message.rcpt_to[0].clone()).or_default().push(id);
    }
    assert_eq!(per_address.len(), N, "every subscriber got the digest");
    let duplicates: usize = per_address.values().map(|ids| ids.len() - 1).sum();
    assert!(
        duplicates <= bound,
        "{duplicates} duplicates; at most {bound} (in flight or not yet recorded) may be resent"
    );
    for ids in per_address.values() {
        assert!(ids.iter().all(|id| id == &ids[0]), "a resend carries the same Message-ID");
    }
    let rows = site.deliveries();
    assert_eq!(rows.len(), N);
    assert!(rows.iter().all(|row| row.status == Status::Sent));
    eprintln!("killed after {before_restart} of {N}; {duplicates} resent after the restart");
}

/// Issue 13: `run --shard K/N` splits the day's audience by a stable hash, each shard with
/// its own ledger, so N processes (or machines) send one edition together; `status --ledger`
/// adds their ledgers up.
#[test]
fn three_shards_send_every_subscriber_exactly_one_message() {
    const N: usize = 30;
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(N), "", "concurrency = 2");
    // The three shards at once, on one machine, as three machines would.
    let children: Vec<_> = ["1/3", "2/3", "3/3"]
        .into_iter()
        .map(|shard| {
            site.command(&["run", "--shard", shard], &[])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut per_shard = Vec::new();
    for (k, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "shard {}: {}", k + 1, text(&out.stderr));
        let ledger = site.path().join(format!("digests/shard-{}-of-3/newsdigest.sqlite", k + 1));
        let rows = newsdigest::ledger::Ledger::open(&ledger).unwrap().deliveries(None).unwrap();
        assert!(rows.iter().all(|row| row.status == Status::Sent));
        for row in &rows {
            assert!(
                newsdigest::shard::Shard { index: k as u32 + 1, count: 3 }.contains(&row.email),
                "{} is not shard {}'s",
                row.email,
                k + 1
            );
        }
        per_shard.push(rows.len());
    }
    assert!(!site.state_file().exists(), "no shard used the unsharded ledger");
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for message in server.received() {
        *per_address.entry(message.rcpt_to[0].clone()).or_default() += 1;
    }
    assert_eq!(per_address.len(), N, "every subscriber got the digest");
    assert!(per_address.values().all(|&n| n == 1), "exactly once: {per_address:?}");
    assert_eq!(per_shard.iter().sum::<usize>(), N);
    assert!(per_shard.iter().all(|&n| n > 0), "each shard had a share: {per_shard:?}");

    // A shard run again sends nothing; its neighbours' ledgers are not its business.
    let again = site.binary(&["run", "--shard", "2/3"], &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(server.count(), N, "{}", text(&again.stderr));

    // The day's totals, from the three ledgers read-only.
    let ledgers: Vec<String> = (1..=3)
        .flat_map(|k| ["--ledger".to_owned(), format!("digests/shard-{k}-of-3/newsdigest.sqlite")])
        .collect();
    let mut args = vec!["status"];
    args.extend(ledgers.iter().map(String::as_str));
    let status = site.binary(&args, &[]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let report = text(&status.stdout);
    assert!(report.starts_with("3 ledgers added up:\n"), "{report}");
    assert!(report.contains(&format!("2026-11-26 in all: {N} sent\n")), "{report}");
    let twice = site.binary(&["status", args[1], args[2], args[1], args[2]], &[]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(text(&twice.stderr).contains("are the same ledger"), "{}", text(&twice.stderr));
    let shard_status = text(&site.binary(&["status", "--shard", "1/3"], &[]).stdout);
    let first = per_shard[0];
    assert!(shard_status.contains(&format!("on 2026-11-26: {first} message(s)")), "{shard_status}");
    // An unsubscribe goes to the ledger of the address's shard, and only there.
    let email = "reader000@example.org";
    let own = newsdigest::shard::Shard::of(email, 3);
    let other = format!("{}/3", own % 3 + 1);
    let wrong = site.binary(&["unsubscribe", email, "--shard", &other], &[]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong.stderr).contains(&format!("is sent by shard {own}/3, not {other}")),
        "{}",
        text(&wrong.stderr)
    );
    let right = site.binary(&["unsubscribe", email, "--shard", &format!("{own}/3")], &[]);
    assert_eq!(right.status.code(), Some(0), "{}", text(&right.stderr));
    let ledger = site.path().join(format!("digests/shard-{own}-of-3/newsdigest.sqlite"));
    assert!(newsdigest::ledger::Ledger::open(&ledger).unwrap().is_suppressed(email).unwrap());

    // A shard's links and return paths name the shard (its address, its bounce address):
    // accepted.
    let config = std::fs::read_to_string(site.config_path()).unwrap();
    let linked = config.replacen(
        "[delivery]\n",
        "[delivery]\nbounce_address = \"bounces@example.org\"\n",
        1,
    ) + "\n[web]\nbase_url = \"https://news.example.org\"\n";
    std::fs::write(site.config_path(), linked).unwrap();
    let linked = site
        .binary(&["run", "--shard", "1/3", "--dry-run"], &[("NEWSDIGEST_UNSUBSCRIBE_SECRET", "s")]);
    assert_eq!(linked.status.code(), Some(0), "{}", text(&linked.stderr));

    let bad = site.binary(&["run", "--shard", "4/3"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("the shard must be from 1 to 3"), "{}", text(&bad.stderr));
}

#[test]
fn the_outbox_works_without_a_mail_server_and_a_second_run_writes_nothing() {
    let site = Site::new(1, &readers(3), "", "");
    let config = std::fs::read_to_string(site.config_path()).unwrap();
    std::fs::write(site.config_path(), config.replace("mode = \"smtp\"", "mode = \"outbox\""))
        .unwrap();
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "6 articles from 1/1 sources → 6 selected in the last 24h → wrote to the outbox 3/3 in \
         digests/2026-11-26/outbox → digests/2026-11-26/index.html\n"
    );
    // See issue 8 ("Also"): the paths written on stdout, and an index that says what was
    // delivered rather than "Nothing has been sent."
    assert_eq!(
        text(&out.stdout),
        "digests/2026-11-26/all.html\ndigests/2026-11-26/all.txt\n\
         digests/2026-11-26/climate.html\ndigests/2026-11-26/climate.txt\n\
         digests/2026-11-26/health+technology.html\ndigests/2026-11-26/health+technology.txt\n\
         digests/2026-11-26/index.html\ndigests/2026-11-26/outbox\n"
    );
    let index = std::fs::read_to_string(site.path().join("digests/2026-11-26/index.html")).unwrap();
    assert!(
        index.contains(
            "Delivered: all 3 subscribers due a digest have it (as .eml files in the outbox).</p>"
        ),
        "{index}"
    );
    assert!(index.contains("1 subscriber, in the outbox;"), "{index}");
    assert!(!index.contains("Nothing has been sent"));
    let outbox = site.path().join("digests/2026-11-26/outbox");
    let eml = std::fs::read_to_string(outbox.join("reader002@example.org.eml")).unwrap();
    assert!(eml.contains("To: \"Reader 2\" <reader002@example.org>"), "{eml}");
    assert!(eml.contains("Content-Type: multipart/alternative"));

    let again = site.binary(&["run", "--json"], &[]);
    assert_eq!(again.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["delivery"]["planned"], 0);
    assert_eq!(report["delivery"]["delivered_earlier"], 3);
    assert_eq!(report["mode"], "outbox");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 3);

    let status = site.binary(&["status"], &[]);
    assert_eq!(
        text(&status.stdout),
        "subscribers: 3 active (config)\n\
         on 2026-11-26: 3 message(s), 0 hard bounce(s) (0.00%), 0 soft bounce(s) (0.00%), 0 complaint(s) (0.00%)\n\
         over 30 days: 3 message(s), 0 hard bounce(s) (0.00%), 0 soft bounce(s) (0.00%), 0 complaint(s) (0.00%)\n\
         2026-11-26 all (6 stories): 1 sent\n\
         2026-11-26 climate (2 stories): 1 sent\n\
         2026-11-26 health+technology (3 stories): 1 sent\n"
    );
}

#[test]
fn failures_show_in_status_and_the_exit_code() {
    let server = SmtpServer::with_script(Arc::new(|_: usize, step: &Step| match step {
        Step::Rcpt(to) if to == "reader000@example.org" => {
            Action::Reply("550 5.1.1 no such user".to_owned())
        }
        _ => Action::Accept,
    }));
    let site = Site::new(server.port, &readers(2), "", "");
    let out = site.binary(&["run", "--json"], &[]);
    assert_eq!(out.status.code(), Some(1), "some failed");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("failed: reader000@example.org (failed-permanent) after 1 attempt(s): permanent error (550): 5.1.1 no such user"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["exit_code"], 1);
    assert_eq!(report["delivery"]["sent"], 1);
    assert_eq!(report["delivery"]["failed_permanent"], 1);
    // Issue 11: the refusal is a hard bounce; the rates and their warning come with the run.
    assert_eq!(report["rates"]["today"]["messages"], 2);
    assert_eq!(report["rates"]["today"]["hard"], 1);
    assert_eq!(report["rates"]["last_30_days"]["bounce_rate"], 0.5);
    assert!(
        report["rates"]["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("the bounce rate over 30 days is 50.00%")
    );
    assert!(
        stderr.contains("warning: the bounce rate over 30 days is 50.00%, above 2%"),
        "{stderr}"
    );
    let status = site.binary(&["status", "2026-11-26"], &[]);
    assert_eq!(status.status.code(), Some(1));
    assert!(text(&status.stderr).contains("warning: the bounce rate over 30 days is 50.00%"));
    assert_eq!(
        text(&status.stdout),
        "subscribers: 1 active (config)\n\
         suppressed: 1 (1 bounced (hard: userunknown))\n\
         on 2026-11-26: 2 message(s), 1 hard bounce(s) (50.00%), 0 soft bounce(s) (0.00%), 0 complaint(s) (0.00%)\n\
         over 30 days: 2 message(s), 1 hard bounce(s) (50.00%), 0 soft bounce(s) (0.00%), 0 complaint(s) (0.00%)\n\
         2026-11-26 climate (2 stories): 1 failed-permanent\n  reader000@example.org \
         failed-permanent after 1 attempt(s): permanent error (550): 5.1.1 no such user\n\
         2026-11-26 health+technology (3 stories): 1 sent\n"
    );
}

#[test]
fn nothing_sent_is_exit_code_2() {
    let server = SmtpServer::with_script(Arc::new(|_: usize, step: &Step| match step {
        Step::Mail => Action::Reply("554 5.7.1 not allowed".to_owned()),
        _ => Action::Accept,
    }));
    let site = Site::new(server.port, &readers(2), "", "");
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn check_smtp_logs_in_and_sends_nothing() {
    let server = SmtpServer::start();
    let site = Site::new(
        server.port,
        &readers(1),
        "",
        "username = \"digest\"\npassword_env = \"ND_TEST_SMTP_PW\"",
    );
    let out = site.binary(&["check", "--smtp"], &[("ND_TEST_SMTP_PW", "pa55word")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with(&format!(
            "127.0.0.1:{}: connected, greeted and logged in; nothing was sent\n",
            server.port
        )),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(server.logins(), [("digest".to_owned(), "pa55word".to_owned())]);
    assert_eq!(server.transactions(), 0);

    let missing = site.binary(&["check", "--smtp"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr),
        "error: the SMTP password variable `ND_TEST_SMTP_PW` is not set (smtp.password_env)\n"
    );
}

#[test]
fn check_smtp_reports_a_relay_that_is_not_there() {
    let site = Site::new(1, &readers(1), "", "timeout = \"2s\"");
    let out = site.binary(&["check", "--smtp"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: SMTP check of 127.0.0.1:1 failed: "), "{stderr}");
}

fn ca_file() -> String {
    common::fixture("tls/ca.pem").display().to_string()
}

#[test]
fn starttls_with_a_private_ca_and_a_login() {
    let server = SmtpServer::with_tls(false);
    let site = Site::new(
        server.port,
        &readers(3),
        "",
        &format!(
            "tls = \"starttls\"\nca_file = \"{}\"\nusername = \"digest\"\npassword_file = \"smtp-password\"",
            ca_file()
        ),
    );
    std::fs::write(site.path().join("smtp-password"), "s3cret\n").unwrap();
    let check = site.binary(&["check", "--smtp"], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert!(
        text(&check.stdout).ends_with(&format!(
            "127.0.0.1:{}: connected, greeted, upgraded with STARTTLS and logged in; nothing was sent\n",
            server.port
        )),
        "{}",
        text(&check.stdout)
    );
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.count(), 3);
    assert_eq!(server.pipelined(), 0, "this relay offers no PIPELINING: one command at a time");
    assert!(server.tls_sessions() >= 2, "the check and the run upgraded");
    assert!(
        server.logins().iter().all(|login| login == &("digest".to_owned(), "s3cret".to_owned()))
    );
}

/// Issue 13: on a connection, each message's MAIL, RCPT and DATA go in the same write as the
/// previous message's content (RFC 2920 lets content begin a pipelined group): one round
/// trip a message. Every message still arrives once.
#[test]
fn the_next_envelope_goes_with_the_previous_content() {
    const N: usize = 6;
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(N), "", "concurrency = 1");
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!((server.count(), server.transactions(), server.connections()), (N, N, 1));
    assert!(server.announced() > 0, "no MAIL came with a message's content");
    let mut recipients: Vec<String> =
        server.received().iter().map(|message| message.rcpt_to[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), N);
    eprintln!("{} of {N} messages announced with the content before them", server.announced());
}

/// Issue 13: a message announced with the previous one's content is delivered only when its
/// own content follows: here the second message's content is refused, which stops the run
/// (`max_consecutive_failures = 1`); the connection is closed in the middle of the third
/// message's transaction, announced with the second's content, so the relay drops it, and
/// its row stays `pending` with the fourth.
#[test]
fn an_announced_message_whose_turn_never_comes_is_not_delivered() {
    const N: usize = 4;
    let server = SmtpServer::with_script(Arc::new(|txn: usize, step: &Step| match (txn, step) {
        (2, Step::DataEnd(_)) => Action::Reply("554 5.6.0 content refused".to_owned()),
        _ => Action::Accept,
    }));
    let site =
        Site::new(server.port, &readers(N), "max_consecutive_failures = 1", "concurrency = 1");
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(server.announced() >= 1, "the third message's MAIL came with the second content");
    // The third transaction is counted when the relay reads its MAIL before it sees the
    // connection close; the fourth message never started.
    assert!(server.transactions() <= 3, "{} transactions", server.transactions());
    let received = server.received();
    assert_eq!(received.len(), 1, "only the first message was delivered");
    let rows = site.deliveries();
    let count = |status| rows.iter().filter(|row| row.status == status).count();
    let counts = (count(Status::Sent), count(Status::FailedPermanent), count(Status::Pending));
    assert_eq!(counts, (1, 1, N - 2));
    let sent = rows.iter().find(|row| row.status == Status::Sent).unwrap();
    assert_eq!(received[0].rcpt_to, std::slice::from_ref(&sent.email));
}

/// Issue 13: to a relay that offers PIPELINING, MAIL, RCPT and DATA go in one write (two
/// round trips a message instead of four), and every message still arrives once.
#[test]
fn commands_are_pipelined_when_the_relay_offers_it() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(6), "", "concurrency = 2");
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.count(), 6);
    assert!(server.pipelined() > 0, "RCPT came with MAIL");
    let mut recipients: Vec<String> =
        server.received().iter().map(|message| message.rcpt_to[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 6);
}

#[test]
fn implicit_tls() {
    let server = SmtpServer::with_tls(true);
    let site = Site::new(
        server.port,
        &readers(2),
        "",
        &format!("tls = \"tls\"\nca_file = \"{}\"", ca_file()),
    );
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.count(), 2);
}

#[test]
fn an_untrusted_certificate_is_refused_and_nothing_is_sent_in_clear() {
    let server = SmtpServer::with_tls(false);
    let site = Site::new(server.port, &readers(1), "max_attempts = 1", "tls = \"starttls\"");
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("failed: reader000@example.org (failed-transient)"), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert_eq!(server.count(), 0);
}

#[test]
fn starttls_required_but_not_offered() {
    let server = SmtpServer::start();
    let site = Site::new(server.port, &readers(1), "", "tls = \"starttls\"");
    let out = site.binary(&["check", "--smtp"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: SMTP check of 127.0.0.1:{port} failed: 127.0.0.1:{port} does not offer STARTTLS; \
             use `tls = \"tls\"` for port 465, or `none` for a trusted local relay\n",
            port = server.port
        )
    );
}

#[test]
fn implicit_tls_to_an_untrusted_certificate_is_refused() {
    let server = SmtpServer::with_tls(true);
    let site = Site::new(server.port, &readers(1), "max_attempts = 1", "tls = \"tls\"");
    let out = site.binary(&["run"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "TLS handshake with 127.0.0.1:{} failed: invalid peer certificate",
            server.port
        )),
        "{stderr}"
    );
    assert_eq!(server.count(), 0);
}
