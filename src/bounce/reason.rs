//! The vocabulary of bounces: which words and status codes mean which reason, how a bounce's
//! own text is told from the returned message, and where its recipient and status are.
//! Phrases are matched on lower-cased text with white space folded. No I/O.

use std::sync::LazyLock;

use regex::Regex;

/// Why a message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The mailbox does not exist.
    UserUnknown,
    /// The domain does not exist or has no mail server.
    HostUnknown,
    /// The address moved.
    HasMoved,
    /// The domain accepts no mail (null MX).
    NotAccept,
    /// The mailbox is full.
    MailboxFull,
    /// The message is too big.
    MesgTooBig,
    /// A size or count limit of the recipient.
    ExceedLimit,
    /// The mailbox is disabled or suspended.
    Suspend,
    /// The recipient's filter refused it.
    Filtered,
    /// The sender or the message was refused.
    Rejected,
    /// The sending host or address is blocked.
    Blocked,
    /// Taken for spam.
    SpamDetected,
    /// A virus was found.
    VirusDetected,
    /// A policy of the receiving site.
    PolicyViolation,
    /// TLS or another security requirement.
    SecurityError,
    /// SPF, DKIM or DMARC failed.
    AuthFailure,
    /// No reverse DNS for the sending host.
    RequirePtr,
    /// Too many connections or messages.
    TooManyConn,
    /// A network, DNS or routing error, or a loop.
    NetworkError,
    /// Retried until it expired.
    Expired,
    /// An error of the receiving system.
    SystemError,
    /// A local delivery program failed.
    MailerError,
    /// The sending host's reputation.
    BadReputation,
    /// The message is not RFC 5322.
    NotCompliantRfc,
    /// Relaying refused.
    NoRelaying,
    /// A syntax error in the SMTP conversation.
    SyntaxError,
}

impl Reason {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UserUnknown => "userunknown",
            Reason::HostUnknown => "hostunknown",
            Reason::HasMoved => "hasmoved",
            Reason::NotAccept => "notaccept",
            Reason::MailboxFull => "mailboxfull",
            Reason::MesgTooBig => "mesgtoobig",
            Reason::ExceedLimit => "exceedlimit",
            Reason::Suspend => "suspend",
            Reason::Filtered => "filtered",
            Reason::Rejected => "rejected",
            Reason::Blocked => "blocked",
            Reason::SpamDetected => "spamdetected",
            Reason::VirusDetected => "virusdetected",
            Reason::PolicyViolation => "policyviolation",
            Reason::SecurityError => "securityerror",
            Reason::AuthFailure => "authfailure",
            Reason::RequirePtr => "requireptr",
            Reason::TooManyConn => "toomanyconn",
            Reason::NetworkError => "networkerror",
            Reason::Expired => "expired",
            Reason::SystemError => "systemerror",
            Reason::MailerError => "mailererror",
            Reason::BadReputation => "badreputation",
            Reason::NotCompliantRfc => "notcompliantrfc",
            Reason::NoRelaying => "norelaying",
            Reason::SyntaxError => "syntaxerror",
        }
    }

    /// Hard: the address is gone for good. Only an unknown user or host and a moved address
    /// are, and a domain that accepts no mail; a temporary (4xx) answer never is.
    pub fn is_hard(self, status: &str, words: &str) -> bool {
        let temporary = status.starts_with('4')
            || (status.is_empty() && reply_code(words).is_some_and(|code| code.starts_with('4')));
        matches!(
            self,
            Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved | Reason::NotAccept
        ) && !temporary
    }
}

/// The phrases of each reason, in the order they are tried (the more specific first).
const PHRASES: &[(Reason, &[&str])] = &[
    // The sender refused, before anything about the recipient is read.
    (
        Reason::Rejected,
        &[
            "after mail from",
            "provide a valid from",
            "from: domain",
            "mail from address",
            "sender address rejected",
            "domain of sender address",
            "sender verify failed",
            "sender rejected",
            "sender domain must exist",
            "sender unknown",
            "invalid sender",
            "sender address is not",
            "not permitted to send from",
            "sender address invalid",
        ],
    ),
    (
        Reason::NotAccept,
        &[
            "does not accept mail",
            "doesn't accept mail",
            "not accepting mail",
            "accepts no mail",
            "null mx",
            "domain does not receive mail",
            "does not accept any mail",
        ],
    ),
    (
        Reason::HasMoved,
        &[
            "has been moved",
            "has moved",
            "address has changed",
            "no longer at this address",
            "user not local; please try",
        ],
    ),
    (
        Reason::MailboxFull,
        &[
            "exceeds allowed size",
            "mailbox exceeds",
            "mailbox full",
            "mailbox is full",
            "mailbox is over",
            "over quota",
            "overquota",
            "quota exceeded",
            "exceeded storage",
            "exceeds the storage",
            "mailbox size limit",
            "disk quota",
            "user is over",
            "is over quota",
            "mailfolder is full",
            "mail box full",
            "mailbox has exceeded",
            "storage limit",
            "insufficient storage",
            "out of storage",
            "full mailbox",
            "maildir over quota",
            "too much mail data",
            "recipient's mailbox is full",
            "account is full",
            "mailbox exceeded",
            "quota full",
            "would exceed quota",
            "not enough space",
            "mailbox would exceed",
        ],
    ),
    (
        Reason::MesgTooBig,
        &[
            "message too big",
            "message too large",
            "message is too large",
            "message is too big",
            "message size exceeds",
            "exceeds maximum message size",
            "exceeds the maximum message size",
            "exceeded the maximum size",
            "size exceeds",
            "message length exceeds",
            "mail size limit",
            "message exceeds maximum",
            "larger than",
            "too big for",
        ],
    ),
    (
        Reason::ExceedLimit,
        &[
            "exceeds limit",
            "message exceeds local size limit",
            "exceeded the rate limit",
            "limit exceeded",
        ],
    ),
    (
        Reason::Suspend,
        &[
            "suspended",
            "account disabled",
            "account has been disabled",
            "mailbox disabled",
            "mailbox is disabled",
            "is disabled",
            "account is inactive",
            "mailbox is inactive",
            "inactive account",
            "account is locked",
            "has been locked",
            "not active",
            "is deactivated",
            "account expired",
            "mailbox unavailable due to inactivity",
            "temporarily unavailable",
            "recipient is inactive",
            "mailbox is frozen",
            "is currently unavailable",
        ],
    ),
    (
        Reason::NoRelaying,
        &[
            "relay access denied",
            "relaying denied",
            "relay denied",
            "not permitted to relay",
            "unable to relay",
            "relay not permitted",
            "relaying not allowed",
            "we do not relay",
            "relay not allowed",
            "not relay",
            "no relaying",
            "relaying mail to",
            "not allowed to relay",
        ],
    ),
    (Reason::VirusDetected, &["virus", "malware", "infected", "worm"]),
    (
        Reason::AuthFailure,
        &[
            "spf",
            "dkim",
            "dmarc",
            "sender policy framework",
            "authentication failed",
            "not pass authentication",
            "domain authentication",
            "unauthenticated email",
            "sender is unauthenticated",
        ],
    ),
    (
        Reason::RequirePtr,
        &[
            "reverse dns",
            "ptr record",
            "no ptr",
            "rdns",
            "reverse lookup",
            "reverse dns lookup",
            "no reverse",
            "cannot find your hostname",
            "hostname lookup failed",
            "does not resolve",
            "unresolvable",
        ],
    ),
    (
        Reason::UserUnknown,
        &[
            "address not found",
            "address couldn't be found",
            "address could not be found",
            "user unknown",
            "unknown user",
            "user not found",
            "no such user",
            "no such mailbox",
            "no such recipient",
            "no such account",
            "no mailbox",
            "mailbox not found",
            "mailbox does not exist",
            "mailbox doesn't exist",
            "mailbox unavailable",
            "mailbox not available",
            "recipient unknown",
            "unknown recipient",
            "recipient not found",
            "recipient does not exist",
            "recipient address rejected",
            "invalid recipient",
            "invalid mailbox",
            "not a valid mailbox",
            "is not a valid recipient",
            "address unknown",
            "unknown address",
            "address does not exist",
            "account does not exist",
            "account doesn't exist",
            "does not exist",
            "doesn't exist",
            "doesn't have a",
            "does not have an account",
            "unknown local part",
            "unknown local-part",
            "bad destination mailbox",
            "undeliverable address",
            "no such address",
            "is not a known user",
            "user doesn't exist",
            "user does not exist",
            "not our customer",
            "unknown or illegal alias",
            "addressee unknown",
            "invalid address",
            "no such local user",
            "user is unknown",
            "unknown mailbox",
            "recipient rejected",
            "rejected recipient",
            "no such person",
            "mailbox name not allowed",
            "account unavailable",
            "not listed in",
            "user not exist",
            "address rejected",
            "is not a valid",
            "was not found",
            "not known here",
            "unrouteable address",
            "recipient no longer",
            "has no mailbox",
            "not a valid email",
        ],
    ),
    (
        Reason::HostUnknown,
        &[
            "host unknown",
            "unknown host",
            "host not found",
            "domain not found",
            "no such domain",
            "domain does not exist",
            "domain doesn't exist",
            "unknown domain",
            "name or service not known",
            "illegal host/domain",
            "host or domain name not found",
            "domain name not found",
            "invalid domain",
            "no mx",
            "mx record",
            "nxdomain",
            "domain is not",
            "could not be resolved",
            "unable to resolve",
        ],
    ),
    (
        Reason::Filtered,
        &[
            "filtered",
            "blocked by the recipient",
            "refused by recipient",
            "rejected by recipient",
            "recipient has rejected",
            "has restricted",
            "restricted recipient",
            "user refuses",
            "does not accept messages from",
            "delivery not authorized",
            "not authorized to send",
            "sender is not allowed",
            "mail from this sender",
            "message filtered",
            "filter",
        ],
    ),
    (
        Reason::SpamDetected,
        &[
            "spam",
            "junk",
            "unsolicited",
            "bulk mail",
            "message content rejected",
            "content rejected",
            "considered as spam",
            "spam score",
            "suspicious",
            "phishing",
        ],
    ),
    (Reason::BadReputation, &["reputation"]),
    (
        Reason::TooManyConn,
        &[
            "too many connections",
            "too many concurrent",
            "connection limit",
            "too many sessions",
            "too many simultaneous",
            "too many smtp sessions",
            "rate limit",
            "too many messages",
            "try again later",
            "throttl",
        ],
    ),
    (
        Reason::Blocked,
        &[
            "blocked",
            "blacklist",
            "blocklist",
            "block list",
            "black list",
            "spamhaus",
            "listed in",
            "rbl",
            "dnsbl",
            "client host rejected",
            "banned",
            "denylist",
            "your ip",
            "ip address",
            "access denied",
            "not allowed to send",
            "poor reputation",
            "refused to accept",
            "connection refused by",
        ],
    ),
    (
        Reason::SecurityError,
        &[
            "tls",
            "starttls",
            "certificate",
            "encryption",
            "must issue a starttls",
            "authentication required",
            "must authenticate",
            "secure connection",
        ],
    ),
    (
        Reason::PolicyViolation,
        &["policy", "violat", "not in compliance", "prohibited", "not allowed"],
    ),
    (
        Reason::NotCompliantRfc,
        &[
            "rfc 5322",
            "rfc5322",
            "rfc 2822",
            "rfc2822",
            "rfc 822",
            "not compliant",
            "malformed",
            "duplicate header",
            "header error",
            "invalid header",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "sender rejected",
            "sender address rejected",
            "sender verify failed",
            "sender domain",
            "domain of sender",
            "sender unknown",
            "rejected",
            "refused",
            "denied",
            "not accepted",
            "reject",
        ],
    ),
    (
        Reason::Expired,
        &[
            "did not accept our requests to connect",
            "aborted after",
            "retry timeout exceeded",
            "could not be delivered for",
            "message expired",
            "delivery time expired",
            "time limit",
            "timed out",
            "timeout",
            "has expired",
            "were not delivered within",
            "not delivered within",
            "delivery expired",
            "too long",
            "giving up",
            "retry time",
            "in the queue for",
            "expired",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "network",
            "no route to host",
            "connection refused",
            "connection reset",
            "connection closed",
            "lost connection",
            "could not connect",
            "unable to connect",
            "dns",
            "lookup",
            "hop count exceeded",
            "mail loop",
            "routing loop",
            "loops back",
            "too many hops",
            "loop detected",
        ],
    ),
    (
        Reason::MailerError,
        &["command failed", "mailer", "procmail", "exit code", "pipe", "unknown mailer", "x-unix"],
    ),
    (
        Reason::SystemError,
        &[
            "service currently unavailable",
            "system error",
            "internal error",
            "server error",
            "local error",
            "temporary failure",
            "temporarily",
            "configuration error",
            "mail system",
            "i/o error",
            "out of memory",
            "service unavailable",
            "system failure",
            "error in processing",
        ],
    ),
    (
        Reason::SyntaxError,
        &["syntax error", "command unrecognized", "command not recognized", "bad sequence"],
    ),
];

/// The reason a DSN status code names, when it names one clearly.
fn reason_of_status(status: &str) -> Option<Reason> {
    let mut parts = status.splitn(3, '.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    let reason = match (subject, detail) {
        ("1", "1") => Reason::UserUnknown,
        ("1", "2") => Reason::HostUnknown,
        ("1", "3") => Reason::UserUnknown,
        ("1", "6") => Reason::HasMoved,
        ("1", "8") => Reason::Rejected,
        ("1", "10") => Reason::NotAccept,
        ("2", "1") => Reason::Suspend,
        ("2", "2") => Reason::MailboxFull,
        ("2", "3") => Reason::MesgTooBig,
        ("2", "4") => Reason::SystemError,
        ("3", "1") => Reason::SystemError,
        ("3", "4") => Reason::MesgTooBig,
        ("3", "5") => Reason::SystemError,
        ("4", "1" | "2" | "3") => Reason::NetworkError,
        ("4", "4") => Reason::HostUnknown,
        ("4", "6") => Reason::NetworkError,
        ("4", "7") => Reason::Expired,
        ("5", _) => Reason::SyntaxError,
        ("6", _) => Reason::NotCompliantRfc,
        ("7", "0" | "8" | "9" | "11" | "13" | "14") => Reason::SecurityError,
        ("7", "1") => Reason::Rejected,
        ("7", "7") => Reason::NotCompliantRfc,
        ("7", "20" | "21" | "22" | "23" | "24" | "25" | "26") => Reason::AuthFailure,
        ("7", "27") => Reason::NotAccept,
        _ => return None,
    };
    // `x.0.0` and the like say nothing; a 2.x.x is no failure.
    (class == "4" || class == "5").then_some(reason)
}

/// The reason of a failure: its words first, then its status code, then `Action: delayed`.
pub fn reason(words: &str, subject: &str, status: &str, action: &str) -> Option<Reason> {
    let text = format!("{} {}", fold(words), fold(subject));
    // A clear status code beats loose words for the classes that decide hard or soft.
    if let Some(strong) = reason_of_status(status).filter(|r| {
        matches!(
            r,
            Reason::UserUnknown
                | Reason::HostUnknown
                | Reason::HasMoved
                | Reason::NotAccept
                | Reason::MailboxFull
                | Reason::Expired
                | Reason::AuthFailure
        )
    }) {
        // … unless the words name a soft reason the code also covers (`5.1.1 … blocked`).
        let soft_words = PHRASES.iter().find(|(reason, phrases)| {
            matches!(reason, Reason::Blocked | Reason::SpamDetected | Reason::MailboxFull)
                && phrases.iter().any(|phrase| text.contains(phrase))
        });
        return Some(match (strong, soft_words) {
            (Reason::UserUnknown, Some((soft, _))) => *soft,
            _ => strong,
        });
    }
    for (reason, phrases) in PHRASES {
        if phrases.iter().any(|phrase| text.contains(phrase)) {
            // "User unknown" answered after the message was sent (a 5.2 or 5.7 status, or
            // no address in the reply) is the recipient's filter speaking.
            if *reason == Reason::UserUnknown
                && (status.starts_with("5.2.")
                    || status.starts_with("5.3.")
                    || status.starts_with("5.7.")
                    || ADDRESSLESS.is_match(&text))
            {
                return Some(Reason::Filtered);
            }
            return Some(*reason);
        }
    }
    if let Some(by_code) = reason_of_status(status) {
        return Some(by_code);
    }
    if action.eq_ignore_ascii_case("delayed") {
        return Some(Reason::Expired);
    }
    None
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// `550 : User unknown`: a refusal that names no address.
static ADDRESSLESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[45]\d\d:? : user unknown").unwrap_or_else(|_| unreachable_regex())
});

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b").unwrap_or_else(|_| unreachable_regex())
});

static REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)(?:^|[^\d.])([245]\d\d)[ -]").unwrap_or_else(|_| unreachable_regex())
});

fn unreachable_regex() -> Regex {
    Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

/// The first DSN status code in `text`.
pub fn status_in(text: &str) -> Option<String> {
    STATUS.captures(text).map(|caps| format!("{}.{}.{}", &caps[1], &caps[2], &caps[3]))
}

/// The first SMTP reply code in `text`.
fn reply_code(text: &str) -> Option<String> {
    REPLY.captures(text).map(|caps| caps[1].to_owned())
}

/// The status to report: a specific code in the server's own reply first (it is what the
/// remote side said; a DSN's `Status` is often the reporting MTA's summary), then the DSN's,
/// then one in the bounce's other words.
pub fn pick_status(dsn: &str, reply: &str, words: &str) -> String {
    // Only a well-formed code counts as the DSN's (a provider's field may hold anything).
    let dsn = status_in(dsn).unwrap_or_default();
    let dsn = dsn.as_str();
    let specific = |text: &str| {
        STATUS
            .captures_iter(text)
            .map(|caps| format!("{}.{}.{}", &caps[1], &caps[2], &caps[3]))
            .find(|code| {
                !code.ends_with(".0.0")
                    && (dsn.is_empty() || code.chars().next() == dsn.chars().next())
            })
    };
    if let Some(code) = specific(reply) {
        return code;
    }
    if !dsn.is_empty() && !dsn.ends_with(".0.0") {
        return dsn.to_owned();
    }
    match specific(words) {
        Some(code) => code,
        None if !dsn.is_empty() => dsn.to_owned(),
        None => status_in(words).unwrap_or_default(),
    }
}

/// Whether a message is a failure notice: a mailer daemon's sender or subject, or the words
/// of one.
pub fn is_bounce_notice(subject: &str, from: &str, body: &str) -> bool {
    let subject = fold(subject);
    let from = fold(from);
    let body = fold(&body[..floor_boundary(body, 20_000)]);
    let subjects = [
        "undeliver",
        "delivery status notification",
        "delivery failure",
        "failure notice",
        "returned mail",
        "mail delivery failed",
        "delivery has failed",
        "could not be delivered",
        "not delivered",
        "mail system error",
        "non-delivery",
        "nondelivery",
        "delivery problem",
        "warning: could not send",
        "rejected",
        "delivery notification",
        "bounce",
        "mail delivery subsystem",
        "undelivered",
        "failed delivery",
        "mail failure",
        "delivery report",
        "returned to sender",
        "message not delivered",
        "delivery incomplete",
    ];
    let senders = ["mailer-daemon", "postmaster", "mail delivery", "mailer daemon", "mail-daemon"];
    let words = [
        "could not be delivered",
        "was not delivered",
        "undeliverable",
        "delivery has failed",
        "permanent error",
        "permanent fatal error",
        "delivery failed",
        "failed to deliver",
        "unable to deliver",
        "delivery to the following recipient",
        "the following address",
        "message could not",
        "returned to you",
        "mail delivery failed",
        "your message to",
        "the original message",
        "this is the mail system",
        "failure notice",
        "giving up",
        "message was undeliverable",
        "non-delivery",
        "couldn't be delivered",
        "not be delivered",
    ];
    subjects.iter().any(|w| subject.contains(w))
        || senders.iter().any(|w| from.contains(w))
        || words.iter().any(|w| body.contains(w))
}

/// Subjects of automatic replies.
pub fn is_vacation_subject(subject: &str) -> bool {
    let subject = fold(subject);
    [
        "out of office",
        "out of the office",
        "auto reply",
        "auto-reply",
        "autoreply",
        "automatic reply",
        "auto response",
        "autoresponse",
        "vacation",
        "away from",
        "abwesenheit",
        "absence",
        "auto:",
        "i am away",
        "on leave",
    ]
    .iter()
    .any(|w| subject.contains(w))
}

/// The part of `text` about `recipient`: from its first mention to the next other address
/// (at most 800 bytes); all of `text` when it is not named.
pub fn text_near(text: &str, recipient: &str) -> String {
    if recipient.is_empty() {
        return text.to_owned();
    }
    // Found case-insensitively in `text` itself: offsets into a lower-cased copy need not
    // be offsets into the text (found by fuzzing).
    let Ok(named) = Regex::new(&format!("(?i){}", regex::escape(recipient))) else {
        return text.to_owned();
    };
    let Some(found) = named.find(text) else { return text.to_owned() };
    let (start, after) = (found.start(), found.end());
    // Up to the next other recipient (a bounce may list several, each with its reason), at
    // most 800 bytes.
    let next_other = ADDRESS
        .find_iter(&text[after..])
        .find(|other| !other.as_str().eq_ignore_ascii_case(recipient))
        .map_or(text.len(), |other| after + other.start());
    let end = floor_boundary(text, next_other.min(start + 800)).max(after);
    text[start..end].to_owned()
}

/// The bounce's own words: the text before the returned message begins.
pub fn failure_text(body: &str) -> String {
    let lower = body.to_lowercase();
    let markers = [
        "------ this is a copy of the message",
        "--- below this line is a copy of the message",
        "------ original message ------",
        "----- original message -----",
        "original message follows",
        "--- the header of the original message",
        "----- transcript of session follows",
        "the original message was received",
        "------ the header of",
        "received: from",
        "content-type: message/rfc822",
        "-----original message-----",
        "return-path:",
    ];
    let end = markers
        .iter()
        .filter_map(|marker| lower.find(marker))
        .filter(|at| *at > 40)
        .min()
        .unwrap_or(body.len());
    let end = floor_boundary(body, end.min(8000));
    body[..end].to_owned()
}

fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:"[^"\r\n@]{1,64}"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"#)
        .unwrap_or_else(|_| unreachable_regex())
});

/// Every address in `text`, lower-cased, in order.
pub fn addresses_in(text: &str) -> Vec<String> {
    ADDRESS
        .find_iter(text)
        .map(|found| {
            found
                .as_str()
                .trim_start_matches(['.', '\'', '`'])
                .trim_end_matches(['.', '\'', '`'])
                .to_lowercase()
        })
        .filter(|address| address.contains('@'))
        .collect()
}

/// The failed recipient named in a free-text bounce: the first address that is not a mailer
/// daemon's or the postmaster's, nor one of `not` (the bounce's own sender and addressee).
pub fn recipient_in_text(text: &str, not: &[String]) -> Option<String> {
    addresses_in(text).into_iter().find(|address| {
        if not.contains(address) {
            return false;
        }
        let local = address.split('@').next().unwrap_or("");
        !matches!(
            local,
            "mailer-daemon" | "postmaster" | "mail-daemon" | "root" | "noreply" | "no-reply"
        )
    })
}
