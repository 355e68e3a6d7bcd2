//! `application/x-www-form-urlencoded` bodies as name and value pairs, repeated names kept
//! (checkbox groups send `topic=a&topic=b`, which serde's form decoding cannot hold). No I/O.

/// The pairs of a form body, in order; a malformed percent escape stands as written.
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&byte| byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            (decode(name), decode(value))
        })
        .collect()
}

/// The first value of `name`.
pub fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// Every value of `name`.
pub fn all<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
}

fn decode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(at + 1..at + 3).and_then(|hex| std::str::from_utf8(hex).ok());
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        at += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_escapes_and_junk() {
        let form = pairs(
            b"email=ana%40example.org&name=Ana+Pereira&topic=climate&topic=health&x&bad=%zz%4",
        );
        assert_eq!(first(&form, "email"), Some("ana@example.org"));
        assert_eq!(first(&form, "name"), Some("Ana Pereira"));
        assert_eq!(all(&form, "topic"), ["climate", "health"]);
        assert_eq!(first(&form, "x"), Some(""));
        assert_eq!(first(&form, "bad"), Some("%zz%4"));
        assert_eq!(first(&form, "nope"), None);
        assert_eq!(first(&pairs("caf%C3%A9=%FF".as_bytes()), "café"), Some("\u{FFFD}"));
    }
}
