//! The command line, declared with clap: commands, flags and their help. No logic.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// newsdigest: gather articles, pick them by topic, summarize their leads and render a daily
/// digest for each subscriber.
#[derive(Debug, Parser)]
#[command(name = "newsdigest", version, about, long_about = None)]
pub struct Cli {
    /// The config file [default: config.toml]
    #[arg(long, short = 'c', global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Pretend the time is T (RFC 3339, e.g. 2026-11-26T07:00:00+01:00): for tests and replays
    #[arg(long, global = true, value_name = "T", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build today's digests, archive them and deliver one to every subscriber not reached yet
    /// today (SMTP, or .eml files in the outbox); safe to run again
    Run {
        /// Render everything and write previews and .eml files to digests/<date>/dry-run/;
        /// send nothing and change no state
        #[arg(long)]
        dry_run: bool,
        /// Take the ledger as it is although the archive was written under another one (after
        /// losing or replacing digests/newsdigest.sqlite on purpose)
        #[arg(long)]
        new_ledger: bool,
        /// Print a machine-readable report on stdout
        #[arg(long)]
        json: bool,
        /// Send only shard K of N: the subscribers whose address hashes to it, recorded in a
        /// ledger of the shard's own (digests/shard-K-of-N/newsdigest.sqlite), so N machines
        /// or processes can send one edition together
        #[arg(long, value_name = "K/N")]
        shard: Option<newsdigest::shard::Shard>,
    },
    /// Build today's digests and write them under digests/<date>/ with an index page; sends
    /// nothing and changes no state
    Preview,
    /// List every article the sources hold, with date, topics and the terms that matched, and
    /// every file that was skipped
    Articles {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Parse one article file and print its title, date, topics, body and summary
    Article {
        /// The file (.txt page dump, .md, .html)
        file: PathBuf,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Summarize with N sentences, without the word budget
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        sentences: Option<u16>,
    },
    /// Run the subscribers' web service: one-click unsubscribe, topic preferences, confirmed
    /// sign-up and the web archive, sharing the ledger with `run` (stops on SIGTERM or Ctrl-C)
    Serve {
        /// The address and port to listen on [default: `web.listen`, 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Serve shard K of N (see `run --shard`): its ledger, under its own public address
        /// `web.base_url`/shard-K-of-N; sign-ups of other shards' addresses, and bounce
        /// webhook reports about their subscribers, are sent on to their shards
        #[arg(long, value_name = "K/N")]
        shard: Option<newsdigest::shard::Shard>,
    },
    /// Read one feed (a file or an http(s) URL) and print what newsdigest takes from it: the
    /// feed's title, and each item's title, link, date and text, in feed order
    Feed {
        /// The feed file or URL
        location: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Show each edition's deliveries by status, and every failure with the server's reply
    Status {
        /// The day (YYYY-MM-DD) [default: every day]
        #[arg(value_parser = parse_date)]
        date: Option<chrono::NaiveDate>,
        /// Report on shard K of N's ledger
        #[arg(long, value_name = "K/N")]
        shard: Option<newsdigest::shard::Shard>,
        /// Add up the deliveries of these ledgers, read-only (shard ledgers, or copies of
        /// them from their machines); repeat for each
        #[arg(long = "ledger", value_name = "FILE")]
        ledgers: Vec<PathBuf>,
    },
    /// Send what is still pending or failed-transient on a day, with the editions as stored
    Retry {
        /// The day (YYYY-MM-DD) [default: today]
        #[arg(value_parser = parse_date)]
        date: Option<chrono::NaiveDate>,
        /// Take the ledger as it is although the archive was written under another one
        #[arg(long)]
        new_ledger: bool,
        /// Print a machine-readable report on stdout
        #[arg(long)]
        json: bool,
        /// Retry shard K of N, with its own ledger (see `run --shard`)
        #[arg(long, value_name = "K/N")]
        shard: Option<newsdigest::shard::Shard>,
    },
    /// Put an address on the suppression list: it is never sent to again
    Unsubscribe {
        /// The address
        email: String,
        /// Only if this is the address's unsubscribe token (for a web handler)
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
        /// In shard K of N's ledger, which must be the address's shard
        #[arg(long, value_name = "K/N")]
        shard: Option<newsdigest::shard::Shard>,
    },
    /// Take an address off the suppression list
    Resubscribe {
        /// The address
        email: String,
    },
    /// Manage the audience: the config's lists, sign-ups and addresses added here
    Subscribers {
        /// What to do
        #[command(subcommand)]
        command: SubscribersCommand,
    },
    /// Review and undo suppressions (unsubscribes, bounces, complaints)
    Suppressions {
        /// What to do
        #[command(subcommand)]
        command: SuppressionsCommand,
    },
    /// Read bounces, complaints and automatic replies
    Bounces {
        /// What to do
        #[command(subcommand)]
        command: BouncesCommand,
    },
    /// Manage sources
    Sources {
        /// What to do
        #[command(subcommand)]
        command: SourcesCommand,
    },
    /// Validate the config and the templates, and print a short summary
    Check {
        /// Also connect to [smtp]: EHLO, STARTTLS and login, then quit; sends nothing
        #[arg(long)]
        smtp: bool,
    },
}

/// `subscribers` commands.
#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Every address with its status (active, pending, paused, suppressed), source and topics
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Add an address, active at once (you vouch for it)
    Add {
        /// The address
        email: String,
        /// The display name
        #[arg(long)]
        name: Option<String>,
        /// Topic ids, comma-separated [default: every topic]
        #[arg(long, value_delimiter = ',')]
        topics: Option<Vec<String>>,
    },
    /// Remove an address: a sign-up is forgotten, a listed address suppressed
    Remove {
        /// The address
        email: String,
    },
    /// Add every row of a CSV file (`email,name,topics`, topics separated by `;`)
    Import {
        /// The CSV file
        file: PathBuf,
    },
    /// Write every address as CSV, with status and source
    Export {
        /// Write to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `bounces` commands.
#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Print what one message says: class, recipient, DSN status, reason, the server's reply
    Classify {
        /// The message (`-` for stdin)
        file: PathBuf,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Read bounces and complaints and apply [bounces]: files, `-` for one message on stdin
    /// (for an MTA's pipe), or a Maildir's new messages
    Read {
        /// Message files, or `-` for stdin
        files: Vec<PathBuf>,
        /// Process the new messages of this Maildir, moving each to cur/ once read (never
        /// deleting; those that need a person stay in new/)
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// Apply them to shard K of N's ledger (see `run --shard`): only reports to the
        /// shard's own return path, or about addresses it sent to, are applied
        #[arg(long, value_name = "K/N")]
        shard: Option<newsdigest::shard::Shard>,
    },
}

/// `suppressions` commands.
#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// Every suppressed address with its reason, time and evidence
    List,
    /// Take an address off the list: it gets digests again
    Remove {
        /// The address
        email: String,
    },
}

/// `sources` commands.
#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// Print a [[sources]] entry for every feed of an OPML file (folders become topic hints)
    Import {
        /// The OPML file
        file: PathBuf,
        /// Append the entries to the config file instead of printing them
        #[arg(long)]
        write: bool,
    },
}

fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|err| format!("`{text}` is not a date such as 2026-11-26 ({err})"))
}

fn parse_now(text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    chrono::DateTime::parse_from_rfc3339(text).map_err(|err| {
        format!("`{text}` is not an RFC 3339 time such as 2026-11-26T07:00:00Z ({err})")
    })
}
