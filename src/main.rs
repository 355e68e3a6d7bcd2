//! The `newsdigest` binary: parse the command line, run the command, print the outcome and
//! exit with a documented code. The only place that prints to the terminal or exits.

mod cli;
mod send;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use cli::{Cli, Command};
use newsdigest::app::gather::{FeedReport, FeedState, gather};
use newsdigest::app::run::{self, RunOptions};
use newsdigest::app::{self, Skipped};
use newsdigest::clock::{Clock, FixedClock, SystemClock};
use newsdigest::config::{Config, ListMode};
use newsdigest::model::{Article, Classified, DateOrigin};

/// mimalloc: extraction allocates and frees a parsed tree's many small nodes and strings for
/// every page, on every core, and spent about 8 % of its instructions in glibc's allocator;
/// with mimalloc's thread-local heaps the same pages take 4.5 % fewer instructions in all.
/// Built without transparent huge pages (`no_thp`), which would keep 2 MiB pages resident
/// for a small heap (see the README's memory figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything worked.
    Ok = 0,
    /// The job ran but some inputs were skipped.
    Partial = 1,
    /// Nothing useful could be done (bad config, unwritable output).
    Fatal = 2,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .without_time()
        .with_target(false)
        .init();
    let code = match run(cli) {
        Ok(code) => code,
        // The reader went away (`newsdigest article FILE | head`): stop quietly, as other
        // command-line tools do.
        Err(err) if is_broken_pipe(&err) => Exit::Ok,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            Exit::Fatal
        }
    };
    ExitCode::from(code as u8)
}

/// At most `bounce::MAX_BYTES` of one message: a file, or stdin for `-`.
fn read_message(file: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let limit = newsdigest::bounce::MAX_BYTES as u64;
    let mut raw = Vec::new();
    if file == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut raw)?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(limit).read_to_end(&mut raw))
            .map_err(|err| anyhow::anyhow!("cannot read `{}`: {err}", file.display()))?;
    }
    Ok(raw)
}

/// `bounces classify FILE`.
fn classify_bounce(file: &Path, json: bool) -> anyhow::Result<Exit> {
    let raw = read_message(file)?;
    let bounce = newsdigest::bounce::classify(&raw);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &bounce)?;
        writeln!(out)?;
    } else {
        writeln!(out, "class: {}", bounce.class.as_str())?;
        for (name, value) in [
            ("recipient", &bounce.recipient),
            ("status", &bounce.status),
            ("reason", &bounce.reason),
            ("reply", &bounce.reply),
            ("message-id", &bounce.message_id),
        ] {
            if !value.is_empty() {
                writeln!(out, "{name}: {value}")?;
            }
        }
    }
    Ok(Exit::Ok)
}

/// `bounces read`: each message's class, address and what it did; exit 1 when some need a
/// person (left in the Maildir's new/, or named here).
fn read_bounces(
    config: &Config,
    clock: &dyn Clock,
    files: &[PathBuf],
    maildir: Option<&Path>,
) -> anyhow::Result<Exit> {
    use newsdigest::app::bounces::{Outcome, apply};
    let secret =
        newsdigest::deliver::message::read_secret(&config.delivery).map_err(anyhow::Error::msg)?;
    let signer = secret.map(|secret| newsdigest::token::Signer::new(secret.as_bytes()));
    let mut ledger = newsdigest::ledger::Ledger::open(&config.state_file)?;
    let mut inputs: Vec<(String, Vec<u8>, Option<PathBuf>)> = Vec::new();
    for file in files {
        let name =
            if file == Path::new("-") { "stdin".to_owned() } else { file.display().to_string() };
        inputs.push((name, read_message(file)?, None));
    }
    if let Some(dir) = maildir {
        let new = dir.join("new");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&new)
            .map_err(|err| anyhow::anyhow!("cannot read the Maildir `{}`: {err}", new.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.is_file())
            .collect();
        names.sort();
        for path in names {
            inputs.push((path.display().to_string(), read_message(&path)?, Some(path)));
        }
    }
    let mut out = std::io::stdout().lock();
    let mut review = 0;
    for (name, raw, maildir_file) in inputs {
        let applied = apply(config, &mut ledger, signer.as_ref(), &raw, "mail", clock.now())?;
        let who = applied.email.as_deref().unwrap_or(&applied.bounce.recipient);
        let what = match &applied.outcome {
            Outcome::Suppressed(reason) => format!("suppressed: {reason}"),
            Outcome::Counted(n, limit) => format!("soft bounce {n} of {limit}"),
            Outcome::AlreadySuppressed => "already suppressed".to_owned(),
            Outcome::Duplicate => "read before; nothing changed".to_owned(),
            Outcome::Ignored(why) => format!("ignored: {why}"),
            Outcome::Review => "cannot tell the cause: left for review".to_owned(),
        };
        writeln!(
            out,
            "{name}: {} {who} {} {}: {what}",
            applied.bounce.class.as_str(),
            applied.bounce.status,
            applied.bounce.reason
        )?;
        match (applied.outcome, maildir_file) {
            (Outcome::Review, _) => review += 1,
            (_, Some(path)) => {
                // Read: to cur/ with the Seen flag, as a mail client would.
                if let (Some(dir), Some(file)) =
                    (path.parent().and_then(Path::parent), path.file_name())
                {
                    let target = dir.join("cur").join(format!("{}:2,S", file.to_string_lossy()));
                    std::fs::create_dir_all(dir.join("cur"))?;
                    std::fs::rename(&path, &target)?;
                }
            }
            _ => {}
        }
    }
    Ok(if review > 0 { Exit::Partial } else { Exit::Ok })
}

/// `suppressions list | remove`.
fn suppressions(config: &Config, command: cli::SuppressionsCommand) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    match command {
        cli::SuppressionsCommand::List => {
            let Some(ledger) = newsdigest::ledger::Ledger::open_read_only(&config.state_file)?
            else {
                writeln!(out, "no suppressions")?;
                return Ok(Exit::Ok);
            };
            let list = ledger.suppressions_with_evidence()?;
            for (email, reason, at, evidence) in &list {
                let mut line = format!("{email}  {at}  {reason}");
                if let Some(evidence) = evidence {
                    line.push_str(&format!("  ({evidence})"));
                }
                writeln!(out, "{line}")?;
            }
            writeln!(out, "{}", count(list.len(), "suppression", "suppressions"))?;
        }
        cli::SuppressionsCommand::Remove { email } => {
            if run::resubscribe(config, &email)? {
                writeln!(out, "{email}: removed from the suppressions; it gets digests again")?;
            } else {
                writeln!(out, "{email}: was not suppressed")?;
                return Ok(Exit::Partial);
            }
        }
    }
    Ok(Exit::Ok)
}

/// `subscribers …`.
fn subscribers(
    config: &Config,
    clock: &dyn Clock,
    command: cli::SubscribersCommand,
) -> anyhow::Result<Exit> {
    use newsdigest::app::subscribers::{self, Added, Removed};
    let mut out = std::io::stdout().lock();
    match command {
        cli::SubscribersCommand::List { json } => {
            let rows = subscribers::list(config)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
                return Ok(Exit::Ok);
            }
            for row in &rows {
                let topics = if row.topics.is_empty() {
                    "every topic".to_owned()
                } else {
                    row.topics.join(",")
                };
                let mut line = format!("{}  {}  {}  {topics}", row.email, row.status, row.source);
                if !row.name.is_empty() {
                    line.push_str(&format!("  \"{}\"", row.name));
                }
                if !row.suppressed.is_empty() {
                    line.push_str(&format!("  ({})", row.suppressed));
                }
                writeln!(out, "{line}")?;
            }
            writeln!(out, "{}", count(rows.len(), "address", "addresses"))?;
        }
        cli::SubscribersCommand::Add { email, name, topics } => {
            match subscribers::add(config, &email, name.as_deref(), topics.as_deref(), clock.now())?
            {
                Added::Active => writeln!(out, "{email}: added")?,
                Added::Suppressed(reason) => {
                    writeln!(
                        out,
                        "{email}: added, but suppressed ({reason}): it gets nothing until `newsdigest resubscribe {email}`"
                    )?;
                }
            }
        }
        cli::SubscribersCommand::Remove { email } => {
            match subscribers::remove(config, &email, clock.now())? {
                Removed::Forgotten => writeln!(out, "{email}: removed")?,
                Removed::Suppressed => writeln!(
                    out,
                    "{email}: suppressed; the config lists it, so also delete it from [[subscribers]] or the subscribers file"
                )?,
                Removed::Unknown => {
                    writeln!(out, "{email}: not on the list")?;
                    return Ok(Exit::Partial);
                }
            }
        }
        cli::SubscribersCommand::Import { file } => {
            let imported = subscribers::import(config, &file, clock.now())?;
            for (line, reason) in &imported.refused {
                eprintln!("`{}` line {line}: {reason}", file.display());
            }
            writeln!(
                out,
                "{} from `{}`, {} refused",
                count(imported.added, "address added", "addresses added"),
                file.display(),
                imported.refused.len()
            )?;
            if !imported.refused.is_empty() {
                return Ok(Exit::Partial);
            }
        }
        cli::SubscribersCommand::Export { output } => match output {
            Some(path) => {
                let mut buffer = Vec::new();
                let n = subscribers::export(config, &mut buffer)?;
                newsdigest::archive::write_atomic(&path, &buffer)?;
                eprintln!("{} written to `{}`", count(n, "address", "addresses"), path.display());
            }
            None => {
                subscribers::export(config, &mut out)?;
            }
        },
    }
    Ok(Exit::Ok)
}

/// `serve`: binds, prints where it listens, and serves until SIGTERM or Ctrl-C.
fn serve(config: Config, listen: Option<std::net::SocketAddr>) -> anyhow::Result<Exit> {
    let listen = listen.unwrap_or(config.web.listen);
    let runtime = send::runtime()?;
    let public = config.web.base_url.clone().unwrap_or_default();
    let service = newsdigest::web::Service::new(config, std::sync::Arc::new(SystemClock))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {listen}: {err}"))?;
        eprintln!(
            "serving on http://{listen} (public address {public}); stop with SIGTERM or Ctrl-C"
        );
        newsdigest::web::serve(service, listener, shutdown_signal()).await
    })?;
    eprintln!("stopped");
    Ok(Exit::Ok)
}

/// Resolves on SIGTERM (systemd's stop) or Ctrl-C.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// `1 item`, `2 items`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// True when writing to stdout failed because the reading end of the pipe was closed.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == broken
            || cause.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind)
                == broken
    })
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    let clock: Box<dyn Clock> = match cli.now {
        Some(now) => Box::new(FixedClock(now)),
        None => Box::new(SystemClock),
    };
    match cli.command {
        Command::Preview => {
            let config = load_config_checking_list(cli.config.as_deref(), false)?;
            preview(&config, clock.as_ref())
        }
        Command::Articles { json } => {
            let config = load_config_without_list(cli.config.as_deref(), false)?;
            articles(&config, clock.as_ref(), json)
        }
        Command::Article { file, json, sentences } => {
            let mut config = load_config_without_list(cli.config.as_deref(), true)?;
            if let Some(sentences) = sentences {
                config.summary.max_sentences = usize::from(sentences);
                config.summary.max_words = None;
            }
            article(&config, &file, json)
        }
        Command::Feed { location, json } => {
            let config = load_config_without_list(cli.config.as_deref(), true)?;
            feed(&config, &location, json)
        }
        Command::Check { smtp } => {
            let path = cli.config.unwrap_or_else(|| PathBuf::from("config.toml"));
            check(&path, smtp)
        }
        Command::Run { dry_run, new_ledger, json, shard } => {
            let config = sharded(load_config_checking_list(cli.config.as_deref(), false)?, shard)?;
            send::run(&config, clock.as_ref(), RunOptions { dry_run, new_ledger, shard }, json)
        }
        Command::Retry { date, new_ledger, json, shard } => {
            let config = sharded(load_config_without_list(cli.config.as_deref(), false)?, shard)?;
            let options = RunOptions { dry_run: false, new_ledger, shard };
            send::retry(&config, clock.as_ref(), date, options, json)
        }
        Command::Serve { listen, shard } => {
            // The list is checked, then read once into the service's index (see
            // `web::Service`): its rows are not kept.
            let config = sharded(load_config_checking_list(cli.config.as_deref(), false)?, shard)?;
            serve(config, listen)
        }
        Command::Status { date, shard, ledgers } => {
            let config = sharded(load_config_without_list(cli.config.as_deref(), false)?, shard)?;
            if ledgers.is_empty() {
                send::status(&config, date, clock.now().date_naive())
            } else {
                send::merged_status(&ledgers, date)
            }
        }
        Command::Unsubscribe { email, token, shard } => {
            if let Some(shard) = shard
                && !shard.contains(&email)
            {
                let own = shard.owner_of(&email);
                anyhow::bail!(
                    "`{email}` is sent by shard {own}, not {shard}: unsubscribe it there"
                );
            }
            let config = sharded(load_config_without_list(cli.config.as_deref(), false)?, shard)?;
            let added = run::unsubscribe(&config, clock.as_ref(), &email, token.as_deref())?;
            if added {
                writeln!(std::io::stdout(), "{email}: unsubscribed; no digest will be sent to it")?;
            } else {
                writeln!(std::io::stdout(), "{email}: already unsubscribed")?;
            }
            Ok(Exit::Ok)
        }
        Command::Sources { command: cli::SourcesCommand::Import { file, write } } => {
            let path = cli.config.unwrap_or_else(|| PathBuf::from("config.toml"));
            import_opml(&path, &file, write)
        }
        Command::Bounces { command: cli::BouncesCommand::Classify { file, json } } => {
            classify_bounce(&file, json)
        }
        Command::Bounces { command: cli::BouncesCommand::Read { files, maildir, shard } } => {
            let config = sharded(load_config_without_list(cli.config.as_deref(), false)?, shard)?;
            read_bounces(&config, clock.as_ref(), &files, maildir.as_deref())
        }
        Command::Suppressions { command } => {
            let config = load_config_without_list(cli.config.as_deref(), false)?;
            suppressions(&config, command)
        }
        Command::Subscribers { command } => {
            let config = load_config(cli.config.as_deref(), false)?;
            subscribers(&config, clock.as_ref(), command)
        }
        Command::Resubscribe { email } => {
            let config = load_config_without_list(cli.config.as_deref(), false)?;
            if run::resubscribe(&config, &email)? {
                writeln!(std::io::stdout(), "{email}: resubscribed")?;
            } else {
                writeln!(std::io::stdout(), "{email}: was not unsubscribed")?;
            }
            Ok(Exit::Ok)
        }
    }
}

/// `config` as shard `shard` runs it: its own ledger, web address and bounce address (see
/// `newsdigest::shard::Shard::configure`).
fn sharded(config: Config, shard: Option<newsdigest::shard::Shard>) -> anyhow::Result<Config> {
    match shard {
        Some(shard) => shard.configure(config).map_err(anyhow::Error::msg),
        None => Ok(config),
    }
}

/// Loads `--config` (or `config.toml`). With `optional`, a missing default file gives the
/// defaults, so `article` works anywhere.
fn load_config(path: Option<&Path>, optional: bool) -> anyhow::Result<Config> {
    load_config_with(path, optional, ListMode::Load)
}

/// [`load_config`] without reading `subscribers_file`, for the commands that work on the
/// ledger alone: `status` on a list of a million starts at once.
fn load_config_without_list(path: Option<&Path>, optional: bool) -> anyhow::Result<Config> {
    load_config_with(path, optional, ListMode::Skip)
}

/// [`load_config`] checking `subscribers_file` without keeping its rows, for `run` and
/// `preview`, which read them again as they go.
fn load_config_checking_list(path: Option<&Path>, optional: bool) -> anyhow::Result<Config> {
    load_config_with(path, optional, ListMode::Check)
}

fn load_config_with(path: Option<&Path>, optional: bool, list: ListMode) -> anyhow::Result<Config> {
    let default = PathBuf::from("config.toml");
    let explicit = path.is_some();
    let path = path.unwrap_or(&default);
    if optional && !explicit && !path.exists() {
        return Ok(Config::defaults());
    }
    Ok(match list {
        ListMode::Load => Config::load(path)?,
        ListMode::Check => Config::load_checking_list(path)?,
        ListMode::Skip => Config::load_without_list(path)?,
    })
}

pub(crate) fn print_skipped(skipped: &[Skipped], lossy: &[PathBuf]) {
    for path in lossy {
        eprintln!("warning: `{}` is not valid UTF-8; invalid bytes were replaced", path.display());
    }
    for item in skipped {
        eprintln!("warning: skipped `{}`: {}", item.path.display(), item.reason);
    }
}

fn preview(config: &Config, clock: &dyn Clock) -> anyhow::Result<Exit> {
    let now = clock.now();
    let report = send::runtime()?.block_on(app::preview(config, now))?;
    print_skipped(&report.skipped, &report.lossy);
    let feeds_failed = print_feeds(&report.feeds);
    let mut out = std::io::stdout().lock();
    for digest in &report.digests {
        writeln!(out, "{}", digest.html.display())?;
        writeln!(out, "{}", digest.text.display())?;
    }
    writeln!(out, "{}", report.index.display())?;
    for slug in &report.empty {
        eprintln!("note: no story for the topic set `{slug}` today; no digest written for it");
    }
    eprintln!(
        "{} articles → {} in the last {} → {} digests → {}",
        report.articles,
        report.selected,
        human_window(config.select.window),
        report.digests.len(),
        report.index.display()
    );
    Ok(if report.skipped.is_empty() && !feeds_failed { Exit::Ok } else { Exit::Partial })
}

/// Prints each feed that failed (and notes on the others) to stderr; true when one failed.
pub(crate) fn print_feeds(feeds: &[FeedReport]) -> bool {
    let mut failed = false;
    for feed in feeds {
        if let Some(failure) = &feed.failure {
            failed = true;
            eprintln!(
                "warning: feed `{}` ({}) failed: {}; {} stored item(s) used",
                feed.source_id, feed.location, failure, feed.items
            );
        }
        for note in &feed.notes {
            eprintln!("note: feed `{}`: {note}", feed.source_id);
        }
    }
    failed
}

pub(crate) fn human_window(window: chrono::TimeDelta) -> String {
    let hours = window.num_hours();
    if window == chrono::TimeDelta::hours(hours) {
        format!("{hours}h")
    } else {
        format!("{}m", window.num_minutes())
    }
}

/// Words in an article's body, Chinese and Japanese counted two characters a word.
fn words(article: &Article) -> usize {
    article.paragraphs.iter().map(|p| newsdigest::text::word_count(p)).sum()
}

fn date_text(article: &Article) -> String {
    match (article.published, article.date_origin) {
        (Some(date), DateOrigin::FileTime) => format!("{} (file time)", date.to_rfc3339()),
        (Some(date), _) => date.to_rfc3339(),
        (None, _) => "unknown".to_owned(),
    }
}

fn topics_json(classified: &Classified) -> serde_json::Value {
    classified
        .topics
        .iter()
        .map(|matched| json!({"id": matched.topic_id, "score": matched.score, "terms": matched.terms}))
        .collect()
}

fn articles(config: &Config, clock: &dyn Clock, as_json: bool) -> anyhow::Result<Exit> {
    let ledger = newsdigest::ledger::Ledger::open_read_only(&config.state_file)?;
    let (loaded, feeds) =
        send::runtime()?.block_on(gather(config, FeedState::Read(ledger.as_ref()), clock.now()))?;
    let feeds_failed = print_feeds(&feeds);
    let mut out = std::io::stdout().lock();
    if as_json {
        let articles: Vec<_> = loaded
            .articles
            .iter()
            .map(|item| {
                let article = &item.article;
                json!({
                    "id": article.id.as_str(),
                    "title": article.title,
                    "path": article.origin.display().to_string(),
                    "format": article.format.name(),
                    "published": article.published.map(|date| date.to_rfc3339()),
                    "date_from_file_time": article.date_origin == DateOrigin::FileTime,
                    "url": article.url,
                    "source": article.source,
                    "words": words(article),
                    "topics": topics_json(item),
                })
            })
            .collect();
        let skipped: Vec<_> = loaded
            .skipped
            .iter()
            .map(|item| json!({"path": item.path.display().to_string(), "reason": item.reason}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &json!({"articles": articles, "skipped": skipped}))?;
        writeln!(out)?;
    } else {
        for item in &loaded.articles {
            let article = &item.article;
            writeln!(out, "{}", article.title)?;
            writeln!(out, "  file:   {} ({})", article.origin.display(), article.format.name())?;
            writeln!(out, "  date:   {}", date_text(article))?;
            writeln!(out, "  source: {} · {} words", article.source, words(article))?;
            if item.topics.is_empty() {
                writeln!(out, "  topics: none")?;
            }
            for matched in &item.topics {
                writeln!(
                    out,
                    "  topic:  {} (score {}): {}",
                    matched.topic_id,
                    matched.score,
                    matched.terms.join(", ")
                )?;
            }
        }
        for item in &loaded.skipped {
            writeln!(out, "skipped: {}: {}", item.path.display(), item.reason)?;
        }
        writeln!(
            out,
            "{}, {} skipped",
            count(loaded.articles.len(), "article", "articles"),
            loaded.skipped.len()
        )?;
    }
    print_skipped(&[], &loaded.lossy);
    Ok(if loaded.skipped.is_empty() && !feeds_failed { Exit::Ok } else { Exit::Partial })
}

fn feed(config: &Config, location: &str, as_json: bool) -> anyhow::Result<Exit> {
    let read = send::runtime()?.block_on(app::feed(config, location))?;
    let mut out = std::io::stdout().lock();
    if as_json {
        let items: Vec<_> = read
            .items
            .iter()
            .map(|article| {
                json!({
                    "title": article.title,
                    "url": article.url,
                    "published": article.published.map(|date| date.to_rfc3339()),
                    "author": article.author,
                    "body": article.paragraphs,
                })
            })
            .collect();
        let skipped: Vec<_> = read
            .skipped
            .iter()
            .map(|(name, reason)| json!({"item": name, "reason": reason}))
            .collect();
        let value = json!({"title": read.title, "items": items, "skipped": skipped, "partial": read.partial});
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", read.title.as_deref().unwrap_or("(untitled feed)"))?;
        for article in &read.items {
            writeln!(out, "- {}", article.title)?;
            if let Some(url) = &article.url {
                writeln!(out, "  link: {url}")?;
            }
            writeln!(
                out,
                "  date: {}",
                article.published.map_or("none".to_owned(), |d| d.to_rfc3339())
            )?;
            writeln!(out, "  text: {} words", words(article))?;
        }
        for (name, reason) in &read.skipped {
            writeln!(out, "skipped: {name}: {reason}")?;
        }
        if let Some(partial) = &read.partial {
            writeln!(out, "note: {partial}")?;
        }
        writeln!(
            out,
            "{}, {} skipped",
            count(read.items.len(), "item", "items"),
            read.skipped.len()
        )?;
    }
    Ok(if read.skipped.is_empty() && read.partial.is_none() { Exit::Ok } else { Exit::Partial })
}

fn article(config: &Config, file: &Path, as_json: bool) -> anyhow::Result<Exit> {
    let parsed = app::article(config, file)?;
    let article = &parsed.classified.article;
    let mut out = std::io::stdout().lock();
    if as_json {
        let value = json!({
            "title": article.title,
            "published": article.published.map(|date| date.to_rfc3339()),
            "date_from_file_time": article.date_origin == DateOrigin::FileTime,
            "url": article.url,
            "id": article.id.as_str(),
            "source": article.source,
            "author": article.author,
            "format": article.format.name(),
            "topics": parsed.classified.topics.iter().map(|m| m.topic_id.as_str()).collect::<Vec<_>>(),
            "matches": topics_json(&parsed.classified),
            "body": article.paragraphs,
            "summary": parsed.summary.text,
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", article.title)?;
        writeln!(out, "date:    {}", date_text(article))?;
        if let Some(url) = &article.url {
            writeln!(out, "url:     {url}")?;
        }
        let topics: Vec<&str> =
            parsed.classified.topics.iter().map(|m| m.topic_id.as_str()).collect();
        writeln!(
            out,
            "topics:  {}",
            if topics.is_empty() { "none".to_owned() } else { topics.join(", ") }
        )?;
        writeln!(out, "summary: {}", parsed.summary.text)?;
        writeln!(out)?;
        for paragraph in &article.paragraphs {
            writeln!(out, "{}", textwrap::fill(paragraph, 78))?;
            writeln!(out)?;
        }
    }
    if parsed.lossy {
        eprintln!("warning: `{}` is not valid UTF-8; invalid bytes were replaced", file.display());
    }
    Ok(if parsed.lossy { Exit::Partial } else { Exit::Ok })
}

fn import_opml(config_path: &Path, opml: &Path, write: bool) -> anyhow::Result<Exit> {
    use anyhow::Context;
    let text = std::fs::read_to_string(opml)
        .with_context(|| format!("cannot read `{}`", opml.display()))?;
    let feeds = newsdigest::opml::parse(&text)
        .map_err(|err| anyhow::anyhow!("`{}`: {err}", opml.display()))?;
    let existing = if config_path.exists() { Some(Config::load(config_path)?) } else { None };
    let taken = existing
        .iter()
        .flat_map(|config| config.sources.iter().map(|source| source.id().to_owned()))
        .collect();
    let entries = newsdigest::opml::to_toml(&feeds, &taken);
    if !write {
        write!(std::io::stdout(), "{entries}")?;
        eprintln!("{} feed(s) in `{}`", feeds.len(), opml.display());
        return Ok(Exit::Ok);
    }
    let current = if existing.is_some() {
        std::fs::read_to_string(config_path)
            .with_context(|| format!("cannot read `{}`", config_path.display()))?
    } else {
        String::new()
    };
    let updated = format!(
        "{}
{entries}",
        current.trim_end()
    );
    let base_dir = config_path.parent().unwrap_or(Path::new("."));
    Config::parse(&updated, base_dir).map_err(|problems| {
        newsdigest::config::ConfigError::new(config_path.to_path_buf(), updated.clone(), problems)
    })?;
    newsdigest::archive::write_atomic(config_path, updated.as_bytes())?;
    eprintln!("added {} feed source(s) to `{}`", feeds.len(), config_path.display());
    Ok(Exit::Ok)
}

fn check(path: &Path, smtp: bool) -> anyhow::Result<Exit> {
    // The list is checked row by row, then counted as it is read again: never held.
    let config = Config::load_checking_list(path)?;
    app::check_templates(&config)?;
    let (subscribers, digests) = app::audience_counts(&config)?;
    writeln!(
        std::io::stdout(),
        "{}: ok: {} source(s), {} topic(s), {} subscriber(s), {} distinct digest(s); templates render",
        path.display(),
        config.sources.len(),
        config.select.topics.len(),
        subscribers,
        digests
    )?;
    for warning in config.warnings() {
        eprintln!("warning: {warning}");
    }
    if smtp {
        let line = send::runtime()?.block_on(run::check_smtp(&config))?;
        writeln!(std::io::stdout(), "{line}; nothing was sent")?;
    }
    Ok(Exit::Ok)
}
