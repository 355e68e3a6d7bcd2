//! Bounce messages: one message in, what it says out (class, failed recipient, DSN status,
//! reason, the remote server's reply).
//!
//! It reads RFC 3464 delivery status notifications (`message/delivery-status`), RFC 5965 ARF
//! complaint reports (`message/feedback-report`), Amazon SES notifications, and the free-text
//! bounces of MTAs that write no DSN (qmail, Exim, older Sendmail, Exchange, …). Auto-replies
//! (RFC 3834 `Auto-Submitted: auto-replied`, `X-Autoreply`, vacation subjects) are never
//! bounces. The class follows the common hard/soft notion: only an unknown user or host, a
//! moved mailbox and a domain that accepts no mail with a 5xx reply are hard; every other
//! failure is soft. MIME is decoded by mail-parser; any input gives an answer, never a panic,
//! and at most [`MAX_BYTES`] of it are read. No I/O.

mod reason;

use std::borrow::Cow;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

pub use reason::Reason;

/// The most bytes of a message read (a bounce's own text is at the start; a huge returned
/// attachment is cut).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// What kind of message it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// The address does not exist (unknown user or host, moved, accepts no mail).
    Hard,
    /// Any other failure: full, blocked, filtered, expired, a temporary error.
    Soft,
    /// The recipient reported the message as spam (ARF, a provider's complaint notice).
    Complaint,
    /// A vacation or other automatic reply.
    AutoReply,
    /// Not a bounce: a success notice, or an ordinary message.
    NotBounce,
    /// A failure notice whose cause cannot be told.
    Unknown,
}

impl Class {
    /// The word in JSON and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Hard => "hard",
            Class::Soft => "soft",
            Class::Complaint => "complaint",
            Class::AutoReply => "auto-reply",
            Class::NotBounce => "not-bounce",
            Class::Unknown => "unknown",
        }
    }
}

/// What a bounce says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Bounce {
    /// Its class.
    pub class: Class,
    /// The address that failed (or complained), lower-cased; empty when none is named.
    pub recipient: String,
    /// The DSN status code (`5.1.1`), when one is given.
    pub status: String,
    /// Why, in one word (`userunknown`, `mailboxfull`, …; `feedback`, `vacation`,
    /// `delivered`, `onhold`).
    pub reason: String,
    /// The remote server's reply or the bounce's own words, on one line.
    pub reply: String,
    /// The failed message's Message-ID, when the bounce returns its headers.
    pub message_id: String,
}

/// One recipient's block of a delivery status notification.
#[derive(Debug, Clone, Default)]
struct Recipient {
    address: String,
    action: String,
    /// The Diagnostic-Code's type (`smtp`, `x-unix`).
    kind: String,
    status: String,
    diagnostic: String,
}

/// Reads one message.
pub fn classify(raw: &[u8]) -> Bounce {
    let raw = &raw[..raw.len().min(MAX_BYTES)];
    let Some(message) = MessageParser::default().parse(raw) else {
        return unknown_message(raw);
    };
    let header =
        |name: &str| -> String { message.header_raw(name).map(one_line).unwrap_or_default() };
    let subject = header("Subject");
    let from = header("From").to_lowercase();
    let auto_submitted = header("Auto-Submitted").to_lowercase();
    let mut message_id = returned_message_id(&message);

    // Collect the decoded parts: delivery-status blocks, feedback reports, and text.
    let mut recipients: Vec<Recipient> = Vec::new();
    let mut feedback: Option<String> = None;
    let mut texts: Vec<String> = Vec::new();
    let mut returned_to = String::new();
    for part in &message.parts {
        let (ctype, subtype) = part
            .content_type()
            .map(|ct| {
                (ct.ctype().to_ascii_lowercase(), ct.subtype().unwrap_or("").to_ascii_lowercase())
            })
            .unwrap_or_default();
        let text = part_text(part);
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status" | "global-delivery-status") => {
                recipients.extend(delivery_status(&text));
            }
            ("message", "feedback-report") => feedback = Some(text.into_owned()),
            ("message", "rfc822" | "global") | ("text", "rfc822-headers" | "rfc822-header")
                if returned_to.is_empty() =>
            {
                returned_to = returned_recipient(part, &text);
            }
            ("message", "rfc822" | "global") | ("text", "rfc822-headers" | "rfc822-header") => {}
            ("multipart", _) => {}
            ("text", _) | ("", _) => texts.push(text.into_owned()),
            _ => {}
        }
    }
    let mut body = texts.join("\n");
    // A multipart whose boundary never comes: its body is the text.
    if body.trim().is_empty() {
        let raw_text = String::from_utf8_lossy(raw);
        let start = raw_text.replace("\r\n", "\n").find("\n\n").map_or(0, |at| at + 2);
        body = raw_text.replace("\r\n", "\n")[start..].to_owned();
    }

    // A returned copy inlined in the text (Exim, qmail): its Message-ID.
    if message_id.is_empty() {
        let own = reason::failure_text(&body).len();
        if let Some(id) = field(&unfold(&body[own..]), "Message-ID") {
            message_id = id.trim().trim_matches(['<', '>']).to_owned();
        }
    }
    // Complaints: ARF, and the notices providers send instead.
    if let Some(report) = feedback {
        let recipient = field(&report, "Original-Rcpt-To")
            .or_else(|| field(&report, "Removal-Recipient"))
            .map(|value| address_in(&value))
            .filter(|address| !address.is_empty())
            .unwrap_or(returned_to);
        return Bounce {
            class: Class::Complaint,
            recipient,
            status: String::new(),
            reason: "feedback".to_owned(),
            reply: one_line(&field(&report, "Feedback-Type").unwrap_or_default()),
            message_id,
        };
    }
    if let Some(bounce) = amazon_ses(&body, &message_id) {
        return bounce;
    }
    // Complaints sent as mail: Outlook.com's forwarded report, and Apple Mail's unsubscribe
    // request (an explicit wish to hear no more, treated as a complaint).
    let hotmail = subject.to_lowercase().starts_with("complaint about message from");
    let apple = header("X-Apple-Unsubscribe").eq_ignore_ascii_case("true");
    if hotmail || apple {
        let recipient = if apple {
            sender_address(&message)
        } else {
            original_recipient(&message).unwrap_or(returned_to)
        };
        return Bounce {
            class: Class::Complaint,
            recipient,
            status: String::new(),
            reason: "feedback".to_owned(),
            reply: subject,
            message_id,
        };
    }

    // The recipients of a DSN written into the text, when no part carries one.
    if recipients.is_empty() && body.contains("Final-Recipient:") {
        recipients = delivery_status(&body);
    }
    let failed: Vec<&Recipient> = recipients
        .iter()
        .filter(|r| {
            let action = r.action.to_lowercase();
            !(action.starts_with("delivered")
                || action.starts_with("relayed")
                || action.starts_with("expanded")
                || r.status.starts_with('2'))
        })
        .collect();
    if !recipients.is_empty() && failed.is_empty() {
        let first = &recipients[0];
        return Bounce {
            class: Class::NotBounce,
            recipient: first.address.clone(),
            status: first.status.clone(),
            reason: "delivered".to_owned(),
            reply: first.diagnostic.clone(),
            message_id,
        };
    }

    let looks_like_bounce = !failed.is_empty() || reason::is_bounce_notice(&subject, &from, &body);
    // Automatic replies: never bounces.
    let auto_replied = auto_submitted.starts_with("auto-replied")
        || message.header_raw("X-Autoreply").is_some()
        || message.header_raw("X-Autorespond").is_some()
        || reason::is_vacation_subject(&subject);
    if auto_replied && !looks_like_bounce {
        return Bounce {
            class: Class::AutoReply,
            recipient: sender_address(&message),
            status: String::new(),
            reason: "vacation".to_owned(),
            reply: subject,
            message_id,
        };
    }
    if !looks_like_bounce {
        return Bounce {
            class: Class::NotBounce,
            recipient: String::new(),
            status: String::new(),
            reason: String::new(),
            reply: String::new(),
            message_id,
        };
    }

    // A failure: one recipient, the server's words, the status and the reason.
    let dsn = failed.first().copied().cloned().unwrap_or_default();
    let mut recipient = dsn.address.clone();
    if recipient.is_empty() {
        recipient =
            header("X-Failed-Recipients").split(',').next().map(address_in).unwrap_or_default();
    }
    let quoted = reason::failure_text(&body);
    if recipient.is_empty() {
        // The bounce goes back to the sender: its own To and From are never the failed one.
        let own = [header("To"), header("From")].map(|value| address_in(&value));
        recipient = reason::recipient_in_text(&quoted, &own).unwrap_or_else(|| returned_to.clone());
    }
    // The words about this recipient: its DSN's diagnostic, else the text from where the
    // bounce names it to the next blank line (a bounce may list several recipients).
    let near = reason::text_near(&quoted, &recipient);
    let diagnostic = if dsn.diagnostic.is_empty() { near.clone() } else { dsn.diagnostic.clone() };
    let mut words = format!("{diagnostic}\n{near}");
    let mut status = reason::pick_status(&dsn.status, &dsn.diagnostic, &words);
    if status.is_empty() {
        status = reason::pick_status("", "", &quoted);
    }
    let reply = one_line(&diagnostic);
    let reply: String = reply.chars().take(500).collect();
    let mut found = reason::reason(&words, &subject, &status, &dsn.action);
    if found.is_none() && near != quoted {
        words = format!("{diagnostic}\n{quoted}");
        found = reason::reason(&words, &subject, &status, &dsn.action);
    }
    // A local delivery program's failure (`Diagnostic-Code: x-unix; …`).
    if dsn.kind == "x-unix" {
        found = Some(Reason::MailerError);
    }
    // Google Groups refuses posts from non-members with a bounce in the reader's language.
    if found.is_none() && recipient.ends_with("@googlegroups.com") {
        found = Some(Reason::Rejected);
    }
    let class = match found {
        None => Class::Unknown,
        Some(found) if found.is_hard(&status, &words) => Class::Hard,
        Some(_) => Class::Soft,
    };
    Bounce {
        class,
        recipient,
        status,
        reason: found.map_or("onhold", Reason::as_str).to_owned(),
        reply,
        message_id,
    }
}

/// What a relay's refusal during our own SMTP session says, by the same rules as a bounce
/// (`550 5.1.1 <a@b>: User unknown` is a hard bounce of `email`).
pub fn from_reply(email: &str, reply: &str) -> Bounce {
    let status = reason::pick_status("", reply, reply);
    let found = reason::reason(reply, "", &status, "failed");
    let class = match found {
        Some(found) if found.is_hard(&status, reply) => Class::Hard,
        _ => Class::Soft,
    };
    Bounce {
        class,
        recipient: email.to_lowercase(),
        status,
        reason: found.map_or("onhold", Reason::as_str).to_owned(),
        reply: one_line(reply),
        message_id: String::new(),
    }
}

/// A message mail-parser cannot read at all: a failure notice if its words say so.
fn unknown_message(raw: &[u8]) -> Bounce {
    let text = String::from_utf8_lossy(raw);
    let bounce = reason::is_bounce_notice("", "", &text);
    Bounce {
        class: if bounce { Class::Unknown } else { Class::NotBounce },
        recipient: String::new(),
        status: String::new(),
        reason: if bounce { "onhold".to_owned() } else { String::new() },
        reply: String::new(),
        message_id: String::new(),
    }
}

fn part_text<'a>(part: &'a mail_parser::MessagePart<'a>) -> Cow<'a, str> {
    match &part.body {
        PartType::Text(text) | PartType::Html(text) => Cow::Borrowed(text.as_ref()),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => String::from_utf8_lossy(bytes),
        PartType::Message(message) => String::from_utf8_lossy(message.raw_message()),
        PartType::Multipart(_) => Cow::Borrowed(""),
    }
}

/// The per-recipient blocks of a `message/delivery-status` body (the first block, about the
/// reporting MTA, names no recipient and is skipped).
fn delivery_status(text: &str) -> Vec<Recipient> {
    let mut out = Vec::new();
    for block in unfold(text).split("\n\n") {
        let address = field(block, "Final-Recipient")
            .or_else(|| field(block, "Original-Recipient"))
            .map(|value| address_in(&value))
            .unwrap_or_default();
        if address.is_empty() {
            continue;
        }
        out.push(Recipient {
            address,
            action: field(block, "Action").unwrap_or_default().trim().to_owned(),
            status: field(block, "Status")
                .and_then(|value| reason::status_in(&value))
                .unwrap_or_default(),
            kind: field(block, "Diagnostic-Code")
                .and_then(|value| {
                    let (kind, _) = value.split_once(';')?;
                    (kind.len() < 16).then(|| kind.trim().to_ascii_lowercase())
                })
                .unwrap_or_default(),
            diagnostic: field(block, "Diagnostic-Code")
                .map(|value| {
                    let value = value.trim();
                    // `smtp; 550 5.1.1 …`: the type is not the reply.
                    match value.split_once(';') {
                        Some((kind, rest)) if kind.len() < 16 && !kind.contains(' ') => {
                            one_line(rest)
                        }
                        _ => one_line(value),
                    }
                })
                .unwrap_or_default(),
        });
    }
    out
}

/// Header-style continuation lines joined (`Diagnostic-Code: …\n    more`); CRLF as LF.
fn unfold(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        if (line.starts_with(' ') || line.starts_with('\t')) && !line.trim().is_empty() {
            out.push(' ');
            out.push_str(line.trim());
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line.trim_end());
        }
    }
    out
}

/// The value of a header-style `name:` line in `block`, case-insensitive.
fn field(block: &str, name: &str) -> Option<String> {
    block.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

/// The first email address in `text` (`rfc822; <a@b>`, `"Name" <a@b>`), lower-cased.
pub(crate) fn address_in(text: &str) -> String {
    let text = text.trim();
    let text =
        text.strip_prefix("rfc822;").or_else(|| text.strip_prefix("RFC822;")).unwrap_or(text);
    reason::addresses_in(text).into_iter().next().unwrap_or_default()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The recipient of the returned message (its `To`), for reports that name no other.
fn returned_recipient(part: &mail_parser::MessagePart<'_>, text: &str) -> String {
    if let Some(inner) = part.message()
        && let Some(to) = inner.header_raw("To")
    {
        return address_in(to);
    }
    field(&unfold(text), "To").map(|to| address_in(&to)).unwrap_or_default()
}

/// The Message-ID of the returned message, when its headers came back.
fn returned_message_id(message: &Message<'_>) -> String {
    for part in message.parts.iter().skip(1) {
        let text = part_text(part);
        let is_returned = part.content_type().is_some_and(|ct| {
            let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
            ct.ctype().eq_ignore_ascii_case("message") && (sub == "rfc822" || sub == "global")
                || ct.ctype().eq_ignore_ascii_case("text") && sub.starts_with("rfc822-header")
        });
        if !is_returned {
            continue;
        }
        if let Some(inner) = part.message()
            && let Some(id) = inner.message_id()
        {
            return id.to_owned();
        }
        if let Some(id) = field(&unfold(&text), "Message-ID") {
            return id.trim().trim_matches(['<', '>']).to_owned();
        }
    }
    String::new()
}

/// The original recipient a forwarded complaint names (`X-HmXmrOriginalRecipient`).
fn original_recipient(message: &Message<'_>) -> Option<String> {
    message.parts.iter().find_map(|part| {
        let inner = part.message()?;
        inner.header_raw("X-HmXmrOriginalRecipient").map(address_in).filter(|a| !a.is_empty())
    })
}

/// The address an automatic reply came from.
fn sender_address(message: &Message<'_>) -> String {
    message.header_raw("From").map(address_in).unwrap_or_default()
}

/// Amazon SES notifications (bounce or complaint), forwarded as mail in JSON.
fn amazon_ses(body: &str, message_id: &str) -> Option<Bounce> {
    let start = body.find('{')?;
    let value: serde_json::Value =
        serde_json::from_str(body[start..].trim()).ok().or_else(|| {
            let end = body.rfind('}').filter(|end| *end > start)?;
            serde_json::from_str(&body[start..=end]).ok()
        })?;
    // Wrapped by SNS: the notification is a JSON string in `Message`.
    let value = match value.get("Message").and_then(|m| m.as_str()) {
        Some(inner) => serde_json::from_str(inner).ok()?,
        None => value,
    };
    ses_notification(&value, message_id)
}

/// A parsed SES notification (`notificationType` or `eventType`).
pub fn ses_notification(value: &serde_json::Value, message_id: &str) -> Option<Bounce> {
    let kind = value
        .get("notificationType")
        .or_else(|| value.get("eventType"))
        .and_then(|v| v.as_str())?;
    let mail_id = value
        .pointer("/mail/messageId")
        .and_then(|v| v.as_str())
        .map_or_else(|| message_id.to_owned(), str::to_owned);
    match kind {
        "Complaint" => {
            let recipient = value
                .pointer("/complaint/complainedRecipients/0/emailAddress")
                .and_then(|v| v.as_str())
                .map(address_in)
                .unwrap_or_default();
            Some(Bounce {
                class: Class::Complaint,
                recipient,
                status: String::new(),
                reason: "feedback".to_owned(),
                reply: value
                    .pointer("/complaint/complaintFeedbackType")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned(),
                message_id: mail_id,
            })
        }
        "Bounce" => {
            let first = value.pointer("/bounce/bouncedRecipients/0")?;
            let recipient = first
                .get("emailAddress")
                .and_then(|v| v.as_str())
                .map(address_in)
                .unwrap_or_default();
            let diagnostic = first
                .get("diagnosticCode")
                .and_then(|v| v.as_str())
                .map(one_line)
                .unwrap_or_default();
            let status = reason::pick_status(
                first.get("status").and_then(|v| v.as_str()).unwrap_or(""),
                &diagnostic,
                &diagnostic,
            );
            let permanent =
                value.pointer("/bounce/bounceType").and_then(|v| v.as_str()) == Some("Permanent");
            let found = reason::reason(&diagnostic, "", &status, "failed");
            let class = match found {
                Some(found) if found.is_hard(&status, &diagnostic) => Class::Hard,
                Some(_) => Class::Soft,
                None if permanent && status.starts_with('5') => Class::Soft,
                None => Class::Unknown,
            };
            Some(Bounce {
                class,
                recipient,
                status,
                reason: found.map_or("onhold", Reason::as_str).to_owned(),
                reply: diagnostic,
                message_id: mail_id,
            })
        }
        "Delivery" => Some(Bounce {
            class: Class::NotBounce,
            recipient: value
                .pointer("/delivery/recipients/0")
                .and_then(|v| v.as_str())
                .map(address_in)
                .unwrap_or_default(),
            status: String::new(),
            reason: "delivered".to_owned(),
            reply: String::new(),
            message_id: mail_id,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Postfix DSN, written for these tests after the pattern of real ones.
    const POSTFIX: &str = "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
To: bounces@news.example.org\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\
\r\n\
--B\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
This is the mail system at host mx.example.org.\r\n\
\r\n\
<ana@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 <ana@example.net>:\r\n\
    Recipient address rejected: User unknown in local recipient table\r\n\
--B\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.org\r\n\
\r\n\
Final-Recipient: rfc822; ana@example.net\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <ana@example.net>: Recipient address rejected:\r\n\
    User unknown in local recipient table\r\n\
--B\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: The Morning Digest <digest@news.example.org>\r\n\
To: ana@example.net\r\n\
Message-ID: <20261130.abc@news.example.org>\r\n\
--B--\r\n";

    #[test]
    fn a_dsn_gives_class_recipient_status_reason_and_reply() {
        let bounce = classify(POSTFIX.as_bytes());
        assert_eq!(bounce.class, Class::Hard);
        assert_eq!(bounce.recipient, "ana@example.net");
        assert_eq!(bounce.status, "5.1.1");
        assert_eq!(bounce.reason, "userunknown");
        assert!(
            bounce.reply.starts_with("550 5.1.1 <ana@example.net>: Recipient address rejected")
        );
        assert_eq!(bounce.message_id, "20261130.abc@news.example.org");
        let full = POSTFIX
            .replace("5.1.1", "5.2.2")
            .replace("User unknown in local recipient table", "Mailbox full");
        let bounce = classify(full.as_bytes());
        assert_eq!(
            (bounce.class, bounce.reason.as_str(), bounce.status.as_str()),
            (Class::Soft, "mailboxfull", "5.2.2")
        );
    }

    #[test]
    fn complaints_auto_replies_and_ordinary_mail() {
        let arf = "From: feedback@isp.example\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\r\n\r\n\
--A\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n\
--A\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nOriginal-Rcpt-To: Bea@Example.net\r\n\
--A\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: bea@example.net\r\nMessage-ID: <x@news.example.org>\r\n--A--\r\n";
        let bounce = classify(arf.as_bytes());
        assert_eq!(
            (bounce.class, bounce.recipient.as_str()),
            (Class::Complaint, "bea@example.net")
        );
        assert_eq!(bounce.reason, "feedback");

        let vacation = "From: Cal <cal@example.net>\r\nSubject: Out of office: back Monday\r\n\
Auto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n";
        let bounce = classify(vacation.as_bytes());
        assert_eq!(
            (bounce.class, bounce.recipient.as_str()),
            (Class::AutoReply, "cal@example.net")
        );

        let letter = "From: dee@example.net\r\nSubject: Thanks\r\n\r\nLoved today's digest.\r\n";
        assert_eq!(classify(letter.as_bytes()).class, Class::NotBounce);
    }

    /// Found by fuzzing: offsets in a lower-cased copy used on the text (`İ` lower-cases to
    /// three bytes), a `}` before the first `{`, and a DSN status starting with a non-ASCII
    /// character each panicked.
    #[test]
    fn fuzzing_finds_stay_fixed() {
        let near =
            reason::text_near("İİİ error for ANA@example.net: 550 5.1.1 gone", "ana@example.net");
        assert_eq!(near, "ANA@example.net: 550 5.1.1 gone");
        assert!(amazon_ses("} then {", "").is_none());
        assert_eq!(reason::pick_status("é5.1.1", "550 5.1.2 x", ""), "5.1.2");
        assert_eq!(reason::pick_status("é", "", ""), "");
    }

    #[test]
    fn junk_never_panics() {
        for input in [
            &b""[..],
            b"\xff\xfe\x00garbage",
            b"Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\n",
            b"Subject: Undeliverable\r\n\r\n",
        ] {
            let _ = classify(input);
        }
        let big = format!("Subject: Undeliverable\r\n\r\n{}", "x".repeat(5 * 1024 * 1024));
        assert_eq!(classify(big.as_bytes()).class, Class::Unknown);
    }
}
