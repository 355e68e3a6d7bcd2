//! A small SMTP server on 127.0.0.1 for tests, the send benchmark and `examples/smtp_sink.rs`.
//!
//! It speaks enough of RFC 5321 for lettre (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA with dot
//! unstuffing, RSET, NOOP, QUIT), keeps every accepted message, and takes a script that can
//! answer any step of any transaction with another reply, a stall, a dropped connection or a
//! delay: the faults the delivery code must survive. A message counts as received only when
//! the server answers 250 to its final dot, as on a real relay.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
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
    connections: AtomicUsize,
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

    fn bind(port: u16, script: Script, keep: bool) -> SmtpServer {
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
                thread::spawn(move || {
                    let _ = session(stream, &shared, &script, keep);
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

    /// How many messages were accepted.
    pub fn count(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Bytes of the messages accepted so far.
    pub fn bytes(&self) -> u64 {
        self.shared.bytes.load(Ordering::SeqCst)
    }

    /// Connections opened so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
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

fn session(stream: TcpStream, shared: &Shared, script: &Script, keep: bool) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 localhost ESMTP newsdigest-test\r\n")?;
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
            "250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10485760"
                .to_owned()
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
            writer.write_all(b"334 VXNlcm5hbWU6\r\n")?;
            line.clear();
            reader.read_line(&mut line)?;
            let user = String::from_utf8_lossy(&decode_base64(line.trim())).into_owned();
            writer.write_all(b"334 UGFzc3dvcmQ6\r\n")?;
            line.clear();
            reader.read_line(&mut line)?;
            let password = String::from_utf8_lossy(&decode_base64(line.trim())).into_owned();
            shared.logins.lock().unwrap().push((user, password));
            "235 2.7.0 authenticated".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            txn = shared.transactions.fetch_add(1, Ordering::SeqCst) + 1;
            mail_from = address(&command[10..]);
            rcpt_to.clear();
            match act(&mut writer, script(txn, &Step::Mail))? {
                Some(reply) => reply,
                None => return Ok(()),
            }
        } else if upper.starts_with("RCPT TO:") {
            let to = address(&command[8..]);
            match act(&mut writer, script(txn, &Step::Rcpt(to.clone())))? {
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
                writer.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")?;
                let data = read_data(&mut reader)?;
                let data_len = data.len() as u64;
                match act(&mut writer, script(txn, &Step::DataEnd(rcpt_to.clone())))? {
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
            writer.write_all(b"221 2.0.0 bye\r\n")?;
            let _ = writer.shutdown(Shutdown::Both);
            return Ok(());
        } else {
            "502 5.5.2 command not implemented".to_owned()
        };
        writer.write_all(reply.as_bytes())?;
        writer.write_all(b"\r\n")?;
    }
}

/// Carries out an action: `Some(reply)` to send, `None` when the connection is to be closed.
fn act(writer: &mut TcpStream, action: Action) -> std::io::Result<Option<String>> {
    match action {
        Action::Accept => Ok(Some("250 2.0.0 ok".to_owned())),
        Action::Delay(pause) => {
            thread::sleep(pause);
            Ok(Some("250 2.0.0 ok".to_owned()))
        }
        Action::Reply(reply) => Ok(Some(reply)),
        Action::Drop => {
            let _ = writer.shutdown(Shutdown::Both);
            Ok(None)
        }
        Action::Stall(pause) => {
            thread::sleep(pause);
            let _ = writer.shutdown(Shutdown::Both);
            Ok(None)
        }
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg.split_whitespace().next().unwrap_or("");
    inner.trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn read_data(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
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
