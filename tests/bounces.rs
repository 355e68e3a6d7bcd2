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
