//! Editions: a digest rendered once for sending (the unsubscribe link as a marker), cut to
//! `clip_budget` by dropping its lowest-ranked stories, and the warning for digests Gmail
//! would clip. Pure: no I/O.

use anyhow::Context;
use chrono::NaiveDate;

use super::reason;
use crate::config::Config;
use crate::deliver::message::{PREFERENCES_MARKER, UNSUBSCRIBE_MARKER};
use crate::ledger::{EditionArticle, StoredEdition};
use crate::model::Digest;
use crate::render::{self, Audience};

/// Gmail clips a message whose HTML passes about 102 KB; warn a little before.
pub const GMAIL_CLIP_BYTES: usize = 100 * 1024;

/// Renders a digest for sending (the unsubscribe link as a marker), dropping the
/// lowest-ranked stories while the HTML is over `clip_budget`.
///
/// # Errors
/// When a template or the CSS inliner fails.
pub fn build_edition(
    digest: &mut Digest,
    config: &Config,
    date: NaiveDate,
) -> anyhow::Result<(StoredEdition, Vec<EditionArticle>, usize)> {
    let mut clipped = 0;
    let base = config.web.base_url.as_deref();
    let view = base.map(|base| format!("{base}/archive/{date}/{}", digest.slug));
    loop {
        let audience = Audience {
            reason: reason(digest),
            unsubscribe_url: Some(UNSUBSCRIBE_MARKER),
            preferences_url: base.map(|_| PREFERENCES_MARKER),
            view_url: view.as_deref(),
            postal_address: config.delivery.postal_address.as_deref(),
            ..Audience::default()
        };
        let rendered = render::render(digest, &config.digest.language, &audience)
            .with_context(|| format!("cannot render the digest `{}`", digest.slug))?;
        let over = config.delivery.clip_budget.is_some_and(|budget| rendered.html.len() > budget);
        if over && digest.item_count() > 1 {
            drop_lowest_ranked(digest);
            clipped += 1;
            continue;
        }
        // Copies of a story from other sources went out with it: the ledger remembers them
        // too, so none comes back the next day as a new story.
        let articles = digest
            .sections
            .iter()
            .flat_map(|section| &section.items)
            .flat_map(|item| {
                let article = &item.article;
                std::iter::once((article.id.as_str(), article.url.clone()))
                    .chain(article.copies.iter().map(|copy| (copy.id.as_str(), copy.url.clone())))
                    .map(|(id, url)| EditionArticle {
                        id: id.to_owned(),
                        title: article.title.clone(),
                        url,
                    })
            })
            .collect();
        let edition = StoredEdition {
            id: 0,
            date,
            digest: digest.slug.clone(),
            subject: render::subject(&config.delivery.subject, digest),
            html: rendered.html,
            text: rendered.text,
            items: digest.item_count(),
        };
        return Ok((edition, articles, clipped));
    }
}

/// The digest as a page of the web archive: no personal parts, a sign-up link when the web
/// service takes sign-ups, and the postal address.
///
/// # Errors
/// When a template or the CSS inliner fails.
pub fn web_page(digest: &Digest, config: &Config) -> anyhow::Result<String> {
    let subscribe = config
        .web
        .base_url
        .as_deref()
        .filter(|_| config.web.signups)
        .map(|base| format!("{base}/subscribe"));
    let audience = Audience {
        web: true,
        subscribe_url: subscribe.as_deref(),
        postal_address: config.delivery.postal_address.as_deref(),
        ..Audience::default()
    };
    let rendered = render::render(digest, &config.digest.language, &audience)
        .with_context(|| format!("cannot render the web page of `{}`", digest.slug))?;
    Ok(rendered.html)
}

/// Removes the story with the lowest score (the later one on a tie), and its section when
/// that empties it.
fn drop_lowest_ranked(digest: &mut Digest) {
    let mut lowest: Option<(usize, usize, f64)> = None;
    for (section_idx, section) in digest.sections.iter().enumerate() {
        for (item_idx, item) in section.items.iter().enumerate() {
            let score = item.matched.score;
            if lowest.is_none_or(|(_, _, low)| score <= low) {
                lowest = Some((section_idx, item_idx, score));
            }
        }
    }
    if let Some((section_idx, item_idx, _)) = lowest {
        digest.sections[section_idx].items.remove(item_idx);
        digest.sections.retain(|section| !section.items.is_empty());
    }
}

/// The warning for a digest past Gmail's clipping size, naming its first subscribers.
pub fn size_warning(edition: &StoredEdition, first: &[String], subscribers: usize) -> String {
    let names: Vec<&str> = first.iter().take(3).map(String::as_str).collect();
    let more = subscribers.saturating_sub(names.len());
    format!(
        "digest `{}` has {} KB of HTML, over Gmail's ~102 KB limit: {}{} will see it clipped; set delivery.clip_budget to drop the lowest-ranked stories",
        edition.digest,
        edition.html.len() / 1024,
        names.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_warning_names_the_first_subscribers() {
        let edition = StoredEdition {
            id: 1,
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
            digest: "all".to_owned(),
            subject: String::new(),
            html: "x".repeat(130 * 1024),
            text: String::new(),
            items: 40,
        };
        let first: Vec<String> = (0..3).map(|i| format!("r{i}@example.org")).collect();
        assert_eq!(
            size_warning(&edition, &first, 5),
            "digest `all` has 130 KB of HTML, over Gmail's ~102 KB limit: r0@example.org, \
             r1@example.org, r2@example.org and 2 more will see it clipped; set \
             delivery.clip_budget to drop the lowest-ranked stories"
        );
    }

    #[test]
    fn dropping_the_lowest_ranked_story_removes_an_emptied_section() {
        use crate::model::{Article, DigestItem, Summary, TopicMatch, TopicSection};
        let item = |title: &str, score: f64| DigestItem {
            article: Article::for_test(title, &[]),
            summary: Summary { text: String::new(), truncated: false },
            matched: TopicMatch { topic_id: "t".to_owned(), score, terms: Vec::new() },
        };
        let section =
            |id: &str, items| TopicSection { id: id.to_owned(), name: id.to_owned(), items };
        let mut digest = Digest {
            title: "T".to_owned(),
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
            slug: "all".to_owned(),
            topic_names: Vec::new(),
            sections: vec![
                section("a", vec![item("a1", 10.0), item("a2", 3.0)]),
                section("b", vec![item("b1", 2.0)]),
            ],
        };
        drop_lowest_ranked(&mut digest);
        let titles: Vec<&str> = digest
            .sections
            .iter()
            .flat_map(|s| s.items.iter().map(|i| i.article.title.as_str()))
            .collect();
        assert_eq!(titles, ["a1", "a2"]);
        assert_eq!(digest.sections.len(), 1, "the emptied section is gone");
    }
}
