//! The SMTP relay: `[smtp]` turned into a pooled lettre `AsyncSmtpTransport` on tokio, and
//! lettre's errors sorted into transient and permanent.
//!
//! The password is read here, at send time, from the environment variable or file the config
//! names; it never appears in a log line or an error. A failure in the middle of a
//! transaction breaks that connection (lettre then closes it instead of returning it to the
//! pool), so the next message starts on a fresh one.

use std::path::Path;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Tokio1Executor};

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

/// The relay with its connection pool.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    port: u16,
}

impl std::fmt::Debug for SmtpSender {
    // Hand-written so credentials held by the transport never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("host", &self.host).field("port", &self.port).finish()
    }
}

impl SmtpSender {
    /// Builds the pooled transport; connects lazily, on the first message.
    ///
    /// # Errors
    /// [`SmtpSetupError`] when the password cannot be read or lettre refuses the settings.
    pub fn new(config: &SmtpConfig) -> Result<SmtpSender, SmtpSetupError> {
        let setup_error = |reason: String| SmtpSetupError::Transport {
            host: config.host.clone(),
            port: config.port,
            reason,
        };
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls | TlsMode::Tls => {
                let parameters = TlsParameters::new(config.host.clone())
                    .map_err(|err| setup_error(err.to_string()))?;
                if config.tls == TlsMode::Tls {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let concurrency = u32::try_from(config.concurrency).unwrap_or(u32::MAX);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(concurrency));
        if let (Some(username), Some(source)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(username.clone(), password(source)?));
        }
        Ok(SmtpSender { transport: builder.build(), host: config.host.clone(), port: config.port })
    }

    /// Connects, greets (EHLO), upgrades with STARTTLS and logs in as configured, then quits;
    /// sends nothing. Returns a one-line description of what worked.
    ///
    /// # Errors
    /// [`SmtpSetupError::Check`] with the server's reply or the network error.
    pub async fn check(&self) -> Result<String, SmtpSetupError> {
        let result = self.transport.test_connection().await;
        self.transport.shutdown().await;
        match result {
            Ok(true) => {
                Ok(format!("{}:{}: connected, greeted and logged in", self.host, self.port))
            }
            Ok(false) => Err(SmtpSetupError::Check {
                host: self.host.clone(),
                port: self.port,
                reason: "the server did not answer NOOP".to_owned(),
            }),
            Err(err) => Err(SmtpSetupError::Check {
                host: self.host.clone(),
                port: self.port,
                reason: err.to_string(),
            }),
        }
    }
}

impl Sender for SmtpSender {
    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, Failure> {
        match self.transport.send_raw(envelope, message).await {
            Ok(response) => {
                let text: Vec<&str> = response.message().collect();
                Ok(format!("{} {}", response.code(), text.join(" ")))
            }
            Err(err) => Err(classify(&err)),
        }
    }

    async fn finish(&self) {
        self.transport.shutdown().await;
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
    let mut reply = err.to_string();
    let mut source = std::error::Error::source(err);
    // lettre's message already carries its direct cause; add only what it leaves out.
    while let Some(cause) = source {
        let text = cause.to_string();
        if !reply.contains(&text) {
            reply.push_str(": ");
            reply.push_str(&text);
        }
        source = cause.source();
    }
    Failure { kind, reply }
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
