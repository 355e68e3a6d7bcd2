//! The SMTP relay: `[smtp]` turned into lettre SMTP connections on tokio, pooled and reused
//! across messages, and lettre's errors sorted into transient and permanent.
//!
//! The password is read here, at send time, from the environment variable or file the config
//! names; it never appears in a log line or an error. A failure or a timeout in the middle of
//! a transaction drops that connection instead of returning it to the pool, so a poisoned
//! session never fails the next message: it starts on a fresh one.
//!
//! A run's sessions each keep their own connection (a lane, [`Sender::send_on`]); on it the
//! next message's MAIL, RCPT and DATA are written with the content before it (RFC 2920), and
//! the lane remembers that envelope, so the next message only reads their replies. A lane
//! whose announced message does not come is closed in the middle of that transaction,
//! never finished: the relay drops it.

use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use rustls::pki_types::ServerName;

use super::{Failure, FailureKind, Sender};
use crate::config::{PasswordSource, SmtpConfig, TlsMode};

/// Why the relay could not be set up or reached.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    /// The password variable is not set.
    #[error("the SMTP password variable `{0}` is not set (smtp.password_env)")]
    PasswordEnvMissing(String),
    /// The password file cannot be read.
    #[error("cannot read the SMTP password file `{path}` (smtp.password_file): {reason}")]
    PasswordFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// lettre refused the settings.
    #[error("cannot set up SMTP to {host}:{port}: {reason}")]
    Transport {
        /// The relay.
        host: String,
        /// Its port.
        port: u16,
        /// Why.
        reason: String,
    },
    /// `check --smtp` could not connect, greet or log in.
    #[error("SMTP check of {host}:{port} failed: {reason}")]
    Check {
        /// The relay.
        host: String,
        /// Its port.
        port: u16,
        /// Why.
        reason: String,
    },
}

/// The relay, with a pool of idle connections reused across messages.
///
/// The pool is ours rather than lettre's `AsyncSmtpTransport` for one reason: lettre 0.11.23
/// leaves Nagle's algorithm on, and it writes a message's final `.` in a write of its own,
/// which then waits for the relay's delayed ACK: 40 ms a message on Linux, whatever the
/// network (lettre/lettre#1159, merged upstream but not released). Our connections set
/// `TCP_NODELAY`; see `benches/send.rs` for the difference. For implicit TLS (`tls = "tls"`)
/// we also do the handshake ourselves (tokio-rustls, webpki roots plus `ca_file`) and hand
/// lettre the encrypted stream; STARTTLS upgrades go through lettre.
#[derive(Clone)]
pub struct SmtpSender {
    inner: Arc<Relay>,
}

struct Relay {
    host: String,
    port: u16,
    tls: TlsMode,
    parameters: Option<TlsParameters>,
    /// For implicit TLS: our own handshake over a TCP_NODELAY connection.
    connector: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    max_idle: usize,
    idle: Mutex<Vec<(Session, Instant)>>,
    /// One connection per sending session of a run, for [`Sender::send_on`].
    lanes: Vec<Mutex<Lane>>,
}

/// A run's sending session's connection, and the envelope already written on it whose
/// replies are not read yet (its MAIL, RCPT and DATA went with the previous message's
/// content, RFC 2920).
#[derive(Default)]
struct Lane {
    held: Option<(Session, Instant)>,
    announced: Option<Envelope>,
}

/// A connection to the relay, and whether the relay takes pipelined commands (RFC 2920).
struct Session {
    conn: AsyncSmtpConnection,
    pipelining: bool,
}

/// Idle connections older than this are closed rather than reused: relays drop idle clients.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

impl std::fmt::Debug for SmtpSender {
    // Hand-written so the credentials never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("host", &self.inner.host)
            .field("port", &self.inner.port)
            .field("tls", &self.inner.tls)
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Sets up the relay; connects lazily, on the first message.
    ///
    /// # Errors
    /// [`SmtpSetupError`] when the password cannot be read or the TLS settings are refused.
    pub fn new(config: &SmtpConfig) -> Result<SmtpSender, SmtpSetupError> {
        let setup_error = |reason: String| SmtpSetupError::Transport {
            host: config.host.clone(),
            port: config.port,
            reason,
        };
        let parameters = match config.tls {
            TlsMode::None | TlsMode::Tls => None,
            TlsMode::Starttls => {
                let mut builder = TlsParameters::builder(config.host.clone());
                if let Some(ca_file) = &config.ca_file {
                    let pem = std::fs::read(ca_file).map_err(|err| {
                        setup_error(format!(
                            "cannot read smtp.ca_file `{}`: {err}",
                            ca_file.display()
                        ))
                    })?;
                    let certificate = Certificate::from_pem(&pem).map_err(|err| {
                        setup_error(format!(
                            "smtp.ca_file `{}` holds no PEM certificate: {err}",
                            ca_file.display()
                        ))
                    })?;
                    builder = builder.add_root_certificate(certificate);
                }
                Some(builder.build().map_err(|err| setup_error(err.to_string()))?)
            }
        };
        let connector = match config.tls {
            TlsMode::Tls => Some(implicit_tls_connector(config).map_err(setup_error)?),
            TlsMode::Starttls | TlsMode::None => None,
        };
        let credentials = match (&config.username, &config.password) {
            (Some(username), Some(source)) => {
                Some(Credentials::new(username.clone(), password(source)?))
            }
            _ => None,
        };
        Ok(SmtpSender {
            inner: Arc::new(Relay {
                host: config.host.clone(),
                port: config.port,
                tls: config.tls,
                parameters,
                connector,
                credentials,
                timeout: config.timeout,
                hello: ClientId::default(),
                max_idle: config.concurrency,
                idle: Mutex::new(Vec::new()),
                lanes: (0..config.concurrency.max(1)).map(|_| Mutex::default()).collect(),
            }),
        })
    }

    /// Connects, greets (EHLO), upgrades with STARTTLS and logs in as configured, then quits;
    /// sends nothing. Returns a one-line description of what worked.
    ///
    /// # Errors
    /// [`SmtpSetupError::Check`] with the server's reply or the network error.
    pub async fn check(&self) -> Result<String, SmtpSetupError> {
        let relay = &self.inner;
        let check_error = |reason: String| SmtpSetupError::Check {
            host: relay.host.clone(),
            port: relay.port,
            reason,
        };
        let Session { mut conn, .. } =
            relay.connect().await.map_err(|failure| check_error(failure.reply))?;
        let alive = conn.test_connected().await;
        let _ = conn.quit().await;
        if !alive {
            return Err(check_error("the server did not answer NOOP".to_owned()));
        }
        let mut done = vec!["connected", "greeted"];
        if relay.tls == TlsMode::Starttls {
            done.push("upgraded with STARTTLS");
        }
        if relay.credentials.is_some() {
            done.push("logged in");
        }
        let last = done.pop().unwrap_or_default();
        Ok(format!("{}:{}: {} and {last}", relay.host, relay.port, done.join(", ")))
    }
}

impl Relay {
    /// A new connection: TCP with `TCP_NODELAY`, greeting, EHLO, STARTTLS and AUTH as
    /// configured, all within the timeout.
    async fn connect(&self) -> Result<Session, Failure> {
        let transient = |reply: String| Failure { kind: FailureKind::Transient, reply };
        let connecting = async {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|err| {
                    transient(format!("cannot connect to {}:{}: {err}", self.host, self.port))
                })?;
            stream.set_nodelay(true).map_err(|err| transient(err.to_string()))?;
            let mut conn = match (&self.connector, self.tls) {
                (Some((connector, server_name)), _) => {
                    let tls =
                        connector.connect(server_name.clone(), stream).await.map_err(|err| {
                            transient(format!(
                                "TLS handshake with {}:{} failed: {err}",
                                self.host, self.port
                            ))
                        })?;
                    AsyncSmtpConnection::connect_with_transport(
                        Box::new(ImplicitTls(tls)),
                        &self.hello,
                    )
                    .await
                    .map_err(|err| classify(&err))?
                }
                _ => {
                    let mut conn =
                        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                            .await
                            .map_err(|err| classify(&err))?;
                    if let (TlsMode::Starttls, Some(parameters)) = (self.tls, &self.parameters) {
                        if !conn.can_starttls() {
                            return Err(Failure {
                                kind: FailureKind::Permanent,
                                reply: format!(
                                    "{}:{} does not offer STARTTLS; use `tls = \"tls\"` for port 465, or `none` for a trusted local relay",
                                    self.host, self.port
                                ),
                            });
                        }
                        conn.starttls(parameters.clone(), &self.hello)
                            .await
                            .map_err(|err| classify(&err))?;
                    }
                    conn
                }
            };
            // lettre keeps only the EHLO keywords it knows, and PIPELINING is not one: ask
            // again (RFC 5321 allows a second EHLO; it resets no login, which comes next).
            let ehlo = conn.command(Ehlo::new(self.hello.clone())).await;
            let pipelining = ehlo.is_ok_and(|reply| {
                reply.message().any(|line| line.trim().eq_ignore_ascii_case("PIPELINING"))
            });
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(|err| classify(&err))?;
            }
            Ok(Session { conn, pipelining })
        };
        match tokio::time::timeout(self.timeout, connecting).await {
            Ok(result) => result,
            Err(_) => Err(transient(format!(
                "timed out after {:?} connecting to {}:{}",
                self.timeout, self.host, self.port
            ))),
        }
    }

    fn take_idle(&self) -> Option<Session> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((session, since)) = idle.pop() {
            if !session.conn.has_broken() && since.elapsed() < MAX_IDLE_AGE {
                return Some(session);
            }
        }
        None
    }

    /// A transaction's reply as the ledger records it, its error sorted, or a timeout.
    async fn within_timeout(
        &self,
        sending: impl Future<Output = Result<Response, lettre::transport::smtp::Error>>,
    ) -> Result<String, Failure> {
        match tokio::time::timeout(self.timeout, sending).await {
            Ok(Ok(response)) => {
                let text: Vec<&str> = response.message().collect();
                Ok(format!("{} {}", response.code(), text.join(" ")))
            }
            Ok(Err(err)) => Err(classify(&err)),
            Err(_) => Err(Failure {
                kind: FailureKind::Transient,
                reply: format!(
                    "timed out after {:?} waiting for {}:{}",
                    self.timeout, self.host, self.port
                ),
            }),
        }
    }

    fn put_idle(&self, conn: Session) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push((conn, Instant::now()));
        }
    }
}

impl Sender for SmtpSender {
    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, Failure> {
        let relay = &self.inner;
        let mut conn = match relay.take_idle() {
            Some(conn) => conn,
            None => relay.connect().await?,
        };
        let sent = relay.within_timeout(transact(&mut conn, envelope, message, false, None)).await;
        if sent.is_ok() {
            relay.put_idle(conn);
        }
        // lettre marks the connection broken on any error; it is dropped, never reused.
        sent
    }

    async fn send_on(
        &self,
        lane: usize,
        envelope: &Envelope,
        message: &[u8],
        next: Option<(&Envelope, &[u8])>,
    ) -> Result<String, Failure> {
        let relay = &self.inner;
        let Some(slot) = relay.lanes.get(lane) else { return self.send(envelope, message).await };
        let Lane { held, announced } = match slot.lock() {
            Ok(mut lane) => std::mem::take(&mut *lane),
            Err(_) => Lane::default(),
        };
        // A connection whose announced envelope is not this message's is in the middle of
        // another transaction (its message was not sent after all): it is dropped.
        let (mut session, announced) = match held {
            Some((session, since))
                if !session.conn.has_broken()
                    && since.elapsed() < MAX_IDLE_AGE
                    && announced.as_ref().is_none_or(|announced| announced == envelope) =>
            {
                (session, announced.is_some())
            }
            _ => (relay.connect().await?, false),
        };
        // Only a message that takes the fast path in `transact` is announced.
        let next = next
            .filter(|(next, message)| {
                session.pipelining && ascii_envelope(next) && message.is_ascii()
            })
            .map(|(next, _)| next);
        let sending = transact(&mut session, envelope, message, announced, next);
        let sent = relay.within_timeout(sending).await;
        // On a failure the connection is dropped: the lane starts afresh.
        if sent.is_ok()
            && let Ok(mut lane) = slot.lock()
        {
            *lane = Lane { held: Some((session, Instant::now())), announced: next.cloned() };
        }
        sent
    }

    async fn finish(&self) {
        let mut idle: Vec<_> = match self.inner.idle.lock() {
            Ok(mut idle) => idle.drain(..).map(|(session, _)| session).collect(),
            Err(_) => Vec::new(),
        };
        for lane in &self.inner.lanes {
            let Ok(mut lane) = lane.lock() else { continue };
            let Lane { held, announced } = std::mem::take(&mut *lane);
            // One with an envelope announced is in the middle of a transaction whose message
            // is not coming: closing it makes the relay drop the transaction.
            if let (Some((session, _)), None) = (held, announced) {
                idle.push(session);
            }
        }
        for mut session in idle {
            let _ = session.conn.quit().await;
        }
    }
}

/// One mail transaction on `session`: MAIL, RCPT and DATA, then the content.
///
/// lettre's `send` passes the content through its dot-stuffing codec a byte at a time, which
/// was the largest cost of sending a 35 KB digest, and waits for each command's reply. An
/// ASCII message (every message the composer builds without DKIM) is dot-stuffed here with
/// memchr's SIMD search and written in one piece with the terminating `CRLF.CRLF`, byte for
/// byte what lettre writes; to a relay that offers PIPELINING, MAIL, RCPT and DATA go in one
/// write and their replies are read after it (RFC 2920), two round trips a message instead
/// of four. Anything else goes through lettre's `send`.
///
/// `announced`: this envelope's commands were already written after the previous message's
/// content, so only their replies are read. `next`: the next message's envelope is written
/// right after this content, in the same write (RFC 2920 lets message content begin a
/// pipelined group), and its replies are left for that message: one round trip a message.
/// Only the reply to this message's content is read here.
async fn transact(
    session: &mut Session,
    envelope: &Envelope,
    message: &[u8],
    announced: bool,
    next: Option<&Envelope>,
) -> Result<Response, lettre::transport::smtp::Error> {
    let conn = &mut session.conn;
    let text = match std::str::from_utf8(message) {
        Ok(text) if text.is_ascii() && ascii_envelope(envelope) => text,
        // Never announced (see `send_on`): lettre writes its own MAIL, RCPT and DATA.
        _ => return conn.send(envelope, message).await,
    };
    if session.pipelining {
        // The reply to MAIL, then one to each RCPT and the one to DATA; the first refusal
        // ends the transaction, and the caller drops the connection with the rest unread.
        if announced {
            conn.read_response().await?;
        } else {
            conn.command(Pipelined(envelope)).await?;
        }
        for _ in envelope.to() {
            conn.read_response().await?;
        }
        conn.read_response().await?;
    } else {
        conn.command(Mail::new(envelope.from().cloned(), Vec::new())).await?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), Vec::new())).await?;
        }
        conn.command(Data).await?;
    }
    match next {
        Some(next) if session.pipelining => conn.command(ContentThen(text, next)).await,
        _ => conn.command(Content(text)).await,
    }
}

/// A message's content, then the next message's MAIL, RCPT and DATA: one pipelined group.
struct ContentThen<'a>(&'a str, &'a Envelope);

impl std::fmt::Display for ContentThen<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", Content(self.0), Pipelined(self.1))
    }
}

/// MAIL, each RCPT and DATA as one pipelined group (RFC 2920).
struct Pipelined<'a>(&'a Envelope);

impl std::fmt::Display for Pipelined<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", Mail::new(self.0.from().cloned(), Vec::new()))?;
        for to in self.0.to() {
            write!(f, "{}", Rcpt::new(to.clone(), Vec::new()))?;
        }
        write!(f, "{Data}")
    }
}

/// True when no address of the envelope needs SMTPUTF8.
fn ascii_envelope(envelope: &Envelope) -> bool {
    let ascii = |address: &lettre::Address| AsRef::<str>::as_ref(address).is_ascii();
    envelope.from().is_none_or(ascii) && envelope.to().iter().all(ascii)
}

/// Message content as sent after DATA: a `.` doubled at the start of every line, then
/// `CRLF.CRLF` (RFC 5321, 4.5.2), as lettre's codec writes it.
struct Content<'a>(&'a str);

impl std::fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Line starts with a dot are found by memchr's SIMD search; the text between them is
        // written in one piece.
        let text = self.0;
        if text.starts_with('.') {
            f.write_str(".")?;
        }
        let mut start = 0;
        for at in memchr::memmem::find_iter(text.as_bytes(), b"\n.") {
            // `at + 1` is the dot, after an ASCII byte: a char boundary.
            f.write_str(&text[start..=at])?;
            f.write_str(".")?;
            start = at + 1;
        }
        f.write_str(&text[start..])?;
        f.write_str("\r\n.\r\n")
    }
}

/// The TLS client for implicit TLS: the public roots (webpki-roots, as lettre uses) plus
/// `ca_file`, and the host name to verify.
fn implicit_tls_connector(
    config: &SmtpConfig,
) -> Result<(tokio_rustls::TlsConnector, ServerName<'static>), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(ca_file) = &config.ca_file {
        let pem = std::fs::read(ca_file)
            .map_err(|err| format!("cannot read smtp.ca_file `{}`: {err}", ca_file.display()))?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|err| {
                format!("smtp.ca_file `{}` holds no PEM certificate: {err}", ca_file.display())
            })?;
            roots.add(cert).map_err(|err| {
                format!("smtp.ca_file `{}`: a certificate is not usable: {err}", ca_file.display())
            })?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| err.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let server_name = ServerName::try_from(config.host.clone())
        .map_err(|err| format!("`{}` is not a host name for TLS: {err}", config.host))?;
    Ok((tokio_rustls::TlsConnector::from(Arc::new(tls)), server_name))
}

/// A TLS session over our own TCP connection, handed to lettre as its stream: lettre's own
/// implicit-TLS connect leaves Nagle's algorithm on.
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<tokio::net::TcpStream>);

impl tokio::io::AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

/// Sorts a lettre error: a 5xx reply or a message the client refuses to send is permanent;
/// 4xx replies, timeouts, refused or reset connections and TLS trouble are transient.
fn classify(err: &lettre::transport::smtp::Error) -> Failure {
    let kind = if err.is_permanent() || err.is_client() {
        FailureKind::Permanent
    } else {
        FailureKind::Transient
    };
    // lettre's message already carries its direct cause; the chain adds only what it leaves out.
    Failure { kind, reply: crate::text::error_chain(err) }
}

fn password(source: &PasswordSource) -> Result<String, SmtpSetupError> {
    match source {
        PasswordSource::Env(name) => std::env::var(name)
            .ok()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| SmtpSetupError::PasswordEnvMissing(name.clone())),
        PasswordSource::File(path) => read_password_file(path),
    }
}

fn read_password_file(path: &Path) -> Result<String, SmtpSetupError> {
    let text = std::fs::read_to_string(path).map_err(|err| SmtpSetupError::PasswordFile {
        path: path.display().to_string(),
        reason: err.to_string(),
    })?;
    let first = text.lines().next().unwrap_or("").trim_end_matches('\r').to_owned();
    if first.is_empty() {
        return Err(SmtpSetupError::PasswordFile {
            path: path.display().to_string(),
            reason: "the first line is empty".to_owned(),
        });
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_dot_stuffed_and_terminated_as_lettre_writes_it() {
        assert_eq!(Content("a\r\nb").to_string(), "a\r\nb\r\n.\r\n");
        assert_eq!(
            Content(".x\r\n.\r\n..y\r\nz.\r\n").to_string(),
            "..x\r\n..\r\n...y\r\nz.\r\n\r\n.\r\n"
        );
        assert_eq!(Content("").to_string(), "\r\n.\r\n");
    }

    #[test]
    fn password_file_takes_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\r\nignored\n").unwrap();
        assert_eq!(read_password_file(&path).unwrap(), "s3cret");
        std::fs::write(&path, "\n").unwrap();
        let err = read_password_file(&path).unwrap_err().to_string();
        assert!(err.ends_with("the first line is empty"), "{err}");
        assert!(!err.contains("s3cret"));
    }

    #[test]
    fn a_missing_password_variable_is_named() {
        let source = PasswordSource::Env("NEWSDIGEST_TEST_UNSET_PASSWORD".to_owned());
        assert_eq!(
            password(&source).unwrap_err().to_string(),
            "the SMTP password variable `NEWSDIGEST_TEST_UNSET_PASSWORD` is not set (smtp.password_env)"
        );
    }
}
