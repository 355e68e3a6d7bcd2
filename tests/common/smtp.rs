//! A small SMTP server on 127.0.0.1 for tests, the send benchmark and `examples/smtp_sink.rs`.
//!
//! It speaks enough of RFC 5321 for lettre (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA with dot
//! unstuffing, RSET, NOOP, QUIT), keeps every accepted message, and takes a script that can
//! answer any step of any transaction with another reply, a stall, a dropped connection or a
//! delay: the faults the delivery code must survive. A message counts as received only when
//! the server answers 250 to its final dot, as on a real relay.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A step of a transaction the script may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO` for this address.
    Rcpt(String),
    /// The final dot of DATA, for these recipients.
    DataEnd(Vec<String>),
}

/// What the server does at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The normal reply (250, and the message is kept at `DataEnd`).
    Accept,
    /// Wait, then the normal reply.
    Delay(Duration),
    /// This reply instead (`451 4.3.0 try later`); nothing is kept.
    Reply(String),
    /// Close the connection without a reply; nothing is kept.
    Drop,
    /// Wait this long without a word, then close; nothing is kept.
    Stall(Duration),
}

/// The script: given the transaction number (1-based, over all connections) and the step,
/// what to do.
pub type Script = Arc<dyn Fn(usize, &Step) -> Action + Send + Sync>;

/// A received message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender.
    pub mail_from: String,
    /// The envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The message, dot-unstuffed, with CRLF line ends.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    transactions: AtomicUsize,
    accepted: AtomicUsize,
    bytes: AtomicU64,
    tls_sessions: AtomicUsize,
    connections: AtomicUsize,
    /// Connections open now, and the most ever open at once.
    open: AtomicUsize,
    most_open: AtomicUsize,
    pipelined: AtomicUsize,
    announced: AtomicUsize,
    logins: Mutex<Vec<(String, String)>>,
    stop: AtomicBool,
}

/// A running server; it stops when dropped.
pub struct SmtpServer {
    /// The port on 127.0.0.1.
    pub port: u16,
    shared: Arc<Shared>,
    keep: bool,
}

impl SmtpServer {
    /// A server that accepts everything.
    pub fn start() -> SmtpServer {
        SmtpServer::with_script(Arc::new(|_, _| Action::Accept))
    }

    /// A server that accepts everything, on a given port (a relay coming back).
    pub fn start_on(port: u16) -> SmtpServer {
        SmtpServer::bind(port, Arc::new(|_, _| Action::Accept), true)
    }

    /// A server that follows `script`.
    pub fn with_script(script: Script) -> SmtpServer {
        SmtpServer::build(script, true)
    }

    /// A sink that counts messages but keeps no bodies (for the benchmark).
    pub fn counting_sink(port: u16) -> SmtpServer {
        SmtpServer::bind(port, Arc::new(|_, _| Action::Accept), false)
    }

    fn build(script: Script, keep: bool) -> SmtpServer {
        SmtpServer::bind(0, script, keep)
    }

    /// A server that accepts everything and offers TLS with the test certificate: STARTTLS,
    /// or TLS from the first byte when `implicit`.
    pub fn with_tls(implicit: bool) -> SmtpServer {
        SmtpServer::bind_with(
            0,
            Arc::new(|_, _| Action::Accept),
            true,
            Some((tls_config(), implicit)),
        )
    }

    fn bind(port: u16, script: Script, keep: bool) -> SmtpServer {
        SmtpServer::bind_with(port, script, keep, None)
    }

    fn bind_with(
        port: u16,
        script: Script,
        keep: bool,
        tls: Option<(Arc<rustls::ServerConfig>, bool)>,
    ) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                accept_shared.connections.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(&accept_shared);
                let script = Arc::clone(&script);
                let tls = tls.clone();
                thread::spawn(move || {
                    let open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
                    shared.most_open.fetch_max(open, Ordering::SeqCst);
                    let _ = session(stream, &shared, &script, keep, tls);
                    shared.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        SmtpServer { port, shared, keep }
    }

    /// Transactions begun (MAIL FROM commands) so far.
    pub fn transactions(&self) -> usize {
        self.shared.transactions.load(Ordering::SeqCst)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The messages accepted since the last call, no longer kept (a sink that runs for
    /// long must not hold every message).
    pub fn take_received(&self) -> Vec<Received> {
        std::mem::take(&mut *self.shared.received.lock().unwrap())
    }

    /// How many messages were accepted.
    pub fn count(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Sessions upgraded with STARTTLS so far.
    pub fn tls_sessions(&self) -> usize {
        self.shared.tls_sessions.load(Ordering::SeqCst)
    }

    /// Bytes of the messages accepted so far.
    pub fn bytes(&self) -> u64 {
        self.shared.bytes.load(Ordering::SeqCst)
    }

    /// Connections opened so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The most connections that were ever open at once.
    pub fn most_open(&self) -> usize {
        self.shared.most_open.load(Ordering::SeqCst)
    }

    /// Transactions whose RCPT arrived with their MAIL, before MAIL was answered.
    pub fn pipelined(&self) -> usize {
        self.shared.pipelined.load(Ordering::SeqCst)
    }

    /// Messages whose content came with the next message's MAIL, before the content was
    /// answered (RFC 2920 lets content begin a pipelined group).
    pub fn announced(&self) -> usize {
        self.shared.announced.load(Ordering::SeqCst)
    }

    /// Logins seen (user, password).
    pub fn logins(&self) -> Vec<(String, String)> {
        self.shared.logins.lock().unwrap().clone()
    }

    /// Blocks until `n` messages were accepted or `timeout` passed; true when they were.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.count() < n {
            if std::time::Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A byte stream the session can read and write: TCP, or TLS over it.
trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

fn tls_stream(
    config: &Arc<rustls::ServerConfig>,
    inner: Box<dyn Stream>,
) -> std::io::Result<Box<dyn Stream>> {
    let connection = rustls::ServerConnection::new(Arc::clone(config))
        .map_err(|err| std::io::Error::other(err.to_string()))?;
    Ok(Box::new(rustls::StreamOwned::new(connection, inner)))
}

/// The test certificate for `localhost` and `127.0.0.1` (tests/fixtures/tls).
pub fn tls_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    Arc::new(
        rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).unwrap(),
    )
}

fn session(
    stream: TcpStream,
    shared: &Shared,
    script: &Script,
    keep: bool,
    tls: Option<(Arc<rustls::ServerConfig>, bool)>,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut upgraded = false;
    let mut reader: BufReader<Box<dyn Stream>> = match &tls {
        Some((config, true)) => {
            upgraded = true;
            BufReader::new(tls_stream(config, Box::new(stream))?)
        }
        _ => BufReader::new(Box::new(stream)),
    };
    send(&mut reader, "220 localhost ESMTP newsdigest-test")?;
    let mut mail_from = String::new();
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut txn = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let starttls = if tls.is_some() && !upgraded { "250-STARTTLS\r\n" } else { "" };
            // Plain servers take pipelined commands (RFC 2920), TLS ones do not, so the tests
            // cover both ways of sending.
            let pipelining = if tls.is_none() { "250-PIPELINING\r\n" } else { "" };
            format!(
                "250-localhost\r\n{starttls}{pipelining}250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10485760"
            )
        } else if upper == "STARTTLS" {
            match &tls {
                Some((config, _)) if !upgraded => {
                    send(&mut reader, "220 2.0.0 ready to start TLS")?;
                    let inner = reader.into_inner();
                    reader = BufReader::new(tls_stream(config, inner)?);
                    upgraded = true;
                    shared.tls_sessions.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                _ => "454 4.7.0 TLS not available".to_owned(),
            }
        } else if upper.starts_with("HELO") {
            "250 localhost".to_owned()
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = command.split_whitespace().nth(2).unwrap_or("").to_owned();
            let decoded = decode_base64(&encoded);
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            if parts.len() == 3 {
                shared.logins.lock().unwrap().push((
                    String::from_utf8_lossy(parts[1]).into_owned(),
                    String::from_utf8_lossy(parts[2]).into_owned(),
                ));
            }
            "235 2.7.0 authenticated".to_owned()
        } else if upper.starts_with("AUTH LOGIN") {
            send(&mut reader, "334 VXNlcm5hbWU6")?;
            line.clear();
            reader.read_line(&mut line)?;
            let user = String::from_utf8_lossy(&decode_base64(line.trim())).into_owned();
            send(&mut reader, "334 UGFzc3dvcmQ6")?;
            line.clear();
            reader.read_line(&mut line)?;
            let password = String::from_utf8_lossy(&decode_base64(line.trim())).into_owned();
            shared.logins.lock().unwrap().push((user, password));
            "235 2.7.0 authenticated".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            // The client's next command already here, before this one was answered: it
            // pipelines (RFC 2920).
            if reader.buffer().windows(4).any(|word| word.eq_ignore_ascii_case(b"RCPT")) {
                shared.pipelined.fetch_add(1, Ordering::SeqCst);
            }
            txn = shared.transactions.fetch_add(1, Ordering::SeqCst) + 1;
            mail_from = address(&command[10..]);
            rcpt_to.clear();
            match act(script(txn, &Step::Mail)) {
                Some(reply) => reply,
                None => return Ok(()),
            }
        } else if upper.starts_with("RCPT TO:") {
            let to = address(&command[8..]);
            match act(script(txn, &Step::Rcpt(to.clone()))) {
                Some(reply) => {
                    if reply.starts_with("250") {
                        rcpt_to.push(to);
                    }
                    reply
                }
                None => return Ok(()),
            }
        } else if upper == "DATA" {
            if rcpt_to.is_empty() {
                "554 5.5.1 no valid recipients".to_owned()
            } else {
                send(&mut reader, "354 end data with <CR><LF>.<CR><LF>")?;
                let data = read_data(&mut reader)?;
                let data_len = data.len() as u64;
                if reader.buffer().windows(4).any(|word| word.eq_ignore_ascii_case(b"MAIL")) {
                    shared.announced.fetch_add(1, Ordering::SeqCst);
                }
                match act(script(txn, &Step::DataEnd(rcpt_to.clone()))) {
                    Some(reply) => {
                        if reply.starts_with("250") {
                            if keep {
                                shared.received.lock().unwrap().push(Received {
                                    mail_from: mail_from.clone(),
                                    rcpt_to: rcpt_to.clone(),
                                    data,
                                });
                            }
                            shared.bytes.fetch_add(data_len, Ordering::SeqCst);
                            shared.accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        reply
                    }
                    None => return Ok(()),
                }
            }
        } else if upper == "RSET" {
            rcpt_to.clear();
            "250 2.0.0 ok".to_owned()
        } else if upper == "NOOP" {
            "250 2.0.0 ok".to_owned()
        } else if upper == "QUIT" {
            send(&mut reader, "221 2.0.0 bye")?;
            return Ok(());
        } else {
            "502 5.5.2 command not implemented".to_owned()
        };
        send(&mut reader, &reply)?;
    }
}

/// Writes one reply line (or lines) and flushes it through TLS.
fn send(reader: &mut BufReader<Box<dyn Stream>>, reply: &str) -> std::io::Result<()> {
    let stream = reader.get_mut();
    stream.write_all(reply.as_bytes())?;
    stream.write_all(b"\r\n")?;
    stream.flush()
}

/// Carries out an action: `Some(reply)` to send, `None` when the connection is to be closed
/// (the caller returns, which drops the socket).
fn act(action: Action) -> Option<String> {
    match action {
        Action::Accept => Some("250 2.0.0 ok".to_owned()),
        Action::Delay(pause) => {
            thread::sleep(pause);
            Some("250 2.0.0 ok".to_owned())
        }
        Action::Reply(reply) => Some(reply),
        Action::Drop => None,
        Action::Stall(pause) => {
            thread::sleep(pause);
            None
        }
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg.split_whitespace().next().unwrap_or("");
    inner.trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn read_data(reader: &mut BufReader<Box<dyn Stream>>) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(data);
        }
        let content = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        data.extend_from_slice(content);
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let Some(value) = ALPHABET.iter().position(|c| *c == byte) else { continue };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}
