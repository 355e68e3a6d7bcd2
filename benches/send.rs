//! The send benchmark: `cargo bench --bench send [-- N]` (default N = 10,000).
//!
//! Sends N personalised digests (the sample corpus, every topic: about 35 KB a message) with
//! the release binary's `newsdigest run` to an SMTP sink on 127.0.0.1, and measures messages
//! a second and the process's peak memory (VmHWM). In the same command it runs the
//! baselines, each with the same number of sessions (`concurrency`):
//!
//! - Postfix's `smtp-source` (`-d`: one session a connection, as newsdigest keeps them)
//!   sending N messages of the same size, to our own sink and to Postfix's `smtp-sink`, which
//!   newsdigest also sends to; both come with Debian's `postfix` package (installed with the
//!   debconf answer "No configuration", it starts no daemon). Without them those lines are
//!   left out.
//! - lettre alone sending one pre-built message N times (the transport's ceiling), and the
//!   same with Nagle's algorithm on (as lettre's own transport leaves it).
//! - `newsdigest run` with a tenth of the subscribers, for memory.
//!
//! Figures are quoted as ratios to those. newsdigest and smtp-source run in turn, three times
//! each, and the best rate of each is kept, since a shared machine's speed varies.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/smtp.rs"]
mod smtp;
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;

const CONCURRENCY: usize = 4;
/// Runs of newsdigest and smtp-source, in turn, of which the best of each is kept.
const ROUNDS: usize = 3;
const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";
const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|arg| arg.parse().ok()).unwrap_or(10_000);
    let sink = smtp::SmtpServer::counting_sink(0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let small = (n / 10).max(1);
    let site_small = support::site(root, sink.port, small, CONCURRENCY);
    let site_full = support::site(root, sink.port, n, CONCURRENCY);

    // Warm the page cache and the binary.
    let _ = run(&site_small, Some(&sink), 0);

    let (small_rate, small_peak, _) = run(&site_small, Some(&sink), small);
    let (_, peak, bytes) = run(&site_full, Some(&sink), n);
    let size = bytes / n as u64;
    // This machine's speed varies from minute to minute: each pair is run in turn, ROUNDS
    // times, and the best of each is kept.
    let mut rate = 0.0f64;
    let mut source_ours: Option<f64> = None;
    for _ in 0..ROUNDS {
        rate = rate.max(run(&site_full, Some(&sink), n).0);
        source_ours = smtp_source(sink.port, n, size).map(|r| r.max(source_ours.unwrap_or(0.0)));
    }
    let postfix = PostfixSink::start().map(|postfix| {
        let site_postfix = support::site(root, postfix.port, n, CONCURRENCY);
        let (mut rate, mut source) = (0.0f64, None::<f64>);
        for _ in 0..ROUNDS {
            rate = rate.max(run(&site_postfix, None, n).0);
            source = smtp_source(postfix.port, n, size).map(|r| r.max(source.unwrap_or(0.0)));
        }
        (rate, source)
    });
    let baseline = lettre_only(sink.port, n, size, true);
    let nagle = lettre_only(sink.port, (n / 10).max(CONCURRENCY), size, false);

    println!(
        "newsdigest send benchmark: {n} messages of ~{} KB to 127.0.0.1, {CONCURRENCY} sessions",
        size / 1024
    );
    if let Some(source) = source_ours {
        println!("  Postfix smtp-source to our sink:                {source:8.0} msg/s");
        println!(
            "  newsdigest run to our sink:                     {rate:8.0} msg/s  = {:.2} × smtp-source",
            rate / source
        );
    }
    if let Some((rate, Some(source))) = postfix {
        println!("  Postfix smtp-source to Postfix smtp-sink:       {source:8.0} msg/s");
        println!(
            "  newsdigest run to Postfix smtp-sink:            {rate:8.0} msg/s  = {:.2} × smtp-source",
            rate / source
        );
    }
    println!("  lettre alone (one pre-built message):           {baseline:8.0} msg/s");
    println!(
        "  the same with Nagle on, as lettre 0.11.23 does: {nagle:8.0} msg/s  = {:.2} × lettre alone",
        nagle / baseline
    );
    println!(
        "  newsdigest run, {n:>7} subscribers:            {rate:8.0} msg/s  = {:.2} × lettre alone   peak RSS {:.1} MiB",
        rate / baseline,
        peak as f64 / 1024.0
    );
    println!(
        "  newsdigest run, {small:>7} subscribers:            {small_rate:8.0} msg/s                          peak RSS {:.1} MiB",
        small_peak as f64 / 1024.0
    );
    println!(
        "  peak memory, {n} vs {small} subscribers: {:.2} ×  (1 when nothing is kept per subscriber)",
        peak as f64 / small_peak as f64
    );
}

/// Postfix's `smtp-source`: `n` messages with a body of `size` bytes over `CONCURRENCY`
/// sessions, each kept open for its messages (`-d`); messages a second, or `None` without it.
fn smtp_source(port: u16, n: usize, size: u64) -> Option<f64> {
    if !Path::new(SMTP_SOURCE).exists() {
        return None;
    }
    let started = Instant::now();
    let status = Command::new(SMTP_SOURCE)
        .args(["-d", "-s", &CONCURRENCY.to_string(), "-m", &n.to_string()])
        .args(["-l", &size.to_string(), "-f", "digest@example.org", "-t", "reader@example.org"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "smtp-source failed");
    Some(n as f64 / started.elapsed().as_secs_f64())
}

/// Postfix's `smtp-sink` on a free port of 127.0.0.1, stopped when dropped.
struct PostfixSink {
    port: u16,
    child: Child,
}

impl PostfixSink {
    fn start() -> Option<PostfixSink> {
        if !Path::new(SMTP_SINK).exists() {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(SMTP_SINK);
        // As root it must be told whom to run as.
        if std::env::var("USER").is_ok_and(|user| user == "root")
            || std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
                status.lines().any(|line| line.starts_with("Uid:") && line.contains("\t0\t"))
            })
        {
            command.args(["-u", "nobody"]);
        }
        let child = command
            .arg(format!("127.0.0.1:{port}"))
            .arg("1000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(5), "smtp-sink did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(PostfixSink { port, child })
    }
}

impl Drop for PostfixSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `newsdigest run` in `site` (a fresh ledger each time); returns messages a second,
/// peak resident memory in KiB and the bytes the sink received.
fn run(site: &tempfile::TempDir, sink: Option<&smtp::SmtpServer>, n: usize) -> (f64, u64, u64) {
    let _ = std::fs::remove_dir_all(site.path().join("digests"));
    let before = sink.map_or(0, smtp::SmtpServer::count);
    let bytes_before = sink.map_or(0, smtp::SmtpServer::bytes);
    let (elapsed, peak) = support::measure(site.path(), &["run"]);
    // What the ledger says was sent (a sink of another program cannot be asked).
    let rows = support::sent_rows(site.path());
    assert!(n == 0 || rows == n, "the ledger says {rows} of {n} messages were sent");
    if let Some(sink) = sink {
        let got = sink.count() - before;
        assert!(n == 0 || got == n, "the sink got {got} of {n} messages");
    }
    (n as f64 / elapsed.as_secs_f64(), peak, sink.map_or(0, |sink| sink.bytes() - bytes_before))
}

/// lettre alone: `CONCURRENCY` connections, each sending its share of `n` copies of one
/// pre-built message of `size` bytes, with or without `TCP_NODELAY`.
fn lettre_only(port: u16, n: usize, size: u64, nodelay: bool) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let body = "x".repeat(70) + "\n";
        let text = body.repeat((size as usize / 2 / body.len()).max(1));
        let html = format!("<p>{text}</p>");
        let to: Mailbox = "reader@example.org".parse().unwrap();
        let message = Message::builder()
            .from("digest@example.org".parse().unwrap())
            .to(to)
            .subject("baseline")
            .multipart(MultiPart::alternative_plain_html(text, html))
            .unwrap();
        let envelope = message.envelope().clone();
        let raw = Arc::new(message.formatted());
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..CONCURRENCY {
            let share = n / CONCURRENCY + usize::from(worker < n % CONCURRENCY);
            let envelope = envelope.clone();
            let raw = Arc::clone(&raw);
            tasks.spawn(async move {
                let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                stream.set_nodelay(nodelay).unwrap();
                let mut conn = AsyncSmtpConnection::connect_with_transport(
                    Box::new(stream),
                    &ClientId::default(),
                )
                .await
                .unwrap();
                for _ in 0..share {
                    conn.send(&envelope, &raw).await.unwrap();
                }
                conn.quit().await.unwrap();
            });
        }
        while tasks.join_next().await.is_some() {}
        n as f64 / started.elapsed().as_secs_f64()
    })
}
