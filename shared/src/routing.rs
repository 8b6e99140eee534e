//! The gateway table (the `routing` future service's stand-in, and infrastructure every mode
//! uses). A real gateway service would own which path goes where, health-check the upstreams,
//! and later route by region and tenant.
//!
//! Today: [`ROUTES`], the one table of path prefix → service. The all-in-one router is
//! checked against it by a test (each service's router answers exactly its prefixes), and the
//! split-mode gateway configuration is generated from it (`scanpage routes nginx`, committed as
//! `deploy/nginx.conf`, with a test that fails when the two differ), so they cannot drift. The
//! `routing` flag turns on the founder's read-only view of the table (`GET /api/v1/admin/routes`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Service;

/// One line of the gateway table.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[schema(as = GatewayRoute)]
pub struct Route {
    /// Requests whose path starts with this go to `service`; the longest match wins.
    pub prefix: &'static str,
    #[serde(serialize_with = "service_name")]
    #[schema(value_type = String, example = "qr")]
    pub service: Service,
    /// A path under the prefix that the owning service answers (tests probe it), or `None` while
    /// the route is reserved for a service still being built.
    #[serde(skip)]
    pub probe: Option<&'static str>,
}

fn service_name<S: serde::Serializer>(service: &Service, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(service.name())
}

/// Which service answers which paths. Everything not listed goes to web.
pub const ROUTES: &[Route] = &[
    route("/r/", Service::Qr, Some("/r/probe")),
    route("/m/", Service::Microsite, Some("/m/probe")),
    // Media is served by qr once the media crate lands (its own issue).
    route("/media/", Service::Qr, None),
    route("/api/v1/auth", Service::Auth, Some("/api/v1/auth/me")),
    route("/api/v1/qr", Service::Qr, Some("/api/v1/qr")),
    route("/api/v1/media", Service::Qr, None),
    route(
        "/api/v1/microsites",
        Service::Microsite,
        Some("/api/v1/microsites"),
    ),
    route(
        "/api/v1/analytics",
        Service::Analytics,
        Some("/api/v1/analytics/qr/probe"),
    ),
    route("/", Service::Web, Some("/login")),
];

const fn route(prefix: &'static str, service: Service, probe: Option<&'static str>) -> Route {
    Route {
        prefix,
        service,
        probe,
    }
}

/// The service a path goes to: the longest matching prefix.
pub fn service_for(path: &str) -> Service {
    ROUTES
        .iter()
        .filter(|r| path.starts_with(r.prefix))
        .max_by_key(|r| r.prefix.len())
        .map_or(Service::Web, |r| r.service)
}

/// Where the gateway listens and where it finds each service. The default is the committed
/// `deploy/nginx.conf`: port 80, each service at its compose host name and default port.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// nginx's `listen` argument, e.g. `80` or `127.0.0.1:8080`.
    pub listen: String,
    /// `host:port` of each service, in [`Service::ALL`] order.
    pub upstreams: Vec<(Service, String)>,
    /// The DNS server nginx asks for the services' names (Docker's own by default).
    pub resolver: String,
}

impl Default for Gateway {
    fn default() -> Self {
        Self {
            listen: "80".into(),
            upstreams: Service::ALL
                .iter()
                .map(|&s| (s, format!("{}:{}", s.name(), s.default_port())))
                .collect(),
            resolver: "127.0.0.11".into(),
        }
    }
}

impl Gateway {
    /// Points `service` at `addr` (`host:port`). Only host names, IPs, `:` and digits pass, so a
    /// value cannot smuggle nginx directives into the file.
    pub fn upstream(mut self, service: Service, addr: &str) -> Result<Self, String> {
        check_token(addr)?;
        for (s, a) in &mut self.upstreams {
            if *s == service {
                *a = addr.to_owned();
            }
        }
        Ok(self)
    }

    /// Asks `resolver` (`host` or `host:port`) for the services' names.
    pub fn resolver(mut self, resolver: &str) -> Result<Self, String> {
        check_token(resolver)?;
        self.resolver = resolver.to_owned();
        Ok(self)
    }

    /// Listens on `listen` (`port` or `host:port`), checked like [`Gateway::upstream`].
    pub fn listen(mut self, listen: &str) -> Result<Self, String> {
        check_token(listen)?;
        self.listen = listen.to_owned();
        Ok(self)
    }
}

fn check_token(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok {
        Ok(())
    } else {
        Err(format!("{value:?} is not a host:port"))
    }
}

/// The split-mode gateway as an nginx configuration (the committed `deploy/nginx.conf`).
pub fn nginx_config() -> String {
    nginx_config_for(&Gateway::default())
}

/// The gateway configuration for `gateway`: one `location` per table line. It is an
/// `http`-level fragment (a `server`), as nginx's `conf.d` expects.
///
/// Each service's address is a variable, so nginx resolves its name when requests arrive
/// (through `resolver`, for as long as the answer is valid) rather than once at start: a
/// recreated container's new address is found within 10 s, and the gateway starts while a
/// service is down or not yet created, answering 503 on that service's paths only. The cost is
/// no kept-alive connections to the services, which on one host is a fraction of a millisecond.
pub fn nginx_config_for(gateway: &Gateway) -> String {
    let mut out = String::new();
    out.push_str(
        "# Generated by `scanpage routes nginx` from shared/src/future/routing.rs — do not edit.\n\
         # A test fails when this file and the table differ.\n\n",
    );
    let _ = write!(
        out,
        "server {{\n    listen {};\n    client_max_body_size 2m;\n\n    \
         # Names are looked up per request (see `set` below), never only at start.\n    \
         resolver {} valid=10s ipv6=off;\n    resolver_timeout 2s;\n\n",
        gateway.listen, gateway.resolver
    );
    for (service, addr) in &gateway.upstreams {
        let _ = writeln!(out, "    set $scanpage_{} {addr};", service.name());
    }
    out.push_str(
        "\n    proxy_http_version 1.1;\n    \
         proxy_set_header Host $host;\n    \
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    \
         proxy_set_header X-Forwarded-Proto $scheme;\n\n    \
         # A service that is down, unknown to DNS or too slow: pages get a short HTML note, the\n    \
         # API its JSON error shape (the services' own error answers pass through untouched).\n    \
         proxy_connect_timeout 2s;\n    \
         error_page 502 504 = @page_unavailable;\n\n    \
         # Each service answers /metrics to a local scraper or METRICS_TOKEN only; the gateway does not\n    \
         # pass it on at all, so the public never reaches it whatever a service is configured with.\n    \
         location = /metrics {\n        return 404;\n    }\n",
    );
    for route in ROUTES {
        // `^~`: a prefix match that wins over regular-expression locations; nginx picks the
        // longest prefix, as `service_for` does.
        let api = if route.prefix.starts_with("/api/") {
            "        error_page 502 504 = @api_unavailable;\n"
        } else {
            ""
        };
        let _ = write!(
            out,
            "\n    location ^~ {} {{\n        proxy_pass http://$scanpage_{};\n{api}    }}\n",
            route.prefix,
            route.service.name()
        );
    }
    out.push_str(
        "\n    location @api_unavailable {\n        default_type application/json;\n        \
         return 503 '{\"error\":{\"code\":\"unavailable\",\"message\":\"This service is \
         unavailable right now.\"}}';\n    }\n\n    \
         location @page_unavailable {\n        default_type text/html;\n        \
         return 503 '<!doctype html><title>Unavailable</title><p>This part of Scanpage is \
         unavailable right now. Please try again in a minute.</p>';\n    }\n",
    );
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_the_rest_is_web() {
        assert_eq!(service_for("/r/abc"), Service::Qr);
        assert_eq!(service_for("/m/my-page/l/1"), Service::Microsite);
        assert_eq!(service_for("/api/v1/auth/login"), Service::Auth);
        assert_eq!(service_for("/api/v1/analytics/qr/1"), Service::Analytics);
        assert_eq!(service_for("/api/v1/features"), Service::Web);
        assert_eq!(service_for("/app/qr/new"), Service::Web);
        assert_eq!(service_for("/"), Service::Web);
    }

    #[test]
    fn every_prefix_is_listed_once_and_in_the_nginx_config() {
        let config = nginx_config();
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(ROUTES[i + 1..].iter().all(|r| r.prefix != route.prefix));
            assert!(config.contains(&format!(
                "location ^~ {} {{\n        proxy_pass http://$scanpage_{};",
                route.prefix,
                route.service.name()
            )));
        }
    }

    #[test]
    fn a_gateway_for_loopback_ports_and_nothing_else() {
        let gateway = Gateway::default()
            .listen("127.0.0.1:8080")
            .unwrap()
            .upstream(Service::Qr, "127.0.0.1:4011")
            .unwrap();
        let config = nginx_config_for(&gateway);
        assert!(config.contains("listen 127.0.0.1:8080;"));
        assert!(config.contains("set $scanpage_qr 127.0.0.1:4011;"));
        assert!(config.contains("set $scanpage_auth auth:3010;"));
        assert!(config.contains("resolver 127.0.0.11 valid=10s"));
        assert!(
            config.contains("location = /metrics {\n        return 404;"),
            "the gateway never passes /metrics on"
        );
        let config = nginx_config_for(&gateway.resolver("127.0.0.1:5353").unwrap());
        assert!(config.contains("resolver 127.0.0.1:5353 valid=10s"));
        for bad in ["x; include /etc/passwd", "a b", "", "x\ny", "{"] {
            assert!(
                Gateway::default().upstream(Service::Qr, bad).is_err(),
                "{bad:?}"
            );
            assert!(Gateway::default().listen(bad).is_err(), "{bad:?}");
            assert!(Gateway::default().resolver(bad).is_err(), "{bad:?}");
        }
    }

    /// `deploy/nginx.conf` is generated from the table; regenerate it with
    /// `cargo run -- routes nginx > deploy/nginx.conf` when this fails.
    #[test]
    fn committed_nginx_config_matches_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf");
        let committed = std::fs::read_to_string(&path).expect("deploy/nginx.conf is committed");
        assert!(
            committed == nginx_config(),
            "deploy/nginx.conf differs from the routing table: run `cargo run -- routes nginx > deploy/nginx.conf`"
        );
    }
}
