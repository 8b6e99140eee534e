//! Attacks on the server's limits, on SQLite and PostgreSQL: oversized bodies, headers, URLs and
//! query strings are refused with a 4xx (never a 5xx) and the server keeps answering; path
//! traversal in every path parameter finds nothing outside what the route serves; slow senders
//! (slow-loris) are disconnected after the header read timeout while others are still served, and
//! keep-alive still works.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode};
use common::TestApp;
use common::browser::browser;
use shared::testing::{TestDb, backend_tests};

/// Text that only a file outside the route's own store could contain.
const LEAK_MARKERS: [&str; 5] = [
    "[workspace]",
    "root:x:0",
    "PRIVATE KEY",
    "SQLite format",
    "[package]",
];

fn assert_refused_and_alive(status: reqwest::StatusCode, what: &str) {
    assert!(
        status.is_client_error(),
        "{what}: a 4xx, never a 5xx or a success: {status}"
    );
}

/// On a new connection each time: with a 1 s header read timeout the server closes an idle
/// keep-alive connection, and reusing a pooled one could race that close (a reset, not a refusal).
async fn assert_still_answers(app: &TestApp) {
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("an HTTP client");
    let answer = fresh
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("the server accepts a new connection");
    assert_eq!(
        answer.status(),
        reqwest::StatusCode::OK,
        "the server still answers"
    );
}

backend_tests!(oversized_bodies_headers_urls_and_query_strings_are_refused);
async fn oversized_bodies_headers_urls_and_query_strings_are_refused(db: TestDb) {
    let backend = db.backend.name();
    let app = TestApp::spawn(&db, &[]).await;
    let user = app.sign_up_api("big@example.com").await;

    // A body over the limit: 413 with the JSON error shape under /api.
    let huge = format!(
        "{{\"destination\":\"https://example.com/\",\"name\":\"{}\"}}",
        "a".repeat(3 * 1024 * 1024)
    );
    for path in ["/api/v1/qr", "/api/v1/microsites", "/api/v1/auth/login"] {
        let answer = app
            .http
            .post(app.url(path))
            .bearer_auth(&user.access_token)
            .header("content-type", "application/json")
            .body(huge.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            reqwest::StatusCode::PAYLOAD_TOO_LARGE,
            "{path}"
        );
        let body: serde_json::Value = answer.json().await.expect("a JSON error");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
    // Nothing was created by the refused bodies.
    let list: serde_json::Value = app
        .http
        .get(app.url("/api/v1/qr"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!list.to_string().contains("aaaaaaaaaa"), "{list}");

    // A huge header, many headers, a huge URL, a huge query string.
    let answer = app
        .http
        .get(app.url("/api/v1/qr"))
        .header("x-padding", "p".repeat(1024 * 1024))
        .send()
        .await;
    match answer {
        Ok(answer) => assert_refused_and_alive(answer.status(), "a 1 MiB header"),
        // The server may close the connection before the client has sent it all.
        Err(err) => assert!(!err.is_timeout(), "a 1 MiB header: {err}"),
    }
    assert_still_answers(&app).await;

    let mut many = app.http.get(app.url("/healthz"));
    for i in 0..200 {
        many = many.header(format!("x-h{i}"), "v");
    }
    assert_refused_and_alive(many.send().await.unwrap().status(), "200 headers");
    assert_still_answers(&app).await;

    // Longer than any URI the http crate takes: refused before routing (the client library
    // will not send one, so it goes over a raw connection).
    let addr = app.base.trim_start_matches("http://").to_owned();
    let long = format!(
        "GET /r/{} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
        "a".repeat(100_000)
    );
    let answer = tokio::task::spawn_blocking(move || raw_answer(&addr, long.as_bytes()))
        .await
        .unwrap();
    let status: u16 = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!((400..500).contains(&status), "a 100 kB path: {answer}");
    assert_still_answers(&app).await;

    for (what, path) in [
        ("a 30 kB path", format!("/r/{}", "a".repeat(30_000))),
        (
            "a 60 kB query",
            format!("/api/v1/qr?q={}", "a".repeat(60_000)),
        ),
        (
            "a 60 kB page query",
            format!("/login?next={}", "%2F".repeat(20_000)),
        ),
        (
            "a 60 kB scan query",
            format!("/r/abc?utm={}", "a".repeat(60_000)),
        ),
    ] {
        let answer = app.get(&path).await;
        assert_eq!(answer.status(), reqwest::StatusCode::URI_TOO_LONG, "{what}");
        assert_still_answers(&app).await;
    }
    // Under the limit, a long query is an ordinary request.
    let answer = app
        .get(&format!("/login?next={}", "%2F".repeat(1_000)))
        .await;
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    println!("oversized requests refused on {backend}");
    app.stop().await;
}

backend_tests!(path_traversal_in_any_path_parameter_finds_nothing);
/// Every path parameter of every route, with the ways a path can try to climb out of its folder.
async fn path_traversal_in_any_path_parameter_finds_nothing(db: TestDb) {
    const ATTACKS: [&str; 9] = [
        "..%2f..%2f..%2fCargo.toml",
        "%2e%2e/%2e%2e/%2e%2e/Cargo.toml",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%5c..%5c..%5cCargo.toml",
        "..%255c..%255cCargo.toml",
        "app.css%00.png",
        "%00",
        "..%2f..%2fdata%2fjwt-ed25519.pem",
        "....%2f%2f....%2f%2fetc%2fpasswd",
    ];
    const ROUTES: [&str; 20] = [
        "/static/{}",
        "/static/../../{}",
        "/media/{}",
        "/media/{}.png",
        "/r/{}",
        "/m/{}",
        "/m/{}/preview",
        "/m/x/l/{}",
        "/app/qr/{}",
        "/app/qr/{}/image.svg",
        "/app/qr/{}/analytics",
        "/app/microsites/{}",
        "/app/microsites/{}/analytics",
        "/api/v1/qr/{}",
        "/api/v1/qr/{}/image.png",
        "/api/v1/microsites/{}",
        "/api/v1/analytics/qr/{}",
        "/api/v1/analytics/qr/{}/export.csv",
        "/api/v1/analytics/microsites/{}",
        "/api/v1/auth/password/reset/{}",
    ];
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("walker@example.com").await;
    browser.create_code("A real code").await;
    let mut checked = 0;
    for route in ROUTES {
        for attack in ATTACKS {
            let path = route.replace("{}", attack);
            let page = browser.send(Request::get(path.as_str()), None).await;
            assert!(
                matches!(page.status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST),
                "{path}: 404 or 400, got {}",
                page.status
            );
            for marker in LEAK_MARKERS {
                assert!(!page.html.contains(marker), "{path} leaked {marker}");
            }
            checked += 1;
        }
    }
    // The email-link pages answer any token with a form that posts it back (so a link
    // preview cannot use it up): nothing of the server's may be in them.
    for route in ["/verify/{}", "/reset/{}"] {
        for attack in ATTACKS {
            let path = route.replace("{}", attack);
            let page = browser.send(Request::get(path.as_str()), None).await;
            assert!(!page.status.is_server_error(), "{path}: {}", page.status);
            for marker in LEAK_MARKERS {
                assert!(!page.html.contains(marker), "{path} leaked {marker}");
            }
        }
    }
    // The assets themselves still load.
    let css = browser.get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    println!("{checked} traversal attempts refused on {backend}");
}

/// What a slow client saw before the server ended its connection.
fn slow_client(addr: &str, give_up: Duration) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nx-slow: ")
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        if started.elapsed() > give_up {
            return Err(format!("still open after {give_up:?}"));
        }
        // One more byte of a header that never ends.
        if stream.write_all(b"z").is_err() {
            return Ok(String::from_utf8_lossy(&seen).into_owned());
        }
        let mut buf = [0; 1024];
        match stream.read(&mut buf) {
            Ok(0) => return Ok(String::from_utf8_lossy(&seen).into_owned()),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // Reset by the server: closed too.
            Err(_) => return Ok(String::from_utf8_lossy(&seen).into_owned()),
        }
    }
}

/// What the server answers `request` on a fresh connection, up to its closing.
fn raw_answer(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer and close before it has read the whole request.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A whole HTTP/1.1 answer with a `content-length`, read from a kept-alive connection.
fn read_answer(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).expect("an answer");
        assert!(
            n > 0,
            "the connection closed early: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

backend_tests!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    slow_loris_connections_are_closed_and_others_still_served
);
async fn slow_loris_connections_are_closed_and_others_still_served(db: TestDb) {
    let backend = db.backend.name();
    let app = TestApp::spawn(&db, &["--header-read-timeout-secs", "1"]).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    let slow: Vec<_> = (0..50)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || slow_client(&addr, Duration::from_secs(20)))
        })
        .collect();
    // While they dribble, a normal visitor is served.
    assert_still_answers(&app).await;
    for client in slow {
        let seen = client
            .join()
            .unwrap()
            .expect("the server closes a slow connection");
        assert!(
            !seen.contains("200 OK"),
            "a request whose head never ended was not served: {seen}"
        );
    }
    assert_still_answers(&app).await;

    // Keep-alive still works: two requests on one connection, each answered in full.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .unwrap();
        let answer = read_answer(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    println!("50 slow connections closed on {backend}");
    app.stop().await;
}

backend_tests!(nul_characters_in_ids_queries_and_text_are_refused);
/// PostgreSQL refuses a NUL character in text; a NUL anywhere in what a user sends must be a 4xx
/// (never a 500 from the database) on both backends.
async fn nul_characters_in_ids_queries_and_text_are_refused(db: TestDb) {
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("nul@example.com").await;
    let (id, _) = browser.create_code("Menu").await;
    for path in [
        "/app?q=a%00b".to_owned(),
        "/app?tag=%00".to_owned(),
        format!("/app/qr/{id}%00"),
        "/api/v1/qr?cursor=%00".to_owned(),
        "/admin/users?q=%00".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert!(
            page.status.is_client_error(),
            "{backend}: {path}: {}",
            page.status
        );
    }
    for (path, body) in [
        (
            "/api/v1/qr",
            r#"{"name":"a\u0000b","destination":"https://example.com/"}"#,
        ),
        (
            "/api/v1/microsites",
            r#"{"slug":"nul-page","title":"a\u0000b"}"#,
        ),
        ("/api/v1/auth/api-keys", r#"{"name":"a\u0000b"}"#),
        ("/api/v1/qr/styles", r#"{"name":"a\u0000b","style":{}}"#),
    ] {
        let page = browser
            .send(
                Request::post(path).header("content-type", "application/json"),
                Some(body.to_owned()),
            )
            .await;
        assert!(
            page.status.is_client_error(),
            "{backend}: {path}: {} {}",
            page.status,
            page.html
        );
    }
    let csrf = browser.get("/app/qr/new").await.csrf();
    let page = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "a\0b"),
                ("destination", "https://example.com/"),
            ],
        )
        .await;
    assert!(
        page.status.is_client_error(),
        "{backend}: the code form: {}",
        page.status
    );
    println!("NUL characters refused on {backend}");
}
