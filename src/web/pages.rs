//! The service's pages: askama templates in `templates/web/`, all sharing one frame (the
//! site's name, the base address, the postal address). Only plain text reaches them and
//! askama escapes all of it. Pure: no I/O.

use askama::Template;

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    /// The HTML `lang`.
    pub lang: &'a str,
    /// The page's heading (and title).
    pub heading: &'a str,
    /// The digest's title, the site's name.
    pub site: &'a str,
    /// The public base address, without a trailing slash (empty: links from the root).
    pub base: &'a str,
    /// Whether search engines may index the page (the archive, not personal pages).
    pub indexable: bool,
    /// The sender's postal address.
    pub postal_address: Option<&'a str>,
    /// The pages' stylesheet, put in the page ([`STYLE`]).
    pub style: &'static str,
}

/// A topic as a checkbox.
#[derive(Debug, Clone)]
pub struct TopicChoice<'a> {
    /// Its id (the form's value).
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Ticked.
    pub checked: bool,
}

/// An edition in the archive list.
#[derive(Debug, Clone)]
pub struct ArchiveRow {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The digest's slug.
    pub digest: String,
    /// Its subject line.
    pub subject: String,
    /// Its topics, in words.
    pub label: String,
    /// Number of stories.
    pub items: usize,
    /// When it was made (RFC 3339), for the feed.
    pub updated: String,
}

/// A page of text with an optional link.
#[derive(Template)]
#[template(path = "web/message.html")]
pub struct Message<'a> {
    /// The frame.
    pub frame: Frame<'a>,
    /// Paragraphs.
    pub paragraphs: Vec<String>,
    /// A link: `(href, label)`.
    pub link: Option<(String, String)>,
}

/// `GET /u/TOKEN`: one button that POSTs.
#[derive(Template)]
#[template(path = "web/unsubscribe.html")]
pub struct Unsubscribe<'a> {
    /// The frame.
    pub frame: Frame<'a>,
    /// The subscriber's address.
    pub email: &'a str,
    /// The unsubscribe token.
    pub token: &'a str,
    /// The preferences page.
    pub preferences_href: &'a str,
}

/// `GET /p/TOKEN`: topics, pause, leave.
#[derive(Template)]
#[template(path = "web/preferences.html")]
pub struct Preferences<'a> {
    /// The frame.
    pub frame: Frame<'a>,
    /// The subscriber's address.
    pub email: &'a str,
    /// The preferences token.
    pub token: &'a str,
    /// The unsubscribe token.
    pub unsubscribe_token: &'a str,
    /// The configured topics, ticked as chosen.
    pub topics: Vec<TopicChoice<'a>>,
    /// Paused now.
    pub paused: bool,
}

/// `GET /subscribe`.
#[derive(Template)]
#[template(path = "web/subscribe.html")]
pub struct Subscribe<'a> {
    /// The frame.
    pub frame: Frame<'a>,
    /// The configured topics.
    pub topics: Vec<TopicChoice<'a>>,
}

/// `GET /c/TOKEN`: one button that POSTs.
#[derive(Template)]
#[template(path = "web/confirm.html")]
pub struct Confirm<'a> {
    /// The frame.
    pub frame: Frame<'a>,
    /// The address to confirm.
    pub email: &'a str,
    /// The confirmation token.
    pub token: &'a str,
}

/// `GET /archive/`.
#[derive(Template)]
#[template(path = "web/archive.html")]
pub struct Archive<'a> {
    /// The frame.
    pub frame: Frame<'a>,
    /// Editions, newest first.
    pub entries: Vec<ArchiveRow>,
    /// Whether to offer the sign-up page.
    pub signups: bool,
}

/// `GET /feed.xml`: an Atom feed of the archive.
#[derive(Template)]
#[template(path = "web/feed.xml")]
pub struct Feed<'a> {
    /// The site's name.
    pub site: &'a str,
    /// The public base address.
    pub base: &'a str,
    /// The newest entry's time (RFC 3339).
    pub updated: &'a str,
    /// Editions, newest first.
    pub entries: Vec<ArchiveRow>,
}

/// The pages' stylesheet, in every page's `<style>` element.
pub const STYLE: &str = include_str!("../../templates/web/style.css");

/// The Content-Security-Policy source that allows exactly [`STYLE`]: `'sha256-…'`.
pub fn style_hash() -> &'static str {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};
    static HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let digest = Sha256::digest(STYLE.as_bytes());
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
    });
    &HASH
}
