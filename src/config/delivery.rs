//! `[delivery]`, `[delivery.dkim]` and `[smtp]`: checked into [`DeliveryConfig`].
//!
//! Secrets never live in the config: the SMTP password comes from an environment variable or
//! a file, and the unsubscribe secret from an environment variable, both read at send time.

use std::path::Path;
use std::time::Duration;

use lettre::Address;
use lettre::message::Mailbox;
use toml::Spanned;

use super::raw::{RawConfig, RawDelivery, RawSmtp};
use super::validate::{positive, std_duration};
use super::{
    ConfigProblem, DeliveryConfig, DeliveryMode, DkimAlgorithm, DkimConfig, PasswordSource,
    SmtpConfig, TlsMode,
};
use crate::render::{SUBJECT_PLACEHOLDERS, TemplatePart, template_parts};

/// Checks `[delivery]` and `[smtp]`.
pub(super) fn validate(
    raw: &RawConfig,
    base_dir: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> DeliveryConfig {
    let delivery = &raw.delivery;
    let mode = match delivery.mode.get_ref().trim() {
        "outbox" => DeliveryMode::Outbox,
        "smtp" => DeliveryMode::Smtp,
        other => {
            problems.push(
                ConfigProblem::new("delivery.mode", format!("unknown mode `{other}`"))
                    .hint("use `outbox` (write .eml files) or `smtp`")
                    .at(delivery.mode.span()),
            );
            DeliveryMode::Outbox
        }
    };
    let from = mailbox(&delivery.from, "delivery.from", problems);
    let reply_to =
        delivery.reply_to.as_ref().and_then(|value| mailbox(value, "delivery.reply_to", problems));
    // A placeholder only used while other problems are reported: the config is refused.
    let from = from
        .unwrap_or_else(|| Mailbox::new(None, Address::new_dangerous("newsdigest", "localhost")));
    let list_id = match &delivery.list_id {
        Some(value) => {
            let id = value.get_ref().trim().trim_start_matches('<').trim_end_matches('>');
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_graphic() && c != '<' && c != '>') {
                problems.push(
                    ConfigProblem::new("delivery.list_id", format!("`{id}` is not a List-Id"))
                        .hint("use a dotted name such as `morning-digest.example.org`")
                        .at(value.span()),
                );
            }
            id.to_owned()
        }
        None => format!("newsdigest.{}", from.email.domain()),
    };
    let subject = check_subject(&delivery.subject, problems);
    let min_items = match usize::try_from(*delivery.min_items.get_ref()) {
        Ok(n) => n,
        Err(_) => {
            problems.push(
                ConfigProblem::new("delivery.min_items", "must be 0 or more")
                    .at(delivery.min_items.span()),
            );
            1
        }
    };
    let unsubscribe_url = delivery.unsubscribe_url.as_ref().map(|value| {
        let url = value.get_ref().trim();
        if let Err(reason) = check_unsubscribe_url(url) {
            problems.push(
                ConfigProblem::new("delivery.unsubscribe_url", format!("`{url}` {reason}"))
                    .hint("one-click unsubscribe (RFC 8058) needs an https page")
                    .at(value.span()),
            );
        }
        url.to_owned()
    });
    let unsubscribe_email = match &delivery.unsubscribe_email {
        Some(value) => value.get_ref().trim().parse::<Address>().unwrap_or_else(|err| {
            problems.push(
                ConfigProblem::new(
                    "delivery.unsubscribe_email",
                    format!("`{}` is not a valid email address ({err})", value.get_ref()),
                )
                .at(value.span()),
            );
            from.email.clone()
        }),
        None => reply_to.as_ref().unwrap_or(&from).email.clone(),
    };
    let secret_env = delivery.unsubscribe_secret_env.trim().to_owned();
    if !is_env_name(&secret_env) {
        problems.push(ConfigProblem::new(
            "delivery.unsubscribe_secret_env",
            format!("`{secret_env}` is not an environment variable name"),
        ));
    }
    let clip_budget = delivery
        .clip_budget
        .as_ref()
        .map(|value| positive(value, "delivery.clip_budget", problems));
    let max_attempts = positive(&delivery.max_attempts, "delivery.max_attempts", problems);
    let max_consecutive_failures =
        positive(&delivery.max_consecutive_failures, "delivery.max_consecutive_failures", problems);
    let dkim = dkim(delivery, &from, base_dir, problems);
    let smtp = raw.smtp.as_ref().map(|smtp| validate_smtp(smtp, base_dir, problems));
    if mode == DeliveryMode::Smtp && smtp.is_none() {
        problems.push(
            ConfigProblem::new("delivery.mode", "`smtp` needs an [smtp] table")
                .hint("add [smtp] with at least `host`, or use `mode = \"outbox\"`")
                .at(delivery.mode.span()),
        );
    }
    DeliveryConfig {
        mode,
        from,
        reply_to,
        list_id,
        subject,
        min_items,
        unsubscribe_url,
        unsubscribe_email,
        unsubscribe_secret_env: secret_env,
        unsubscribe_secret_file: delivery
            .unsubscribe_secret_file
            .as_ref()
            .map(|path| base_dir.join(path.get_ref().trim())),
        bounce_address: delivery.bounce_address.as_ref().and_then(|value| {
            let text = value.get_ref().trim();
            match text.parse::<Address>() {
                Ok(address) if !address.user().contains('+') => Some(address),
                Ok(_) => {
                    problems.push(
                        ConfigProblem::new(
                            "delivery.bounce_address",
                            format!(
                                "`{text}` already holds a `+`; newsdigest adds `+TOKEN` itself"
                            ),
                        )
                        .at(value.span()),
                    );
                    None
                }
                Err(err) => {
                    problems.push(
                        ConfigProblem::new(
                            "delivery.bounce_address",
                            format!("`{text}` is not a valid email address ({err})"),
                        )
                        .at(value.span()),
                    );
                    None
                }
            }
        }),
        postal_address: delivery
            .postal_address
            .as_ref()
            .map(|address| crate::text::normalize(address.get_ref()))
            .filter(|address| !address.is_empty()),
        clip_budget,
        max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
        max_consecutive_failures,
        dkim,
        smtp,
    }
}

/// Whether `url` can stand in `List-Unsubscribe: <…>`: an absolute https URL with a host and
/// none of the characters that would end or break the header (`<`, `>`, `"`, spaces).
fn check_unsubscribe_url(url: &str) -> Result<(), &'static str> {
    if let Some(bad) = url.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '\\' | '`' | '{' | '}' | '|' | '^')
    }) {
        return Err(match bad {
            '<' | '>' | '"' => {
                "holds `<`, `>` or `\"`, which would break the List-Unsubscribe header"
            }
            _ if bad.is_whitespace() => "holds white space",
            _ => "holds a character that is not allowed in a URL",
        });
    }
    match reqwest::Url::parse(url) {
        Ok(parsed)
            if parsed.scheme() == "https" && parsed.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(())
        }
        Ok(_) => Err("is not an https URL"),
        Err(_) => Err("is not an absolute https URL"),
    }
}

fn mailbox(
    value: &Spanned<String>,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Mailbox> {
    let text = value.get_ref().trim();
    if text.chars().any(char::is_control) {
        problems.push(
            ConfigProblem::new(key, "must not contain control characters or line breaks")
                .at(value.span()),
        );
        return None;
    }
    let checked = text.parse::<Mailbox>().map_err(|err| err.to_string()).and_then(|mailbox| {
        super::subscribers::relayable(&mailbox.email)?;
        match &mailbox.name {
            Some(name) if name.chars().count() > super::subscribers::MAX_NAME_CHARS => {
                Err(format!(
                    "the name is {} characters long; at most {} fit in a mail header",
                    name.chars().count(),
                    super::subscribers::MAX_NAME_CHARS
                ))
            }
            _ => Ok(mailbox),
        }
    });
    match checked {
        Ok(mailbox) => Some(mailbox),
        Err(err) => {
            problems.push(
                ConfigProblem::new(key, format!("`{text}` is not a valid mailbox ({err})"))
                    .hint("write `Name <address@example.org>` or a bare address")
                    .at(value.span()),
            );
            None
        }
    }
}

fn check_subject(value: &Spanned<String>, problems: &mut Vec<ConfigProblem>) -> String {
    let template = crate::text::normalize(value.get_ref());
    for part in template_parts(&template) {
        match part {
            TemplatePart::Text(_) => {}
            TemplatePart::Unclosed(_) => problems.push(
                ConfigProblem::new("delivery.subject", "a `{` is not closed").at(value.span()),
            ),
            TemplatePart::Placeholder(name) if !SUBJECT_PLACEHOLDERS.contains(&name) => problems
                .push(
                    ConfigProblem::new(
                        "delivery.subject",
                        format!("unknown placeholder `{{{name}}}`"),
                    )
                    .hint(format!(
                        "use {}",
                        SUBJECT_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    ))
                    .at(value.span()),
                ),
            TemplatePart::Placeholder(_) => {}
        }
    }
    if template.is_empty() {
        problems.push(ConfigProblem::new("delivery.subject", "must not be empty").at(value.span()));
    }
    template
}

fn dkim(
    delivery: &RawDelivery,
    from: &Mailbox,
    base_dir: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> Option<DkimConfig> {
    let raw = delivery.dkim.as_ref()?;
    let algorithm = match raw.algorithm.as_ref().map(|a| a.get_ref().trim()) {
        None | Some("rsa") => DkimAlgorithm::Rsa,
        Some("ed25519") => DkimAlgorithm::Ed25519,
        Some(other) => {
            problems.push(
                ConfigProblem::new(
                    "delivery.dkim.algorithm",
                    format!("unknown algorithm `{other}`"),
                )
                .hint("use `rsa` or `ed25519`")
                .at(raw.algorithm.as_ref().map_or(0..0, Spanned::span)),
            );
            DkimAlgorithm::Rsa
        }
    };
    let selector = raw.selector.get_ref().trim().to_owned();
    if selector.is_empty()
        || !selector.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        problems.push(
            ConfigProblem::new("delivery.dkim.selector", format!("`{selector}` is not a selector"))
                .at(raw.selector.span()),
        );
    }
    let domain = raw
        .domain
        .as_ref()
        .map_or_else(|| from.email.domain().to_owned(), |d| d.get_ref().trim().to_owned());
    Some(DkimConfig {
        key_file: base_dir.join(raw.key_file.get_ref().trim()),
        selector,
        domain,
        algorithm,
    })
}

fn validate_smtp(
    spanned: &Spanned<RawSmtp>,
    base_dir: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> SmtpConfig {
    let raw = spanned.get_ref();
    let host = raw.host.get_ref().trim().to_owned();
    if host.is_empty() || host.contains(char::is_whitespace) {
        problems.push(
            ConfigProblem::new("smtp.host", format!("`{host}` is not a host name"))
                .at(raw.host.span()),
        );
    }
    let tls = match raw.tls.as_ref().map(|tls| tls.get_ref().trim()) {
        None | Some("starttls") => TlsMode::Starttls,
        Some("tls") => TlsMode::Tls,
        Some("none") => TlsMode::None,
        Some(other) => {
            problems.push(
                ConfigProblem::new("smtp.tls", format!("unknown TLS mode `{other}`"))
                    .hint("use `starttls`, `tls` or `none`")
                    .at(raw.tls.as_ref().map_or(0..0, Spanned::span)),
            );
            TlsMode::Starttls
        }
    };
    let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
    if tls == TlsMode::None && !local && !raw.allow_insecure {
        problems.push(
            ConfigProblem::new(
                "smtp.tls",
                format!("`none` sends mail and passwords in clear text to `{host}`"),
            )
            .hint(
                "use `starttls` or `tls`, or set `allow_insecure = true` if the network is trusted",
            )
            .at(raw.tls.as_ref().map_or(raw.host.span(), Spanned::span)),
        );
    }
    let default_port = match tls {
        TlsMode::Starttls => 587,
        TlsMode::Tls => 465,
        TlsMode::None => 25,
    };
    let port = match &raw.port {
        Some(port) => u16::try_from(*port.get_ref()).ok().filter(|p| *p > 0).unwrap_or_else(|| {
            problems.push(
                ConfigProblem::new("smtp.port", format!("`{}` is not a port", port.get_ref()))
                    .at(port.span()),
            );
            default_port
        }),
        None => default_port,
    };
    let password = match (&raw.password_env, &raw.password_file) {
        (Some(_), Some(file)) => {
            problems.push(
                ConfigProblem::new(
                    "smtp.password_file",
                    "give `password_env` or `password_file`, not both",
                )
                .at(file.span()),
            );
            None
        }
        (Some(env), None) => {
            let name = env.get_ref().trim();
            if !is_env_name(name) {
                problems.push(
                    ConfigProblem::new(
                        "smtp.password_env",
                        format!("`{name}` is not an environment variable name"),
                    )
                    .hint("name the variable that holds the password, such as `SMTP_PASSWORD`; never the password itself")
                    .at(env.span()),
                );
            }
            Some(PasswordSource::Env(name.to_owned()))
        }
        (None, Some(file)) => Some(PasswordSource::File(base_dir.join(file.get_ref().trim()))),
        (None, None) => None,
    };
    let username = raw.username.as_ref().map(|user| user.get_ref().trim().to_owned());
    if username.is_some() != password.is_some()
        && problems.iter().all(|p| !p.key.starts_with("smtp.password"))
    {
        problems.push(
            ConfigProblem::new("smtp", "`username` and a password source go together")
                .hint("set both `username` and `password_env` (or `password_file`), or neither")
                .at(spanned.span()),
        );
    }
    let timeout = raw.timeout.as_ref().map_or(Duration::from_secs(30), |value| {
        std_duration(value, "smtp.timeout", Duration::from_secs(30), problems)
    });
    let retry_delay = raw.retry_delay.as_ref().map_or(Duration::from_secs(2), |value| {
        std_duration(value, "smtp.retry_delay", Duration::from_secs(2), problems)
    });
    let concurrency =
        raw.concurrency.as_ref().map_or(4, |value| positive(value, "smtp.concurrency", problems));
    let rate = raw.rate.as_ref().and_then(|value| {
        let rate = *value.get_ref();
        if rate.is_finite() && rate > 0.0 {
            Some(rate)
        } else {
            problems.push(
                ConfigProblem::new("smtp.rate", "must be a number of messages a second above 0")
                    .at(value.span()),
            );
            None
        }
    });
    let max_per_hour =
        raw.max_per_hour.as_ref().map(|value| positive(value, "smtp.max_per_hour", problems));
    let ca_file = raw.ca_file.as_ref().map(|file| base_dir.join(file.get_ref().trim()));
    SmtpConfig {
        host,
        port,
        tls,
        ca_file,
        username,
        password,
        timeout,
        concurrency,
        rate,
        max_per_hour,
        retry_delay,
    }
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, DeliveryMode, PasswordSource, TlsMode};

    fn problems(text: &str) -> Vec<String> {
        Config::parse(text, Path::new("."))
            .unwrap_err()
            .into_iter()
            .map(|p| format!("{}: {}", p.key, p.message))
            .collect()
    }

    #[test]
    fn defaults_write_to_the_outbox() {
        let config = Config::defaults();
        assert_eq!(config.delivery.mode, DeliveryMode::Outbox);
        assert_eq!(config.delivery.from.to_string(), "newsdigest <newsdigest@localhost>");
        assert_eq!(config.delivery.list_id, "newsdigest.localhost");
        assert_eq!(config.delivery.min_items, 1);
        assert_eq!(config.delivery.max_attempts, 4);
        assert_eq!(config.state_file, Path::new("./digests/newsdigest.sqlite"));
    }

    #[test]
    fn smtp_section_is_typed() {
        let text = "[delivery]\nmode = \"smtp\"\nfrom = \"Digest <d@example.org>\"\n\
                    [smtp]\nhost = \"smtp.example.org\"\nusername = \"d\"\npassword_env = \"SMTP_PASSWORD\"\n\
                    timeout = \"10s\"\nrate = 5.0\n";
        let config = Config::parse(text, Path::new(".")).unwrap();
        let smtp = config.delivery.smtp.unwrap();
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.tls, TlsMode::Starttls);
        assert_eq!(smtp.password, Some(PasswordSource::Env("SMTP_PASSWORD".to_owned())));
        assert_eq!(smtp.timeout, std::time::Duration::from_secs(10));
        assert_eq!(smtp.concurrency, 4);
        assert_eq!(config.delivery.list_id, "newsdigest.example.org");
    }

    #[test]
    fn bad_delivery_settings_are_all_reported() {
        let text = "[delivery]\nmode = \"smpt\"\nfrom = \"not a mailbox\"\nsubject = \"{title} {when}\"\n\
                    unsubscribe_url = \"http://example.org/u\"\n\
                    [smtp]\nhost = \"relay.example.org\"\ntls = \"none\"\npassword_env = \"hunter2!\"\n";
        assert_eq!(
            problems(text),
            [
                "delivery.mode: unknown mode `smpt`",
                "delivery.from: `not a mailbox` is not a valid mailbox (Invalid input)",
                "delivery.subject: unknown placeholder `{when}`",
                "delivery.unsubscribe_url: `http://example.org/u` is not an https URL",
                "smtp.tls: `none` sends mail and passwords in clear text to `relay.example.org`",
                "smtp.password_env: `hunter2!` is not an environment variable name",
            ]
        );
    }

    /// See issue 8, failure 8: these passed `check` and failed at send time, or made a
    /// malformed List-Unsubscribe header.
    #[test]
    fn r8_unsubscribe_urls_and_mailboxes_that_would_break_headers() {
        for (url, reason) in [
            ("https://example.org/u?<x>", "holds `<`, `>` or `\"`"),
            ("https://example.org/u\"", "holds `<`, `>` or `\"`"),
            ("https://example.org/a b", "holds white space"),
            ("/unsubscribe", "is not an absolute https URL"),
            ("https://", "is not an absolute https URL"),
            ("ftp://example.org/u", "is not an https URL"),
        ] {
            let text = format!("[delivery]\nunsubscribe_url = '{url}'\n");
            let found = problems(&text);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(
                found[0].starts_with(&format!("delivery.unsubscribe_url: `{url}` {reason}")),
                "{found:?}"
            );
        }
        let long_name = "N".repeat(201);
        assert_eq!(
            problems(&format!(
                "[delivery]\nfrom = '{long_name} <d@example.org>'\nreply_to = 'x@[127.0.0.1]'\n"
            )),
            [
                "delivery.from: `".to_owned()
                    + &long_name
                    + " <d@example.org>` is not a valid mailbox (the name is 201 characters long; at most 200 fit in a mail header)",
                "delivery.reply_to: `x@[127.0.0.1]` is not a valid mailbox (Invalid input)"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn an_unclosed_subject_placeholder_is_reported() {
        assert_eq!(
            problems("[delivery]\nsubject = \"{title} {date\"\n"),
            ["delivery.subject: a `{` is not closed"]
        );
    }

    #[test]
    fn timeouts_must_be_positive_durations() {
        assert_eq!(
            problems(
                "[smtp]\nhost = \"localhost\"\ntimeout = \"0s\"\nretry_delay = \"2\"\n\
                 [fetch]\ntimeout = \"soon\"\n"
            ),
            [
                "smtp.timeout: must be longer than zero",
                "smtp.retry_delay: `2` is not a duration: `2` has no unit",
                "fetch.timeout: `soon` is not a duration: a unit must follow a number",
            ]
        );
    }

    #[test]
    fn smtp_mode_needs_the_smtp_table() {
        assert_eq!(
            problems("[delivery]\nmode = \"smtp\"\n"),
            ["delivery.mode: `smtp` needs an [smtp] table"]
        );
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        assert_eq!(
            problems("[delivery]\nfrom = \"a@example.org\\r\\nBcc: x@example.org\"\n"),
            ["delivery.from: must not contain control characters or line breaks"]
        );
    }
}
