//! Where a fetch may go: the address checks that keep links found in feeds and pages (and
//! every redirect) away from the operator's own network.
//!
//! A URL written by the operator in `[[sources]]` is trusted as written; anything learnt from
//! content is not. An untrusted destination must be http or https and must not resolve to a
//! loopback, private, link-local, CGNAT, multicast, unspecified, broadcast or otherwise
//! reserved address, unless `[fetch] allow_private` names its network or host. The check is
//! made on the addresses the connection will actually use: [`GuardedResolver`] resolves the
//! name once, drops the refused addresses and hands the rest to the connector, so a second
//! DNS answer (rebinding) can never swap them after the check. This module does no I/O
//! beyond that one name resolution.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use crate::config::AllowedPrivate;

/// A destination refused by the address checks; it travels through reqwest's error chain
/// so the fetch can be reported as `blocked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked(pub String);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Blocked {}

/// The operator's exceptions to the address checks (`[fetch] allow_private`).
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<AllowedPrivate>,
}

impl AddressPolicy {
    /// A policy with these exceptions.
    pub fn new(allowed: &[AllowedPrivate]) -> AddressPolicy {
        AddressPolicy { allowed: allowed.to_vec() }
    }

    /// True when the operator opted this host name back in.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.allowed
            .iter()
            .any(|allowed| matches!(allowed, AllowedPrivate::Host(name) if *name == host))
    }

    /// Why a connection to `ip` is refused, or `None` when it may go ahead.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let kind = special_kind(ip)?;
        let opted_in = self.allowed.iter().any(|allowed| {
            matches!(allowed, AllowedPrivate::Network { .. }) && allowed.contains(ip)
        });
        (!opted_in).then_some(kind)
    }

    /// Checks a URL found in content (or a redirect) before anything is sent: the scheme,
    /// and the address when the host is an IP literal (which no resolver sees).
    ///
    /// # Errors
    /// [`Blocked`] with the reason.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Blocked> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Blocked(format!(
                "`{}:` links are not fetched, only http and https",
                url.scheme()
            )));
        }
        let Some(host) = url.host_str() else {
            return Err(Blocked("the URL has no host".to_owned()));
        };
        // The URL parser has already normalised literals (`2130706433` → `127.0.0.1`).
        let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() else {
            return Ok(());
        };
        match self.refusal(ip) {
            Some(kind) => Err(Blocked(format!(
                "{ip} is a {kind} address; links from feeds and pages may not reach it \
                 (add it to fetch.allow_private to allow it)"
            ))),
            None => Ok(()),
        }
    }
}

/// The kind of a special-purpose address, or `None` for a public one.
pub fn special_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => special_v4(ip),
        IpAddr::V6(ip) => special_v6(ip),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = if ip.is_unspecified() || a == 0 {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() {
        "private"
    } else if ip.is_link_local() {
        "link-local"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (CGNAT)"
    } else if ip.is_broadcast() {
        "broadcast"
    } else if ip.is_multicast() {
        "multicast"
    } else if a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && (18..20).contains(&b)) {
        "reserved"
    } else if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        "documentation"
    } else {
        return None;
    };
    Some(kind)
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // Addresses that carry an IPv4 address are judged by it: mapped (::ffff:a.b.c.d),
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return special_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return special_v4(embedded_v4(segments[1], segments[2]));
    }
    let kind = if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if segments[0] & 0xfe00 == 0xfc00 {
        "private (unique local)"
    } else if segments[0] & 0xffc0 == 0xfe80 || segments[0] & 0xffc0 == 0xfec0 {
        "link-local"
    } else if ip.is_multicast() {
        "multicast"
    } else if segments[..6] == [0, 0, 0, 0, 0, 0] {
        // The deprecated IPv4-compatible form, ::a.b.c.d.
        return special_v4(embedded_v4(segments[6], segments[7])).or(Some("reserved"));
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        "documentation"
    } else {
        return None;
    };
    Some(kind)
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// The resolver of the untrusted client: resolves once, keeps only the addresses the policy
/// allows, and fails with [`Blocked`] when none is left.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl GuardedResolver {
    /// A resolver applying `policy`.
    pub fn new(policy: Arc<AddressPolicy>) -> GuardedResolver {
        GuardedResolver { policy }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|err| -> Box<dyn std::error::Error + Send + Sync> {
                    Box::new(std::io::Error::other(format!(
                        "dns error: failed to lookup address for {host}: {err}"
                    )))
                })?
                .collect();
            let addrs = allowed_addrs(&policy, &host, found)?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The addresses of `host` a connection may use, or why there are none.
fn allowed_addrs(
    policy: &AddressPolicy,
    host: &str,
    found: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, Blocked> {
    if policy.host_allowed(host) {
        return Ok(found);
    }
    let mut refused = None;
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|addr| match policy.refusal(addr.ip()) {
            Some(kind) => {
                refused.get_or_insert((addr.ip(), kind));
                false
            }
            None => true,
        })
        .collect();
    match (allowed.is_empty(), refused) {
        (true, Some((ip, kind))) => Err(Blocked(format!(
            "{host} resolves to {ip}, a {kind} address; links from feeds and pages may not \
             reach it (add the host or network to fetch.allow_private to allow it)"
        ))),
        _ => Ok(allowed),
    }
}

/// The [`Blocked`] refusal somewhere in an error's chain, if any.
pub fn blocked_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Blocked> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(blocked) = cause.downcast_ref::<Blocked>() {
            return Some(blocked);
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn special_addresses_are_refused_and_public_ones_pass() {
        let policy = AddressPolicy::default();
        for (addr, kind) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::a00:1", "private"),
            ("2002:7f00:1::", "loopback"),
        ] {
            assert_eq!(policy.refusal(ip(addr)), Some(kind), "{addr}");
        }
        for addr in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"] {
            assert_eq!(policy.refusal(ip(addr)), None, "{addr}");
        }
    }

    #[test]
    fn allowed_networks_and_hosts_opt_back_in() {
        let policy = AddressPolicy::new(&[
            AllowedPrivate::parse("10.0.0.0/8").unwrap(),
            AllowedPrivate::parse("intranet.example.org").unwrap(),
        ]);
        assert_eq!(policy.refusal(ip("10.9.8.7")), None);
        assert_eq!(policy.refusal(ip("192.168.1.1")), Some("private"));
        assert!(policy.host_allowed("Intranet.Example.org."));
        let found = vec!["127.0.0.1:0".parse().unwrap()];
        assert_eq!(
            allowed_addrs(&policy, "intranet.example.org", found.clone()),
            Ok(found.clone())
        );
        let err = allowed_addrs(&policy, "evil.example.com", found).unwrap_err();
        assert!(err.0.starts_with("evil.example.com resolves to 127.0.0.1, a loopback address"));
    }

    #[test]
    fn only_the_refused_addresses_of_a_name_are_dropped() {
        let policy = AddressPolicy::default();
        let found = vec!["127.0.0.1:0".parse().unwrap(), "93.184.216.34:0".parse().unwrap()];
        assert_eq!(
            allowed_addrs(&policy, "mixed.example.com", found),
            Ok(vec!["93.184.216.34:0".parse().unwrap()])
        );
    }

    #[test]
    fn urls_are_checked_for_scheme_and_literal_addresses() {
        let policy = AddressPolicy::default();
        let check = |text: &str| policy.check_url(&reqwest::Url::parse(text).unwrap());
        assert!(check("https://news.example.com/a").is_ok());
        assert!(check("http://93.184.216.34/").is_ok());
        assert!(check("file:///etc/passwd").unwrap_err().0.contains("`file:` links"));
        assert!(check("http://127.0.0.1:18080/admin").unwrap_err().0.contains("loopback"));
        assert!(check("http://[::1]/").unwrap_err().0.contains("loopback"));
        assert!(check("http://169.254.169.254/latest/meta-data/").is_err());
        assert!(check("http://2130706433/").is_err(), "a decimal IPv4 literal");
    }
}
