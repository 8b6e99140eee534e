//! A public visitor's IP address (scanners of `/r`, visitors of `/m`): the socket's peer, or — only when that peer is one of
//! `TRUSTED_PROXIES` — the right-most address in `X-Forwarded-For` that is not itself a trusted
//! proxy. Anyone else's `X-Forwarded-For` is ignored, so a visitor cannot pick their own
//! country or visitor id. The address is handed to analytics in events and never logged.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

pub fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    Some(forwarded(&parts.headers, trusted).unwrap_or(peer))
}

fn forwarded(headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    chain.into_iter().rev().find(|ip| !trusted.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, xff: Option<&str>) -> Parts {
        let mut builder = Request::builder();
        if let Some(v) = xff {
            builder = builder.header("x-forwarded-for", v);
        }
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(
            format!("{peer}:1234").parse::<SocketAddr>().unwrap(),
        ));
        parts
    }

    #[test]
    fn untrusted_peers_cannot_spoof_their_address() {
        let ip = client_ip(&parts("203.0.113.9", Some("1.2.3.4")), &[]);
        assert_eq!(ip, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn trusted_proxies_pass_the_client_on() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let ip = client_ip(
            &parts("10.0.0.2", Some("1.2.3.4, 198.51.100.7, 10.0.0.2")),
            &[proxy],
        );
        assert_eq!(ip, Some("198.51.100.7".parse().unwrap()));
        let ip = client_ip(&parts("10.0.0.2", None), &[proxy]);
        assert_eq!(ip, Some(proxy));
    }
}
