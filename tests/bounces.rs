//! Issue 11: the bounce parser on fixtures written after real bounces
//! (`tests/fixtures/bounces/`), through the library and `newsdigest bounces classify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use newsdigest::bounce::{Class, classify};

#[test]
fn every_kind_of_bounce_gives_class_recipient_status_and_reason() {
    for (file, class, recipient, status, reason, message_id) in [
        (
            "postfix-userunknown.eml",
            Class::Hard,
            "ana@example.net",
            "5.1.1",
            "userunknown",
            "20261130.0123456789ab@news.example.org",
        ),
        (
            "exim-mailboxfull.eml",
            Class::Soft,
            "ben@example.net",
            "5.2.2",
            "mailboxfull",
            "20261130.bbbbbbbbbbbb@news.example.org",
        ),
        (
            "qmail-hostunknown.eml",
            Class::Hard,
            "cal@no-such-domain.example",
            "5.1.2",
            "hostunknown",
            "20261130.cccccccccccc@news.example.org",
        ),
        (
            "arf-complaint.eml",
            Class::Complaint,
            "dee@example.net",
            "",
            "feedback",
            "20261130.dddddddddddd@news.example.org",
        ),
        ("vacation.eml", Class::AutoReply, "eve@example.net", "", "vacation", ""),
        ("ses-bounce.eml", Class::Hard, "fay@example.net", "5.1.1", "userunknown", "0100-def"),
    ] {
        let bounce = classify(&std::fs::read(fixture(&format!("bounces/{file}"))).unwrap());
        assert_eq!(
            (
                bounce.class,
                bounce.recipient.as_str(),
                bounce.status.as_str(),
                bounce.reason.as_str(),
                bounce.message_id.as_str()
            ),
            (class, recipient, status, reason, message_id),
            "{file}: {bounce:?}"
        );
    }
}

#[test]
fn classify_prints_json_with_class_recipient_status_and_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsdigest"))
        .args(["bounces", "classify", "--json"])
        .arg(fixture("bounces/exim-mailboxfull.eml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["class"], "soft");
    assert_eq!(value["recipient"], "ben@example.net");
    assert_eq!(value["status"], "5.2.2");
    assert_eq!(value["reason"], "mailboxfull");
    assert!(value["reply"].as_str().unwrap().contains("552 5.2.2"));
}

mod site_tests {
    use std::time::Duration;

    use super::common::site::{Reader, Site};
    use super::common::smtp::{Received, SmtpServer};
    use newsdigest::ledger::Ledger;

    const SECRET: &str = "bounce test secret, long enough";

    fn site(server: &SmtpServer, readers: &[Reader], bounces: &str) -> Site {
        let site = Site::new(
            server.port,
            readers,
            "unsubscribe_secret_file = \"secret.txt\"\nbounce_address = \"bounces@news.example.org\"",
            "",
        );
        std::fs::write(site.path().join("secret.txt"), SECRET).unwrap();
        let mut text = std::fs::read_to_string(site.config_path()).unwrap();
        text.push_str(&format!("\n[bounces]\n{bounces}\n"));
        std::fs::write(site.config_path(), text).unwrap();
        site
    }

    /// Marks cal's delivery as sent again at `at` (a later successful delivery), returning
    /// the rows changed.
    fn rusqlite_touch(path: &std::path::Path, at: &str) -> usize {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute(
            "UPDATE deliveries SET sent_at = ?1 WHERE email = 'cal@example.org' AND status = 'sent'",
            [at],
        )
        .unwrap()
    }

    /// A site for `readers` with `[bounces]` lines, after a run delivered to each of them
    /// (through the test SMTP server, which is returned to keep it running).
    fn sent(readers: &[Reader], bounces: &str) -> (SmtpServer, Site, Vec<Received>) {
        let server = SmtpServer::start();
        let site = site(&server, readers, bounces);
        site.run().unwrap();
        assert!(server.wait_for(readers.len(), Duration::from_secs(5)));
        let received = server.received();
        (server, site, received)
    }

    /// The envelope sender (the VERP return path) of the message to `email`.
    fn return_path_of(received: &[Received], email: &str) -> String {
        received.iter().find(|m| m.rcpt_to == [email]).unwrap().mail_from.clone()
    }

    /// A DSN to `return_path` saying `recipient` failed with `status` and `text`.
    fn dsn(id: &str, return_path: &str, recipient: &str, status: &str, text: &str) -> String {
        format!(
            "From: MAILER-DAEMON@mx.example.net\nTo: {return_path}\nSubject: Undelivered Mail Returned to Sender\n\
             Message-Id: <{id}@mx.example.net>\nMIME-Version: 1.0\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
             --B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
             --B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n\
             Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {status}\nDiagnostic-Code: smtp; {text}\n\n--B--\n"
        )
    }

    fn read(site: &Site, name: &str, text: &str) -> (i32, String) {
        std::fs::write(site.path().join(name), text).unwrap();
        let out = site.binary(&["bounces", "read", name], &[]);
        (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `bounces read -` at `now` with `text` piped in on stdin, as an MTA delivers a bounce;
    /// what it prints.
    fn read_stdin(site: &Site, now: &str, text: &str) -> String {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_newsdigest"))
            .args(["--config", "config.toml", "--now", now, "bounces", "read", "-"])
            .current_dir(site.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
        String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
    }

    /// Issue 13: a list sent in shards keeps its VERP. Each shard's return paths name the
    /// shard (`bounces-shard-1-of-2+TOKEN@…`), so a report is applied by the shard whose
    /// ledger gave the id in its token, never by another shard whose ledger gave the same id
    /// to someone else.
    #[test]
    fn each_shard_reads_only_the_bounces_of_its_own_return_paths() {
        let server = SmtpServer::start();
        let readers: Vec<Reader> = (0..8)
            .map(|i| Reader::new(&format!("reader{i}@example.org"), &format!("Reader {i}"), &[]))
            .collect();
        let site = site(&server, &readers, "");
        for shard in ["1/2", "2/2"] {
            let out = site.binary(&["run", "--shard", shard], &[]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(server.wait_for(readers.len(), Duration::from_secs(5)));
        let received = server.received();
        let shard_of = |email: &str| newsdigest::shard::Shard::of(email, 2);
        let first = readers.iter().find(|r| shard_of(&r.email) == 1).unwrap();
        let return_path = return_path_of(&received, &first.email);
        assert!(return_path.starts_with("bounces-shard-1-of-2+"), "{return_path}");
        for reader in &readers {
            let expected = format!("bounces-shard-{}-of-2+", shard_of(&reader.email));
            assert!(return_path_of(&received, &reader.email).starts_with(&expected));
        }
        // Both ledgers number their subscribers from 1: the token's id exists in each.
        let ledger = |k: u32| {
            Ledger::open(&site.path().join(format!("digests/shard-{k}-of-2/newsdigest.sqlite")))
                .unwrap()
        };
        assert!(ledger(2).subscriber(1).unwrap().is_some());

        let bounce =
            dsn("s1", &return_path, "forward@elsewhere.example", "5.1.1", "550 5.1.1 User unknown");
        std::fs::write(site.path().join("s1.eml"), &bounce).unwrap();
        let other = site.binary(&["bounces", "read", "--shard", "2/2", "s1.eml"], &[]);
        let printed = String::from_utf8_lossy(&other.stdout);
        assert!(printed.contains("ignored"), "{printed}");
        assert!(
            ledger(2).suppressions_with_evidence().unwrap().is_empty(),
            "shard 2 suppresses nobody"
        );
        let own = site.binary(&["bounces", "read", "--shard", "1/2", "s1.eml"], &[]);
        let printed = String::from_utf8_lossy(&own.stdout);
        assert!(
            printed.contains(&format!("hard {} 5.1.1 userunknown: suppressed", first.email)),
            "{printed}"
        );
        assert!(ledger(1).is_suppressed(&first.email).unwrap());
    }

    /// VERP round trip through the test SMTP server: the envelope sender names the
    /// subscriber, so a bounce whose text names another address (a forward) still maps back;
    /// reading it twice changes nothing.
    #[test]
    fn verp_round_trip_hard_bounce_and_idempotence() {
        let (_server, site, received) = sent(
            &[
                Reader::new("ana@example.org", "Ana", &[]),
                Reader::new("ben@example.org", "Ben", &[]),
            ],
            "",
        );
        let return_path = return_path_of(&received, "ana@example.org");
        assert!(
            return_path.starts_with("bounces+") && return_path.ends_with("@news.example.org"),
            "{return_path}"
        );
        assert_eq!(return_path.len(), "bounces+".len() + 24 + "@news.example.org".len());
        assert_ne!(
            return_path_of(&received, "ben@example.org"),
            return_path,
            "each subscriber has their own return path"
        );

        let bounce = dsn(
            "b1",
            &return_path,
            "ana.forward@elsewhere.example",
            "5.1.1",
            "550 5.1.1 User unknown",
        );
        let (code, out) = read(&site, "b1.eml", &bounce);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(
                "hard ana@example.org 5.1.1 userunknown: suppressed: bounced (hard: userunknown)"
            ),
            "{out}"
        );
        let (_, again) = read(&site, "b1-again.eml", &bounce);
        assert!(again.contains("read before; nothing changed"), "{again}");
        let ledger = Ledger::open(&site.state_file()).unwrap();
        assert!(ledger.is_suppressed("ana@example.org").unwrap());
        assert!(!ledger.is_suppressed("ben@example.org").unwrap());
        let list = ledger.suppressions_with_evidence().unwrap();
        let evidence = list[0].3.clone().unwrap();
        assert!(
            evidence.contains("status 5.1.1")
                && evidence.contains("550 5.1.1 User unknown")
                && evidence.contains("b1@mx.example.net"),
            "{evidence}"
        );

        // A forged token and an address we never sent to are ignored.
        // The token's last character changed: its signature no longer holds.
        let at = return_path.find('@').unwrap();
        let last = &return_path[at - 1..at];
        let forged = format!(
            "{}{}{}",
            &return_path[..at - 1],
            if last == "a" { "b" } else { "a" },
            &return_path[at..]
        );
        let (_, out) = read(
            &site,
            "b2.eml",
            &dsn("b2", &forged, "ben@example.org", "5.1.1", "550 User unknown"),
        );
        assert!(out.contains("ignored: a forged return path"), "{out}");
        let (_, out) = read(
            &site,
            "b3.eml",
            &dsn("b3", "bounces@news.example.org", "zed@example.org", "5.1.1", "550 User unknown"),
        );
        assert!(out.contains("ignored: zed@example.org: not an address we sent to"), "{out}");
        assert!(
            !Ledger::open(&site.state_file()).unwrap().is_suppressed("ben@example.org").unwrap()
        );

        // Both are counted, apart from the rates.
        let out = site.binary(&["status"], &[]);
        let status = String::from_utf8_lossy(&out.stdout);
        assert!(
            status.contains("on 2026-11-26: 2 message(s), 1 hard bounce(s) (50.00%), 0 soft bounce(s) (0.00%), 0 complaint(s) (0.00%), 2 report(s) ignored"),
            "{status}"
        );

        // The operator reviews and undoes.
        let out = site.binary(&["suppressions", "list"], &[]);
        let listed = String::from_utf8_lossy(&out.stdout);
        assert!(
            listed.contains("ana@example.org") && listed.contains("bounced (hard: userunknown)"),
            "{listed}"
        );
        let out = site.binary(&["suppressions", "remove", "ana@example.org"], &[]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            !Ledger::open(&site.state_file()).unwrap().is_suppressed("ana@example.org").unwrap()
        );
    }

    /// Soft bounces suppress after `soft_limit` within `soft_window`; complaints at once;
    /// a Maildir's read messages move to cur/, and one that needs a person stays in new/.
    #[test]
    fn soft_bounces_complaints_and_the_maildir() {
        let (_server, site, received) = sent(
            &[
                Reader::new("cal@example.org", "Cal", &[]),
                Reader::new("dee@example.org", "Dee", &[]),
            ],
            "soft_limit = 2\nsoft_window = \"10d\"",
        );
        let path_of = |email: &str| return_path_of(&received, email);
        let full = |id: &str| {
            dsn(
                id,
                &path_of("cal@example.org"),
                "cal@example.org",
                "4.2.2",
                "452 4.2.2 Mailbox full",
            )
        };
        let (_, out) = read(&site, "s1.eml", &full("s1"));
        assert!(
            out.contains("soft cal@example.org 4.2.2 mailboxfull: soft bounce 1 of 2"),
            "{out}"
        );
        // A successful delivery after the first soft bounce starts the count again.
        assert_eq!(rusqlite_touch(&site.state_file(), "2026-11-26T08:00:00+01:00"), 1);
        // The MTA pipes the next one in on stdin (`bounces read -`), an hour after that delivery.
        let printed = read_stdin(&site, "2026-11-26T09:00:00+01:00", &full("s2"));
        assert!(
            printed
                .starts_with("stdin: soft cal@example.org 4.2.2 mailboxfull: soft bounce 1 of 2"),
            "{printed}"
        );
        let printed = read_stdin(&site, "2026-11-26T09:30:00+01:00", &full("s3"));
        assert!(printed.contains("suppressed: bounced (soft: 2 in 10 days)"), "{printed}");

        let arf = format!(
            "From: feedback@isp.example.net\nSubject: report\nMIME-Version: 1.0\n\
             Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n\n\
             --A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nOriginal-Mail-From: <{}>\nOriginal-Rcpt-To: <dee@example.org>\n\n--A--\n",
            path_of("dee@example.org")
        );
        let maildir = site.path().join("Maildir");
        for folder in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(folder)).unwrap();
        }
        std::fs::write(maildir.join("new/1.complaint"), arf).unwrap();
        std::fs::write(
            maildir.join("new/2.unclear"),
            "From: MAILER-DAEMON@mx.example.net\nSubject: Undeliverable\n\nSomething went wrong.\n",
        )
        .unwrap();
        let out = site.binary(&["bounces", "read", "--maildir", "Maildir"], &[]);
        let printed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "one needs review: {printed}");
        assert!(
            printed.contains("complaint dee@example.org  feedback: suppressed: complaint (abuse)"),
            "{printed}"
        );
        assert!(printed.contains("2.unclear: unknown"), "{printed}");
        assert!(maildir.join("cur/1.complaint:2,S").exists());
        assert!(maildir.join("new/2.unclear").exists(), "never deleted, left for review");
        assert!(!maildir.join("new/1.complaint").exists());
    }
}

/// A relay's permanent refusal in our own SMTP session counts as a bounce by the same rules:
/// an unknown user is suppressed at once, a block is a soft bounce, counted.
#[test]
fn permanent_refusals_in_our_own_session_are_bounces() {
    use common::site::{Reader, Site};
    use common::smtp::{Action, SmtpServer, Step};
    use std::sync::Arc;
    let server = SmtpServer::with_script(Arc::new(|_, step: &Step| match step {
        Step::Rcpt(to) if to.contains("gone@") => {
            Action::Reply("550 5.1.1 <gone@example.org>: User unknown".to_owned())
        }
        Step::Rcpt(to) if to.contains("blocked@") => {
            Action::Reply("550 5.7.1 Message blocked by policy".to_owned())
        }
        _ => Action::Accept,
    }));
    let site = Site::new(
        server.port,
        &[
            Reader::new("gone@example.org", "Gone", &[]),
            Reader::new("blocked@example.org", "Blocked", &[]),
            Reader::new("fine@example.org", "Fine", &[]),
        ],
        "",
        "",
    );
    let report = site.run().unwrap();
    assert_eq!(report.send.bounced, 1, "{report:?}");
    let ledger = newsdigest::ledger::Ledger::open(&site.state_file()).unwrap();
    assert!(ledger.is_suppressed("gone@example.org").unwrap());
    assert!(
        !ledger.is_suppressed("blocked@example.org").unwrap(),
        "one soft bounce is counted only"
    );
    let rows = ledger.suppressions_with_evidence().unwrap();
    assert_eq!(rows[0].1, "bounced (hard: userunknown)");
    assert!(
        rows[0].3.as_deref().unwrap().contains("(550): 5.1.1 <gone@example.org>: User unknown"),
        "{rows:?}"
    );
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap();
    assert_eq!(ledger.soft_bounces_since("blocked@example.org", since).unwrap(), 1);
}
