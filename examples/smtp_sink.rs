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
    // Messages are taken as they come, never kept: a sink left running under a long list
    // once held every message and was killed for memory after 325,000 of 36 KB.
    let mut seen = 0;
    loop {
        for message in server.take_received() {
            seen += 1;
            let text = String::from_utf8_lossy(&message.data);
            let subject = text
                .lines()
                .find_map(|line| line.strip_prefix("Subject: "))
                .unwrap_or("(no subject)");
            println!(
                "#{seen} from {} to {}: {} bytes, Subject: {subject}",
                message.mail_from,
                message.rcpt_to.join(", "),
                message.data.len()
            );
            if let Some(folder) = &folder {
                let name = format!("{seen:05}-{}.eml", message.rcpt_to.join("+"));
                std::fs::write(folder.join(name), &message.data).expect("cannot write");
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
