//! Amazon SNS messages, how SES delivers bounce and complaint notifications to a webhook: the
//! canonical string SNS signs, the check of the signing certificate's address (https, on
//! `sns.<region>.amazonaws.com` of the topic's region), and the signature (SignatureVersion 2,
//! RSA with SHA-256; version 1's SHA-1 is refused). No I/O: fetching the certificate is the
//! caller's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The fields SNS signs, in its order, for each message type.
fn signed_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Notification" => &["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
        _ => &["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
    }
}

/// The string SNS signed for `message`: each present field's name and value, one a line.
pub fn string_to_sign(message: &Value) -> Option<String> {
    let kind = message.get("Type")?.as_str()?;
    let mut out = String::new();
    for name in signed_fields(kind) {
        if let Some(value) = message.get(*name).and_then(Value::as_str) {
            out.push_str(name);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        }
    }
    Some(out)
}

/// The region of a topic ARN (`arn:aws:sns:eu-west-1:123456789012:name`).
pub fn region_of(topic_arn: &str) -> Option<&str> {
    let mut parts = topic_arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    let _partition = parts.next()?;
    (parts.next()? == "sns").then_some(())?;
    parts.next().filter(|region| {
        !region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Whether `url` is where SNS keeps its signing certificates for `region` (or, for a
/// subscription confirmation, its API): https, the exact host, no user or port.
pub fn sns_url_ok(url: &str, region: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else { return false };
    parsed.scheme() == "https"
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.port().is_none()
        && parsed.host_str().is_some_and(|host| {
            host == format!("sns.{region}.amazonaws.com")
                || host == format!("sns.{region}.amazonaws.com.cn")
        })
}

/// Whether `message` carries a valid SignatureVersion 2 signature by the certificate
/// `cert_pem`.
pub fn signature_ok(message: &Value, cert_pem: &[u8]) -> bool {
    if message.get("SignatureVersion").and_then(Value::as_str) != Some("2") {
        return false;
    }
    let (Some(text), Some(signature)) = (
        string_to_sign(message),
        message.get("Signature").and_then(Value::as_str).and_then(|s| STANDARD.decode(s).ok()),
    ) else {
        return false;
    };
    let Some(der) = pem_certificate(cert_pem) else { return false };
    let der = rustls::pki_types::CertificateDer::from(der);
    let Ok(cert) = webpki::EndEntityCert::try_from(&der) else { return false };
    cert.verify_signature(webpki::ring::RSA_PKCS1_2048_8192_SHA256, text.as_bytes(), &signature)
        .is_ok()
}

/// The DER bytes of the first certificate in a PEM file.
fn pem_certificate(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + text[start..].find("-----END CERTIFICATE-----")?;
    let body: String = text[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/sns/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn signatures_certificate_urls_and_regions() {
        let cert = fixture("test-cert.pem");
        for name in ["bounce-notification.json", "subscription-confirmation.json"] {
            let message: Value = serde_json::from_slice(&fixture(name)).unwrap();
            assert!(signature_ok(&message, &cert), "{name}");
            let mut changed = message.clone();
            changed["Message"] = Value::from("something else");
            assert!(!signature_ok(&changed, &cert), "{name} changed");
            let mut v1 = message.clone();
            v1["SignatureVersion"] = Value::from("1");
            assert!(!signature_ok(&v1, &cert), "SHA-1 signatures are refused");
        }
        assert!(!signature_ok(&Value::Null, &cert));
        assert!(!signature_ok(
            &serde_json::from_slice(&fixture("bounce-notification.json")).unwrap(),
            b"not a pem"
        ));

        assert_eq!(region_of("arn:aws:sns:eu-west-1:123456789012:ses"), Some("eu-west-1"));
        assert_eq!(region_of("arn:aws:sqs:eu-west-1:1:x"), None);
        assert!(sns_url_ok(
            "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "eu-west-1"
        ));
        for bad in [
            "http://sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.pem",
            "https://user@sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.eu-west-1.amazonaws.com:8443/x.pem",
        ] {
            assert!(!sns_url_ok(bad, "eu-west-1"), "{bad}");
        }
    }
}
