//! `RawConfig → Config`: checks values and cross-references, collecting every problem.
//!
//! Problems name their key path (`subscribers[2].topics`), their place in the file when known,
//! and a hint where one helps ("did you mean …?").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::TimeDelta;

use super::raw::RawConfig;
use super::{
    AllowedPrivate, Config, ConfigProblem, DigestConfig, FeedLocation, FeedSource, FetchConfig,
    FetchFull, SelectConfig, SourceConfig, SummaryConfig, TopicConfig, WebConfig, delivery,
    subscribers,
};
use super::{BouncesConfig, ListMode, SecretSource, SubscriberList};

/// Validates `raw`; relative paths are resolved against `base_dir`.
///
/// # Errors
/// All problems found, in file order.
pub fn validate(raw: RawConfig, base_dir: &Path) -> Result<Config, Vec<ConfigProblem>> {
    validate_with(raw, base_dir, ListMode::Load)
}

/// [`validate`], reading the rows of `subscribers_file` as `list` says.
///
/// # Errors
/// All problems found, in file order.
pub fn validate_with(
    raw: RawConfig,
    base_dir: &Path,
    list: ListMode,
) -> Result<Config, Vec<ConfigProblem>> {
    let mut problems = Vec::new();

    let digest = DigestConfig {
        title: raw.digest.title.trim().to_owned(),
        language: raw.digest.language.trim().to_owned(),
        output_dir: base_dir.join(&raw.digest.output_dir),
    };
    if digest.title.is_empty() {
        problems.push(ConfigProblem::new("digest.title", "must not be empty"));
    }
    if !is_language_tag(&digest.language) {
        problems.push(
            ConfigProblem::new(
                "digest.language",
                format!("`{}` is not a language code", digest.language),
            )
            .hint("use a code such as `en`, `de` or `pt-BR`"),
        );
    }

    let window = match parse_duration(raw.select.window.get_ref()) {
        Ok(window) if window > TimeDelta::zero() => window,
        Ok(_) => {
            problems.push(
                ConfigProblem::new("select.window", "must be longer than zero")
                    .at(raw.select.window.span()),
            );
            TimeDelta::hours(24)
        }
        Err(message) => {
            problems.push(
                ConfigProblem::new("select.window", message)
                    .hint("write a number and a unit, such as `24h`, `90m`, `2d` or `1d12h`")
                    .at(raw.select.window.span()),
            );
            TimeDelta::hours(24)
        }
    };
    let max_per_topic = positive(&raw.select.max_per_topic, "select.max_per_topic", &mut problems);
    let max_sentences =
        positive(&raw.summary.max_sentences, "summary.max_sentences", &mut problems);
    let max_words = positive(&raw.summary.max_words, "summary.max_words", &mut problems);

    let topics = validate_topics(&raw, &mut problems);
    let sources = validate_sources(&raw, base_dir, &mut problems);
    let (mut subscribers, seen_addresses) = subscribers::from_config(&raw, &topics, &mut problems);
    let mut subscribers_file =
        raw.subscribers_file.as_ref().map(|file| SubscriberList::new(file, base_dir, list));
    if let Some(file) = subscribers_file.as_mut().filter(|_| list != ListMode::Skip) {
        subscribers::from_csv(file, &topics, &mut subscribers, seen_addresses, &mut problems);
    }
    let delivery = delivery::validate(&raw, base_dir, &mut problems);
    let fetch = validate_fetch(&raw, &mut problems);
    let web = validate_web(&raw, &mut problems);
    let bounces = validate_bounces(&raw, base_dir, &mut problems);
    let state_file = match &raw.state_file {
        Some(path) if path.get_ref().trim().is_empty() => {
            problems.push(ConfigProblem::new("state_file", "must not be empty").at(path.span()));
            PathBuf::new()
        }
        Some(path) => base_dir.join(path.get_ref().trim()),
        None => digest.output_dir.join("newsdigest.sqlite"),
    };

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Config {
        digest,
        select: SelectConfig {
            window,
            max_per_topic,
            other_section: raw.select.other_section.map(|name| name.trim().to_owned()),
            topics,
        },
        summary: SummaryConfig { max_sentences, max_words: Some(max_words) },
        sources,
        subscribers,
        subscribers_file,
        delivery,
        state_file,
        fetch,
        web,
        bounces,
    })
}

fn validate_bounces(
    raw: &RawConfig,
    base_dir: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> BouncesConfig {
    let soft_limit = raw
        .bounces
        .soft_limit
        .as_ref()
        .map_or(3, |value| positive(value, "bounces.soft_limit", problems));
    let soft_window = match &raw.bounces.soft_window {
        Some(value) => match parse_duration(value.get_ref()) {
            Ok(span) if span > TimeDelta::zero() => span,
            Ok(_) => {
                problems.push(
                    ConfigProblem::new("bounces.soft_window", "must be longer than zero")
                        .at(value.span()),
                );
                TimeDelta::days(15)
            }
            Err(message) => {
                problems.push(
                    ConfigProblem::new("bounces.soft_window", message)
                        .hint("write a number and a unit, such as `15d` or `2w`")
                        .at(value.span()),
                );
                TimeDelta::days(15)
            }
        },
        None => TimeDelta::days(15),
    };
    let mailgun_key = match (&raw.bounces.mailgun_key_file, &raw.bounces.mailgun_key_env) {
        (Some(file), _) => Some(SecretSource::File(base_dir.join(file.get_ref().trim()))),
        (None, Some(name)) => Some(SecretSource::Env(name.get_ref().trim().to_owned())),
        (None, None) => None,
    };
    let ses_topic_arn = raw.bounces.ses_topic_arn.as_ref().map(|value| {
        let arn = value.get_ref().trim().to_owned();
        if crate::web::sns::region_of(&arn).is_none() {
            problems.push(
                ConfigProblem::new(
                    "bounces.ses_topic_arn",
                    format!("`{arn}` is not an SNS topic ARN"),
                )
                .hint("write it as `arn:aws:sns:eu-west-1:123456789012:ses-bounces`")
                .at(value.span()),
            );
        }
        arn
    });
    BouncesConfig { soft_limit, soft_window, mailgun_key, ses_topic_arn }
}

fn validate_web(raw: &RawConfig, problems: &mut Vec<ConfigProblem>) -> WebConfig {
    let base_url = raw.web.base_url.as_ref().map(|value| {
        let url = value.get_ref().trim().trim_end_matches('/').to_owned();
        if let Err(reason) = check_base_url(&url) {
            problems.push(
                ConfigProblem::new("web.base_url", format!("`{url}` {reason}"))
                    .hint("write the public https address of `serve`, such as `https://news.example.org`")
                    .at(value.span()),
            );
        }
        if raw.delivery.unsubscribe_url.is_some() {
            problems.push(
                ConfigProblem::new(
                    "web.base_url",
                    "and `delivery.unsubscribe_url` are both set: `serve` answers unsubscribe links itself",
                )
                .hint("remove `delivery.unsubscribe_url`")
                .at(value.span()),
            );
        }
        url
    });
    let default_listen = std::net::SocketAddr::from(([127, 0, 0, 1], 8080));
    let listen = match &raw.web.listen {
        Some(value) => value.get_ref().trim().parse().unwrap_or_else(|_| {
            problems.push(
                ConfigProblem::new(
                    "web.listen",
                    format!("`{}` is not an address and port", value.get_ref()),
                )
                .hint("write `127.0.0.1:8080` or `[::1]:8080`")
                .at(value.span()),
            );
            default_listen
        }),
        None => default_listen,
    };
    let two_days = std::time::Duration::from_secs(48 * 3600);
    let confirm_within = match &raw.web.confirm_within {
        Some(value) => std_duration(value, "web.confirm_within", two_days, problems),
        None => two_days,
    };
    WebConfig {
        base_url,
        listen,
        confirm_within,
        signups: raw.web.signups.unwrap_or(true),
        shard: None,
    }
}

/// An absolute https URL with a host and nothing after the path, or plain http on loopback
/// (for a service behind no proxy, or tests).
fn check_base_url(url: &str) -> Result<(), &'static str> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "is not an absolute URL")?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("is plain http: use https (plain http only on loopback)"),
        _ => return Err("is not an https URL"),
    }
    if host.is_empty() {
        return Err("has no host");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || url.contains(['<', '>', '"']) {
        return Err("has a query, a fragment or characters a header cannot hold");
    }
    Ok(())
}

pub(super) fn positive(
    value: &toml::Spanned<i64>,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> usize {
    match usize::try_from(*value.get_ref()) {
        Ok(n) if n >= 1 => n,
        _ => {
            problems.push(
                ConfigProblem::new(key, format!("must be at least 1, not {}", value.get_ref()))
                    .at(value.span()),
            );
            1
        }
    }
}

fn validate_topics(raw: &RawConfig, problems: &mut Vec<ConfigProblem>) -> Vec<TopicConfig> {
    let mut seen = BTreeSet::new();
    let mut topics = Vec::new();
    for (idx, topic) in raw.topics.iter().enumerate() {
        let id = topic.id.get_ref().trim().to_owned();
        let key = format!("topics[{idx}]");
        if !is_topic_id(&id) {
            problems.push(
                ConfigProblem::new(format!("{key}.id"), format!("`{id}` is not a valid topic id"))
                    .hint("use lowercase letters, digits and `-`, such as `ukraine-war`")
                    .at(topic.id.span()),
            );
        } else if !seen.insert(id.clone()) {
            problems.push(
                ConfigProblem::new(format!("{key}.id"), format!("topic `{id}` is defined twice"))
                    .at(topic.id.span()),
            );
        }
        let keywords = clean_terms(&topic.keywords, &format!("{key}.keywords"), problems);
        let exclude = clean_terms(&topic.exclude, &format!("{key}.exclude"), problems);
        if keywords.is_empty() {
            problems.push(
                ConfigProblem::new(
                    format!("{key}.keywords"),
                    format!("topic `{id}` has no keywords"),
                )
                .hint(
                    "add words or phrases, such as `keywords = [\"sanctions\", \"central bank\"]`",
                )
                .at(topic.id.span()),
            );
        }
        let min_score = match &topic.min_score {
            Some(score) if !(score.get_ref().is_finite() && *score.get_ref() > 0.0) => {
                problems.push(
                    ConfigProblem::new(format!("{key}.min_score"), "must be a number above 0")
                        .at(score.span()),
                );
                2.0
            }
            Some(score) => *score.get_ref(),
            None => 2.0,
        };
        let name = topic.name.as_deref().map(str::trim).filter(|name| !name.is_empty());
        topics.push(TopicConfig {
            name: name.unwrap_or(&id).to_owned(),
            id,
            keywords,
            exclude,
            min_score,
        });
    }
    topics
}

fn clean_terms(
    terms: &[toml::Spanned<String>],
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<String> {
    let mut out = Vec::new();
    for term in terms {
        let cleaned = crate::text::normalize(term.get_ref());
        if crate::text::words(&cleaned).is_empty() {
            problems.push(
                ConfigProblem::new(key, format!("`{}` holds no word", term.get_ref()))
                    .at(term.span()),
            );
        } else {
            out.push(cleaned);
        }
    }
    out
}

fn validate_sources(
    raw: &RawConfig,
    base_dir: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<SourceConfig> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut sources = Vec::new();
    for (idx, source) in raw.sources.iter().enumerate() {
        let key = format!("sources[{idx}]");
        let kind = source.kind.get_ref().trim();
        let (own, other_kind): (&[&str], &str) = match kind {
            "files" => (&["path", "max_bytes"], "feed"),
            "feed" => (&["url", "fetch_full", "tags"], "files"),
            other => {
                let mut problem = ConfigProblem::new(
                    format!("{key}.kind"),
                    format!("unknown source kind `{other}`"),
                )
                .at(source.kind.span());
                problem = match suggest(other, &["files", "feed"]) {
                    Some(near) => problem.hint(format!("did you mean `{near}`?")),
                    None => problem.hint("use `files` (a folder of articles) or `feed`"),
                };
                problems.push(problem);
                continue;
            }
        };
        // Keys of the other kind are mistakes, named with their place.
        for (name, span) in [
            ("path", source.path.as_ref().map(toml::Spanned::span)),
            ("max_bytes", source.max_bytes.as_ref().map(toml::Spanned::span)),
            ("url", source.url.as_ref().map(toml::Spanned::span)),
            ("fetch_full", source.fetch_full.as_ref().map(toml::Spanned::span)),
            ("tags", source.tags.as_ref().map(toml::Spanned::span)),
        ] {
            if let Some(span) = span.filter(|_| !own.contains(&name)) {
                problems.push(
                    ConfigProblem::new(
                        format!("{key}.{name}"),
                        format!(
                            "`{name}` belongs to `kind = \"{other_kind}\"` sources, not `{kind}`"
                        ),
                    )
                    .at(span),
                );
            }
        }
        let name = source
            .name
            .as_ref()
            .map(|name| crate::text::normalize(name.get_ref()))
            .filter(|name| !name.is_empty());
        let given_id = source.id.as_ref().map(|id| id.get_ref().trim().to_owned());
        if kind == "files" {
            let Some(path_value) = &source.path else {
                problems.push(
                    ConfigProblem::new(format!("{key}.path"), "is missing")
                        .hint("name the folder of articles, such as `path = \"articles\"`")
                        .at(source.kind.span()),
                );
                continue;
            };
            let path_text = path_value.get_ref().trim();
            if path_text.is_empty() {
                problems.push(
                    ConfigProblem::new(format!("{key}.path"), "must not be empty")
                        .at(path_value.span()),
                );
                continue;
            }
            let path = base_dir.join(path_text);
            let id = given_id.unwrap_or_else(|| {
                Path::new(path_text).file_name().map_or_else(
                    || path_text.to_owned(),
                    |name| name.to_string_lossy().into_owned(),
                )
            });
            claim_id(&mut seen, &id, idx, &key, problems);
            let max_bytes = match &source.max_bytes {
                None => crate::ingest::files::DEFAULT_MAX_BYTES,
                Some(max) => positive(max, &format!("{key}.max_bytes"), problems),
            };
            sources.push(SourceConfig::Files { id, path, name, max_bytes });
            continue;
        }
        let Some(url_value) = &source.url else {
            problems.push(
                ConfigProblem::new(format!("{key}.url"), "is missing")
                    .hint(
                        "give the feed's address, such as `url = \"https://example.org/feed.xml\"`",
                    )
                    .at(source.kind.span()),
            );
            continue;
        };
        let url = url_value.get_ref().trim();
        let lower = url.to_ascii_lowercase();
        let location = if lower.starts_with("http://") || lower.starts_with("https://") {
            if url.contains(char::is_whitespace) || url.len() <= "https://".len() {
                problems.push(
                    ConfigProblem::new(format!("{key}.url"), format!("`{url}` is not a URL"))
                        .at(url_value.span()),
                );
            }
            FeedLocation::Url(url.to_owned())
        } else if url.contains("://") {
            problems.push(
                ConfigProblem::new(
                    format!("{key}.url"),
                    format!("`{url}` is neither http(s) nor a file path"),
                )
                .hint("feeds are read over http or https, or from a local file")
                .at(url_value.span()),
            );
            continue;
        } else if url.is_empty() {
            problems.push(
                ConfigProblem::new(format!("{key}.url"), "must not be empty").at(url_value.span()),
            );
            continue;
        } else {
            FeedLocation::Path(base_dir.join(url))
        };
        let fetch_full = match source.fetch_full.as_ref().map(|value| value.get_ref().trim()) {
            None | Some("auto") => FetchFull::Auto,
            Some("always") => FetchFull::Always,
            Some("never") => FetchFull::Never,
            Some(other) => {
                problems.push(
                    ConfigProblem::new(
                        format!("{key}.fetch_full"),
                        format!("`{other}` is not `auto`, `always` or `never`"),
                    )
                    .hint("`auto` fetches the page when an item is only a teaser")
                    .at(source
                        .fetch_full
                        .as_ref()
                        .map(toml::Spanned::span)
                        .unwrap_or_default()),
                );
                FetchFull::Auto
            }
        };
        let id = given_id.unwrap_or_else(|| default_feed_id(&location, &seen));
        claim_id(&mut seen, &id, idx, &key, problems);
        let tags = source.tags.as_ref().map(|tags| tags.get_ref().as_slice()).unwrap_or_default();
        sources.push(SourceConfig::Feed(FeedSource {
            id,
            location,
            name,
            fetch_full,
            tags: tags.iter().map(|tag| crate::text::normalize(tag)).collect(),
        }));
    }
    sources
}

/// Records a source id, or the problem of an id used twice.
fn claim_id(
    seen: &mut BTreeMap<String, usize>,
    id: &str,
    idx: usize,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) {
    if let Some(first) = seen.insert(id.to_owned(), idx) {
        problems.push(
            ConfigProblem::new(
                format!("{key}.id"),
                format!("source id `{id}` is already used by sources[{first}]"),
            )
            .hint("give each source a unique `id`"),
        );
    }
}

/// A feed's default id: the URL's host without `www.` (or the file's stem); when an earlier
/// source already has that id, the host and the URL's path (`example.org-world-rss`), and a
/// number after that. The first feed of a host keeps the host alone, so adding a second feed
/// of the same site never changes the id (and the stored items) of the first.
fn default_feed_id(location: &FeedLocation, seen: &BTreeMap<String, usize>) -> String {
    let (base, detail) = match location {
        FeedLocation::Url(url) => {
            let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
            let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
            let host = authority.split(':').next().unwrap_or(authority);
            (host.trim_start_matches("www.").to_ascii_lowercase(), path.to_ascii_lowercase())
        }
        FeedLocation::Path(path) => (
            path.file_stem().map_or_else(
                || path.display().to_string(),
                |stem| stem.to_string_lossy().into_owned(),
            ),
            path.parent().map(|dir| dir.display().to_string()).unwrap_or_default(),
        ),
    };
    if !seen.contains_key(&base) {
        return base;
    }
    let slug: Vec<&str> = detail
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| {
            !word.is_empty() && !matches!(*word, "xml" | "rss" | "atom" | "json" | "php")
        })
        .collect();
    let with_path =
        if slug.is_empty() { base.clone() } else { format!("{base}-{}", slug.join("-")) };
    if !seen.contains_key(&with_path) {
        return with_path;
    }
    (2..).map(|n| format!("{with_path}-{n}")).find(|id| !seen.contains_key(id)).unwrap_or(with_path)
}

fn validate_fetch(raw: &RawConfig, problems: &mut Vec<ConfigProblem>) -> FetchConfig {
    let thirty_seconds = std::time::Duration::from_secs(30);
    FetchConfig {
        connect_timeout: std_duration(
            &raw.fetch.connect_timeout,
            "fetch.connect_timeout",
            thirty_seconds,
            problems,
        ),
        timeout: std_duration(&raw.fetch.timeout, "fetch.timeout", thirty_seconds, problems),
        max_bytes: positive(&raw.fetch.max_bytes, "fetch.max_bytes", problems),
        concurrency: positive(&raw.fetch.concurrency, "fetch.concurrency", problems),
        allow_private: raw
            .fetch
            .allow_private
            .iter()
            .enumerate()
            .filter_map(|(idx, entry)| match AllowedPrivate::parse(entry.get_ref()) {
                Ok(allowed) => Some(allowed),
                Err(message) => {
                    problems.push(
                        ConfigProblem::new(format!("fetch.allow_private[{idx}]"), message)
                            .hint("write `10.0.0.0/8`, `127.0.0.1` or `intranet.example.org`")
                            .at(entry.span()),
                    );
                    None
                }
            })
            .collect(),
        full_fetch_budget: std_duration(
            &raw.fetch.full_fetch_budget,
            "fetch.full_fetch_budget",
            std::time::Duration::from_secs(60),
            problems,
        ),
    }
}

/// A positive duration (`30s`, `2m`, `500ms`) for a timeout or delay; a problem, and
/// `fallback`, when it is not one.
pub(super) fn std_duration(
    value: &toml::Spanned<String>,
    key: &str,
    fallback: std::time::Duration,
    problems: &mut Vec<ConfigProblem>,
) -> std::time::Duration {
    match parse_duration(value.get_ref()) {
        Ok(delta) if delta > TimeDelta::zero() => delta.to_std().unwrap_or(fallback),
        Ok(_) => {
            problems.push(ConfigProblem::new(key, "must be longer than zero").at(value.span()));
            fallback
        }
        Err(message) => {
            problems.push(
                ConfigProblem::new(key, message)
                    .hint("write a number and a unit, such as `30s` or `2m`")
                    .at(value.span()),
            );
            fallback
        }
    }
}

/// The known name closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Parses `24h`, `90m`, `2d`, `1d12h`, `1w`, `3600s`, `500ms` (units: ms, s, m, h, d, w).
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err("is empty".to_owned());
    }
    let mut total = TimeDelta::zero();
    let mut number = String::new();
    let mut chars = compact.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        if number.is_empty() {
            return Err(format!("`{text}` is not a duration: a unit must follow a number"));
        }
        // Only digits are collected, so a number that does not parse is too large.
        let value: i64 = number.parse().map_err(|_| format!("`{text}` is too long a duration"))?;
        let part = match ch {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                TimeDelta::try_milliseconds(value)
            }
            's' => TimeDelta::try_seconds(value),
            'm' => TimeDelta::try_minutes(value),
            'h' => TimeDelta::try_hours(value),
            'd' => TimeDelta::try_days(value),
            'w' => TimeDelta::try_weeks(value),
            other => {
                return Err(format!("`{text}` is not a duration: unknown unit `{other}`"));
            }
        };
        total = part
            .and_then(|part| total.checked_add(&part))
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!("`{text}` is not a duration: `{number}` has no unit"));
    }
    Ok(total)
}

fn is_topic_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|part| (1..=8).contains(&part.len()) && part.chars().all(char::is_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(TimeDelta::hours(24)));
        assert_eq!(parse_duration("1d12h"), Ok(TimeDelta::hours(36)));
        assert_eq!(parse_duration("90m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("1m500ms"), Ok(TimeDelta::milliseconds(60_500)));
        assert_eq!(
            parse_duration("24"),
            Err("`24` is not a duration: `24` has no unit".to_owned())
        );
        assert_eq!(
            parse_duration("2y"),
            Err("`2y` is not a duration: unknown unit `y`".to_owned())
        );
        // See issue 8, failure 8: an overflowing number was "not a duration".
        for huge in ["18446744073709551615s", "9223372036854775807w", "99999999999999999d"] {
            assert_eq!(parse_duration(huge), Err(format!("`{huge}` is too long a duration")));
        }
        assert_eq!(
            parse_duration("h"),
            Err("`h` is not a duration: a unit must follow a number".to_owned())
        );
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let known = ["ukraine-war", "technology", "climate"];
        assert_eq!(suggest("ukrane-war", &known), Some("ukraine-war"));
        assert_eq!(suggest("sports", &known), None);
    }
}
