//! A local SMTP sink to try `mode = "smtp"` without a mail server:
//! `cargo run --example smtp_sink -- [PORT] [FOLDER]` (default port 2525).
//!
//! It listens on 127.0.0.1 only, accepts every message (no TLS, any login), prints one line
//! per message, and with FOLDER writes each one there as `<n>-<recipient>.eml` to open in a
//! mail client. It is the same server the tests and the send benchmark use.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|arg| arg.parse().ok()).unwrap_or(2525);
    let folder = args.next().map(std::path::PathBuf::from);
    if let Some(folder) = &folder {
        std::fs::create_dir_all(folder).expect("cannot create the folder");
    }
    let server = smtp::SmtpServer::start_on(port);
    eprintln!("SMTP sink on 127.0.0.1:{}; Ctrl-C to stop", server.port);
    let mut seen = 0;
    loop {
        let received = server.received();
        for (n, message) in received.iter().enumerate().skip(seen) {
            let text = String::from_utf8_lossy(&message.data);
            let subject = text
                .lines()
                .find_map(|line| line.strip_prefix("Subject: "))
                .unwrap_or("(no subject)");
            println!(
                "#{} from {} to {}: {} bytes, Subject: {subject}",
                n + 1,
                message.mail_from,
                message.rcpt_to.join(", "),
                message.data.len()
            );
            if let Some(folder) = &folder {
                let name = format!("{:05}-{}.eml", n + 1, message.rcpt_to.join("+"));
                std::fs::write(folder.join(name), &message.data).expect("cannot write");
            }
        }
        seen = received.len();
        std::thread::sleep(Duration::from_millis(100));
    }
}
