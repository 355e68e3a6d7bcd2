//! The web service benchmark: `cargo bench --bench web [-- N]` (default N = 10,000).
//!
//! Starts the release binary's `newsdigest serve` on 127.0.0.1 over a ledger of N
//! subscribers, then 100 concurrent clients on loopback make N requests each way: first the
//! baseline, `GET /style.css` (a static page: the HTTP stack alone), then the one-click
//! unsubscribe, `POST /u/TOKEN` with `List-Unsubscribe=One-Click`, once per subscriber (each
//! a token check and a committed ledger write). It reports requests a second, the p50 and
//! p99 latency, the one-click rate as a ratio to the baseline's, and the service's peak
//! memory (VmHWM), and checks every subscriber ended suppressed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use newsdigest::ledger::{Ledger, Listed, SubscriberSource};
use newsdigest::token::{Purpose, Signer};

const CLIENTS: usize = 100;
const SECRET: &str = "benchmark secret, long and random enough";

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|arg| arg.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    setup(dir.path(), &base, n);
    let mut server = Server(start(dir.path()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().unwrap();
    runtime.block_on(wait_healthy(&client, &base));

    let style = format!("{base}/style.css");
    let baseline = runtime.block_on(load(&client, n, move |_| (style.clone(), None)));
    let signer = Signer::new(SECRET.as_bytes());
    let tokens: Arc<Vec<String>> =
        Arc::new((1..=n as i64).map(|id| signer.sign(Purpose::Unsubscribe, id, None)).collect());
    let one_click = {
        let base = base.clone();
        let tokens = Arc::clone(&tokens);
        runtime.block_on(load(&client, n, move |i| {
            (format!("{base}/u/{}", tokens[i]), Some("List-Unsubscribe=One-Click"))
        }))
    };
    let peak_kib = peak_memory(&server.0);
    stop(&mut server.0);

    let ledger = Ledger::open(&dir.path().join("state.sqlite")).unwrap();
    let suppressed = ledger.suppressed().unwrap().len();
    assert_eq!(suppressed, n, "every one-click request unsubscribed its subscriber");

    println!(
        "newsdigest serve benchmark: {n} subscribers, {CLIENTS} concurrent clients on 127.0.0.1"
    );
    println!(
        "  baseline, GET /style.css:         {:8.0} req/s   p50 {:6.2} ms   p99 {:6.2} ms",
        baseline.rate, baseline.p50, baseline.p99
    );
    println!(
        "  one-click, POST /u/TOKEN:         {:8.0} req/s   p50 {:6.2} ms   p99 {:6.2} ms   = {:.2} × baseline",
        one_click.rate,
        one_click.p50,
        one_click.p99,
        one_click.rate / baseline.rate
    );
    println!(
        "  service peak RSS: {:.1} MiB; {suppressed} of {n} suppressed",
        peak_kib as f64 / 1024.0
    );
}

/// A config with `[web]` and the secret in a file, and a ledger that lists `n` subscribers.
fn setup(dir: &Path, base: &str, n: usize) {
    std::fs::write(dir.join("secret.txt"), SECRET).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "state_file = \"state.sqlite\"\n[digest]\ntitle = \"Bench Digest\"\noutput_dir = \"out\"\n\
             [delivery]\nunsubscribe_secret_file = \"secret.txt\"\n[web]\nbase_url = \"{base}\"\nlisten = \"{listen}\"\n",
            listen = base.trim_start_matches("http://")
        ),
    )
    .unwrap();
    let emails: Vec<String> = (0..n).map(|i| format!("reader{i:07}@example.org")).collect();
    let listed: Vec<Listed<'_>> = emails
        .iter()
        .map(|email| Listed { email, name: None, source: SubscriberSource::Csv })
        .collect();
    let mut ledger = Ledger::open(&dir.join("state.sqlite")).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z").unwrap();
    let ids = ledger.record_listed(&listed, now).unwrap();
    assert_eq!(ids.iter().map(|choices| choices.id).max(), Some(n as i64), "ids run from 1 to n");
}

/// The service's process, killed if the benchmark fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn start(dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_newsdigest"))
        .args(["--config", "config.toml", "serve"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("serve did not start");
}

struct Figures {
    rate: f64,
    p50: f64,
    p99: f64,
}

/// `n` requests from `CLIENTS` tasks; request `i` is `request(i)` (a URL, and a form body to
/// POST or none to GET).
async fn load(
    client: &reqwest::Client,
    n: usize,
    request: impl Fn(usize) -> (String, Option<&'static str>) + Send + Sync + 'static,
) -> Figures {
    let request = Arc::new(request);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (client, request, next) = (client.clone(), Arc::clone(&request), Arc::clone(&next));
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let (url, body) = request(i);
                let sent = Instant::now();
                let response = match body {
                    Some(body) => {
                        client
                            .post(url)
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(body)
                            .send()
                            .await
                    }
                    None => client.get(url).send().await,
                }
                .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await.unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        rate: n as f64 / elapsed,
        p50: at(0.50).as_secs_f64() * 1000.0,
        p99: at(0.99).as_secs_f64() * 1000.0,
    }
}

/// The service's peak resident memory, in KiB.
fn peak_memory(server: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// SIGTERM, then the service must stop by itself.
fn stop(server: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    for _ in 0..100 {
        if let Ok(Some(status)) = server.try_wait() {
            assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    panic!("serve did not stop on SIGTERM");
}
