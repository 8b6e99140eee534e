//! The client's address, computed once per request and read by everyone who needs it: rate
//! limits, password guesses, country rules, unique visitors, reports.
//!
//! It is the socket's peer, unless that peer is one of `TRUSTED_PROXIES` (addresses, CIDR
//! ranges, or the keyword `private`): then the forwarded header is walked from the right, past
//! every hop that is itself trusted, and the first hop that is not is the client. A header sent by
//! anyone else is ignored, so a visitor cannot pick their own country, visitor id or rate-limit
//! bucket. Only one forwarded header is read (`FORWARDED_HEADER`): a proxy that appends to one
//! passes the other through as the client wrote it.
//!
//! The address is handed to analytics in events (which keeps only a salted hash) and is never
//! logged.
//!
//! Calls one service makes to another carry the address on: in-process as this request
//! extension, over HTTP as `X-Forwarded-For` (which the callee believes only if the caller is one
//! of its own trusted proxies, as in split mode on a private network).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

/// The client's address as [`resolve`] computed it; `None` only for in-process calls made
/// outside any request (background jobs, tests without a connection).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(of(parts))
    }
}

/// The address [`resolve`] left on a request.
pub fn of(parts: &Parts) -> ClientAddr {
    parts
        .extensions
        .get::<ClientAddr>()
        .copied()
        .unwrap_or_default()
}

/// Which header a trusted proxy names the client in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, Railway, Render, Heroku, Fly, most CDNs).
    #[default]
    #[value(name = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
    Forwarded,
}

/// The proxies whose forwarded header is believed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Arc<[IpNet]>);

/// What `private` stands for: the ranges a platform's own proxies and a compose network use,
/// never a public client's. Loopback, RFC 1918, carrier-grade NAT (RFC 6598, used by some
/// platforms' internal networks), link-local, and IPv6 unique-local and link-local.
const PRIVATE_RANGES: [&str; 9] = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

impl TrustedProxies {
    /// Parses a comma-separated list of addresses, CIDR ranges and the keyword `private`.
    pub fn parse(raw: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item.eq_ignore_ascii_case("private") {
                nets.extend(
                    PRIVATE_RANGES
                        .iter()
                        .map(|r| r.parse::<IpNet>().expect("valid")),
                );
                continue;
            }
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => item.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("'{item}' is not an IP address, a CIDR range (10.0.0.0/8) or 'private'")
                })?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(ToString::to_string))
            .finish()
    }
}

/// How this process finds its clients' addresses.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub trusted: TrustedProxies,
    pub header: ForwardedHeader,
}

impl Policy {
    /// The client behind a connection from `peer` that sent `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusted.contains(peer) {
            return peer;
        }
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
            ForwardedHeader::Forwarded => forwarded_for(headers),
        };
        // Right to left: each hop was written by the one after it. The first hop we cannot read
        // (`unknown`, an obfuscated name, garbage) ends the walk: nothing left of it is vouched for.
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(ip) = hop.map(|ip| ip.to_canonical()) else {
                break;
            };
            client = ip;
            if !self.trusted.contains(ip) {
                break;
            }
        }
        client
    }
}

/// Puts the request's [`ClientAddr`] in its extensions (the standard stack runs it first). A
/// request with no connection is an in-process call: it keeps the address its caller set (or
/// none).
pub fn resolve(policy: &Policy, request: &mut Request) {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let client = policy.client(peer.ip(), request.headers());
        request.extensions_mut().insert(ClientAddr(Some(client)));
    }
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    header_values(headers, "x-forwarded-for")
        .map(|hop| parse_hop(hop.trim()))
        .collect()
}

/// The `for=` of each element of RFC 7239 `Forwarded` headers (an element without one counts as
/// unreadable).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    header_values(headers, "forwarded")
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| parse_hop(value.trim().trim_matches('"')))
        })
        .collect()
}

/// One hop: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trusted: &str, header: ForwardedHeader) -> Policy {
        Policy {
            trusted: TrustedProxies::parse(trusted).unwrap(),
            header,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_spoof_their_address() {
        let p = policy("", ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(p.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        let p = policy("10.0.0.0/8", ForwardedHeader::XForwardedFor);
        assert_eq!(p.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_ranges_pass_the_client_on_and_skip_inner_proxies() {
        let p = policy("10.0.0.0/8, 192.0.2.7", ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.9.8.7")]);
        // 1.2.3.4 is what the client claimed; 198.51.100.7 is who connected to our edge proxy.
        assert_eq!(p.client(ip("10.1.2.3"), &h), ip("198.51.100.7"));
        assert_eq!(p.client(ip("192.0.2.7"), &h), ip("198.51.100.7"));
        // No header: the proxy itself is all we know.
        assert_eq!(p.client(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
        // Two header lines are one list.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.8"),
        ]);
        assert_eq!(p.client(ip("10.1.2.3"), &h), ip("198.51.100.8"));
    }

    #[test]
    fn ipv6_ranges_and_mapped_addresses() {
        let p = policy("fd00::/8", ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "2001:db8::5, fd00::1")]);
        assert_eq!(p.client(ip("fd00::2"), &h), ip("2001:db8::5"));
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
        let p = policy("127.0.0.1", ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "81.2.69.142")]);
        assert_eq!(p.client(ip("::ffff:127.0.0.1"), &h), ip("81.2.69.142"));
        assert_eq!(
            policy("", ForwardedHeader::XForwardedFor).client(ip("::ffff:81.2.69.142"), &h),
            ip("81.2.69.142")
        );
    }

    #[test]
    fn an_unreadable_hop_ends_the_walk() {
        let p = policy("private", ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "81.2.69.142, unknown, 10.0.0.5")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.5"));
    }

    #[test]
    fn rfc7239_forwarded_is_read_only_when_chosen() {
        let h = headers(&[
            (
                "forwarded",
                r#"for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711""#,
            ),
            ("x-forwarded-for", "203.0.113.1"),
        ]);
        let p = policy("private", ForwardedHeader::Forwarded);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[(
            "forwarded",
            r#"for="192.0.2.60:8080";by=10.0.0.1, for=10.0.0.3"#,
        )]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("192.0.2.60"));
        // With X-Forwarded-For chosen, a Forwarded header the client wrote is ignored.
        let h = headers(&[
            ("forwarded", "for=1.1.1.1"),
            ("x-forwarded-for", "203.0.113.1"),
        ]);
        let p = policy("private", ForwardedHeader::XForwardedFor);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("203.0.113.1"));
    }

    #[test]
    fn hops_with_ports_and_brackets() {
        assert_eq!(parse_hop("1.2.3.4:80"), Some(ip("1.2.3.4")));
        assert_eq!(parse_hop("[::1]:80"), Some(ip("::1")));
        assert_eq!(parse_hop("[::1]"), Some(ip("::1")));
        assert_eq!(parse_hop("_hidden"), None);
        assert_eq!(parse_hop(""), None);
    }

    #[test]
    fn the_list_takes_addresses_ranges_and_private() {
        let t = TrustedProxies::parse(" 10.0.0.0/8 ,2001:db8::/32, 192.0.2.1").unwrap();
        assert!(t.contains(ip("10.255.0.1")));
        assert!(t.contains(ip("2001:db8::9")));
        assert!(t.contains(ip("192.0.2.1")));
        assert!(!t.contains(ip("192.0.2.2")));
        let t = TrustedProxies::parse("private").unwrap();
        for inside in [
            "127.0.0.1",
            "172.20.0.3",
            "192.168.1.1",
            "100.64.0.9",
            "fd12::1",
            "::1",
        ] {
            assert!(t.contains(ip(inside)), "{inside}");
        }
        for outside in ["8.8.8.8", "81.2.69.142", "2001:4860::8888", "172.32.0.1"] {
            assert!(!t.contains(ip(outside)), "{outside}");
        }
        // A host address written as a range is truncated to its network, as people mean it.
        assert!(
            TrustedProxies::parse("10.1.2.3/8")
                .unwrap()
                .contains(ip("10.200.0.1"))
        );
        let err = TrustedProxies::parse("10.0.0.0/8, proxy.internal").unwrap_err();
        assert!(err.contains("proxy.internal"), "{err}");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }
}
