//! Select: which articles each digest holds.
//!
//! [`classify`] matches articles to topics (stemmed keywords and phrases on the title and the
//! lead paragraphs, title hits weighing more, excludes, and the topics a file states);
//! [`select`] keeps those published inside the window and drops duplicates; [`sections`]
//! places each article under its best topic for one digest, ranks and caps them. Pure: the
//! time comes in as an argument.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset};

use crate::config::{SelectConfig, TopicConfig};
use crate::model::{Article, ArticleId, Classified, Selection, StoryCopy, TopicMatch};
use crate::text::{Stemmer, fold_title, words};

/// Weight of a keyword hit in the title; a hit in the lead paragraphs weighs 1.
pub const TITLE_WEIGHT: f64 = 3.0;
/// Score given when the file itself states the topic (front matter topics/tags).
pub const STATED_TOPIC_SCORE: f64 = 10.0;
/// How many paragraphs from the top count as the lead for matching.
pub const LEAD_PARAGRAPHS: usize = 3;
/// Most hits one keyword adds from the lead, so one repeated name cannot carry a topic.
const MAX_HITS_PER_KEYWORD: usize = 3;

/// Topics compiled for matching: keywords as stem sequences.
#[derive(Debug)]
pub struct TopicMatcher {
    stemmer: Stemmer,
    topics: Vec<CompiledTopic>,
}

#[derive(Debug)]
struct CompiledTopic {
    id: String,
    folded_names: [String; 2],
    keywords: Vec<(String, Vec<String>)>,
    exclude: Vec<Vec<String>>,
    min_score: f64,
}

impl TopicMatcher {
    /// Compiles the configured topics.
    pub fn new(topics: &[TopicConfig]) -> Self {
        let stemmer = Stemmer::english();
        let topics = topics
            .iter()
            .map(|topic| CompiledTopic {
                id: topic.id.clone(),
                folded_names: [words(&topic.id).join(" "), words(&topic.name).join(" ")],
                keywords: topic
                    .keywords
                    .iter()
                    .map(|keyword| (keyword.clone(), stemmer.stems(keyword)))
                    .collect(),
                exclude: topic.exclude.iter().map(|term| stemmer.stems(term)).collect(),
                min_score: topic.min_score,
            })
            .collect();
        TopicMatcher { stemmer, topics }
    }
}

/// Matches one article against every topic; matches come best first.
pub fn classify(article: Article, matcher: &TopicMatcher) -> Classified {
    let title = matcher.stemmer.stems(&article.title);
    let lead_text =
        article.paragraphs.iter().take(LEAD_PARAGRAPHS).cloned().collect::<Vec<_>>().join(" ");
    let lead = matcher.stemmer.stems(&lead_text);
    let stated: Vec<String> = article.tags.iter().map(|tag| words(tag).join(" ")).collect();

    let mut topics = Vec::new();
    for topic in &matcher.topics {
        let mut score = 0.0;
        let mut terms = Vec::new();
        for (tag, folded) in article.tags.iter().zip(&stated) {
            if topic.folded_names.contains(folded) {
                score += STATED_TOPIC_SCORE;
                terms.push(format!("tag:{tag}"));
            }
        }
        let stated_match = score > 0.0;
        let excluded = topic
            .exclude
            .iter()
            .any(|term| count_phrase(&title, term) > 0 || count_phrase(&lead, term) > 0);
        if !excluded {
            for (keyword, stems) in &topic.keywords {
                let in_title = count_phrase(&title, stems);
                let in_lead = count_phrase(&lead, stems).min(MAX_HITS_PER_KEYWORD);
                if in_title + in_lead > 0 {
                    #[allow(clippy::cast_precision_loss, reason = "hit counts are tiny")]
                    let hits = TITLE_WEIGHT * in_title as f64 + in_lead as f64;
                    score += hits;
                    terms.push(keyword.clone());
                }
            }
        }
        if stated_match || (!excluded && score >= topic.min_score) {
            topics.push(TopicMatch { topic_id: topic.id.clone(), score, terms });
        }
    }
    topics.sort_by(|a, b| b.score.total_cmp(&a.score));
    Classified { article, topics }
}

/// How often the stem sequence `phrase` occurs in `haystack` as consecutive words.
fn count_phrase(haystack: &[String], phrase: &[String]) -> usize {
    if phrase.is_empty() || phrase.len() > haystack.len() {
        return 0;
    }
    haystack.windows(phrase.len()).filter(|window| *window == phrase).count()
}

/// Keeps articles published in the window `(now - window, now]`, newest first, and keeps one
/// story once: an article is a duplicate of a newer one with the same id, the same canonical
/// URL, the same title once folded, or nearly the same title and lead ([`near_duplicate`]).
/// The newest is kept, and the others are recorded in its `copies`.
pub fn select(
    articles: Vec<Classified>,
    config: &SelectConfig,
    now: DateTime<FixedOffset>,
) -> Selection {
    let start = now - config.window;
    let total = articles.len();
    let mut in_window: Vec<Classified> = articles
        .into_iter()
        .filter(|item| {
            item.article.published.is_some_and(|published| published > start && published <= now)
        })
        .collect();
    let outside_window = total - in_window.len();
    in_window.sort_by(|a, b| {
        b.article
            .published
            .cmp(&a.article.published)
            .then_with(|| a.article.id.cmp(&b.article.id))
            .then_with(|| a.article.origin.cmp(&b.article.origin))
    });
    let mut kept: Vec<Classified> = Vec::with_capacity(in_window.len());
    let mut index = StoryIndex::default();
    for item in in_window {
        let keys = StoryKeys::of(&item.article);
        match index.original(&keys) {
            Some(idx) => {
                let duplicate = item.article;
                let keeper = &mut kept[idx].article;
                keeper.copies.push(StoryCopy {
                    id: duplicate.id,
                    url: duplicate.url,
                    source: duplicate.source,
                });
                keeper.copies.extend(duplicate.copies);
            }
            None => {
                index.insert(keys, kept.len());
                kept.push(item);
            }
        }
    }
    let duplicates = total - outside_window - kept.len();
    Selection { articles: kept, outside_window, duplicates }
}

/// What makes two articles one story, computed once per article.
struct StoryKeys {
    id: ArticleId,
    url: Option<String>,
    folded_title: String,
    signature: Option<Signature>,
}

impl StoryKeys {
    fn of(article: &Article) -> StoryKeys {
        StoryKeys {
            id: article.id.clone(),
            url: article.url.clone(),
            folded_title: fold_title(&article.title),
            signature: Signature::of(article),
        }
    }
}

/// The kept stories by each key, so that finding an article's original costs about the
/// same whatever the number of articles (20,000 items of one feed once took minutes when
/// every article was compared with every earlier one).
#[derive(Default)]
struct StoryIndex {
    by_id: HashMap<ArticleId, usize>,
    by_url: HashMap<String, usize>,
    by_title: HashMap<String, usize>,
    /// For each MinHash function, the kept stories by their minimum: two signatures are
    /// near duplicates exactly when they share at least half of these.
    by_minimum: Vec<HashMap<u64, Vec<usize>>>,
}

/// Kept stories listed under one MinHash minimum, at most; past it a bucket takes no more
/// (only stories that share a shingle with this many others yet differ from all of them).
const MAX_BUCKET: usize = 64;

impl StoryIndex {
    /// The first kept story `keys` is a copy of.
    fn original(&self, keys: &StoryKeys) -> Option<usize> {
        let mut found = self.by_id.get(&keys.id).copied();
        let mut consider = |idx: Option<&usize>| {
            if let Some(&idx) = idx {
                found = Some(found.map_or(idx, |known| known.min(idx)));
            }
        };
        consider(keys.url.as_ref().and_then(|url| self.by_url.get(url)));
        if !keys.folded_title.is_empty() {
            consider(self.by_title.get(&keys.folded_title));
        }
        if let Some(signature) = &keys.signature {
            let mut shared: HashMap<usize, usize> = HashMap::new();
            for (minimum, buckets) in signature.0.iter().zip(&self.by_minimum) {
                for idx in buckets.get(minimum).into_iter().flatten() {
                    *shared.entry(*idx).or_default() += 1;
                }
            }
            let needed = (NEAR_DUPLICATE_JACCARD * MINHASH_FUNCTIONS as f64).ceil() as usize;
            let near = shared.into_iter().filter(|(_, same)| *same >= needed).map(|(idx, _)| idx);
            consider(near.min().as_ref());
        }
        found
    }

    fn insert(&mut self, keys: StoryKeys, idx: usize) {
        self.by_id.entry(keys.id).or_insert(idx);
        if let Some(url) = keys.url {
            self.by_url.entry(url).or_insert(idx);
        }
        if !keys.folded_title.is_empty() {
            self.by_title.entry(keys.folded_title).or_insert(idx);
        }
        if let Some(signature) = keys.signature {
            self.by_minimum.resize_with(MINHASH_FUNCTIONS, HashMap::new);
            for (minimum, buckets) in signature.0.into_iter().zip(&mut self.by_minimum) {
                let bucket = buckets.entry(minimum).or_default();
                if bucket.len() < MAX_BUCKET {
                    bucket.push(idx);
                }
            }
        }
    }
}

/// Number of MinHash functions in a signature.
const MINHASH_FUNCTIONS: usize = 64;

/// Two stories are the same when the estimated Jaccard similarity of their word 3-shingles
/// (title and first two paragraphs) is at least this: syndicated wire copy with another
/// headline or a trimmed lead stays well above it, two reports of the same event in their
/// own words stay well below.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.5;

/// Texts with fewer shingles than this are too short to compare reliably.
const MIN_SHINGLES: usize = 8;

/// A MinHash signature of an article's title and lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature([u64; MINHASH_FUNCTIONS]);

impl Signature {
    /// The signature of `article`, or `None` when its title and lead are too short.
    pub fn of(article: &Article) -> Option<Signature> {
        let mut text = article.title.clone();
        for paragraph in article.paragraphs.iter().take(2) {
            text.push(' ');
            text.push_str(paragraph);
        }
        let words = words(&text);
        if words.len() < 3 {
            return None;
        }
        // The hash of the three words joined by spaces, without building the string.
        let shingles: BTreeSet<u64> = words
            .windows(3)
            .map(|window| {
                let mut hash = FNV_OFFSET;
                for (idx, word) in window.iter().enumerate() {
                    if idx > 0 {
                        hash = fnv1a_extend(hash, b" ");
                    }
                    hash = fnv1a_extend(hash, word.as_bytes());
                }
                hash
            })
            .collect();
        if shingles.len() < MIN_SHINGLES {
            return None;
        }
        let mut minimums = [u64::MAX; MINHASH_FUNCTIONS];
        for shingle in shingles {
            for (seed, minimum) in minimums.iter_mut().enumerate() {
                let hash = splitmix64(shingle ^ (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                if hash < *minimum {
                    *minimum = hash;
                }
            }
        }
        Some(Signature(minimums))
    }

    /// The estimated Jaccard similarity of the two shingle sets.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let same = self.0.iter().zip(other.0.iter()).filter(|(a, b)| a == b).count();
        same as f64 / MINHASH_FUNCTIONS as f64
    }
}

/// True when two signatures are at least [`NEAR_DUPLICATE_JACCARD`] alike.
pub fn near_duplicate(a: &Signature, b: &Signature) -> bool {
    a.similarity(b) >= NEAR_DUPLICATE_JACCARD
}

/// FNV-1a's starting value. FNV-1a, 64 bits, is a fixed hash, so signatures are the same on
/// every run and platform.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a continued over more bytes.
fn fnv1a_extend(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// SplitMix64's finaliser: turns one hash into a family of independent-looking ones.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A digest section before summaries: a topic and its ranked, capped articles.
#[derive(Debug, Clone)]
pub struct PickedSection {
    /// Topic id (`other` for the catch-all).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Articles with the match that placed them here, best first.
    pub items: Vec<(Article, TopicMatch)>,
}

/// The sections of one digest for the topic ids `wanted` (empty: every topic). Each article
/// appears once, under its best-scoring wanted topic; within a section items are ranked by
/// score, then recency, and capped at `max_per_topic`. The catch-all section, when configured,
/// is added to digests of every topic only. Empty sections are left out.
pub fn sections(
    selection: &Selection,
    wanted: &[String],
    config: &SelectConfig,
) -> Vec<PickedSection> {
    let all = wanted.is_empty();
    let mut out: Vec<PickedSection> = config
        .topics
        .iter()
        .filter(|topic| all || wanted.contains(&topic.id))
        .map(|topic| PickedSection {
            id: topic.id.clone(),
            name: topic.name.clone(),
            items: Vec::new(),
        })
        .collect();
    let mut other = Vec::new();
    for item in &selection.articles {
        // `item.topics` is sorted best first; ties keep configured topic order.
        let best = item
            .topics
            .iter()
            .filter_map(|matched| {
                out.iter()
                    .position(|section| section.id == matched.topic_id)
                    .map(|idx| (idx, matched))
            })
            .max_by(|(idx_a, a), (idx_b, b)| a.score.total_cmp(&b.score).then(idx_b.cmp(idx_a)));
        match best {
            Some((idx, matched)) => out[idx].items.push((item.article.clone(), matched.clone())),
            None if item.topics.is_empty() && all && config.other_section.is_some() => {
                other.push((
                    item.article.clone(),
                    TopicMatch { topic_id: "other".to_owned(), score: 0.0, terms: Vec::new() },
                ))
            }
            None => {}
        }
    }
    if let Some(name) = config.other_section.as_ref().filter(|_| all && !other.is_empty()) {
        out.push(PickedSection { id: "other".to_owned(), name: name.clone(), items: other });
    }
    for section in &mut out {
        section.items.sort_by(|(article_a, match_a), (article_b, match_b)| {
            match_b
                .score
                .total_cmp(&match_a.score)
                .then_with(|| article_b.published.cmp(&article_a.published))
                .then_with(|| article_a.title.cmp(&article_b.title))
        });
        section.items.truncate(config.max_per_topic);
    }
    out.retain(|section| !section.items.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, lead: &str) -> Article {
        Article::for_test(title, &[lead])
    }

    const WIRE: &str = "Emergency crews evacuated two hundred homes along the river on \
                        Wednesday night as the water rose faster than forecast, officials said.";

    #[test]
    fn minhash_tells_wire_copy_from_other_reports() {
        let a = Signature::of(&article("River flood forces evacuations", WIRE)).unwrap();
        let b = Signature::of(&article("Hundreds evacuated as river floods", WIRE)).unwrap();
        let other = Signature::of(&article(
            "River levels rise",
            "The river rose by two metres overnight and the council opened a shelter in the \
             school gym for families who had to leave their homes.",
        ))
        .unwrap();
        assert!(a.similarity(&b) >= NEAR_DUPLICATE_JACCARD, "{}", a.similarity(&b));
        assert!(a.similarity(&other) < 0.2, "{}", a.similarity(&other));
        assert_eq!(a.similarity(&a), 1.0);
        assert_eq!(Signature::of(&article("Short", "Too short.")), None);
    }
}
