//! The bare baseline `scripts/bench-redirect` measures Scanpage against (issue 25): the same
//! axum, tokio (multi-threaded runtime, default workers) and allocator (mimalloc), and nothing
//! else — no middleware, no database, no logging. `GET /healthz` answers `ok`; `GET /r/{code}`
//! looks the code up in an in-memory map and answers `302` with its destination, or `404`.
//! What Scanpage costs above these two is the cost of its stack and of recording the scan.
//!
//!     cargo run --release -p web --example baseline -- 127.0.0.1:3900 codes.txt
//!
//! `codes.txt` holds one code per line (the bench writes the codes it created); each maps to
//! `https://example.com/<code>`. Loopback only: the address must be a 127.0.0.1 one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Codes = Arc<HashMap<String, HeaderValue>>;

async fn redirect(State(codes): State<Codes>, Path(code): Path<String>) -> Response {
    match codes.get(&code) {
        Some(location) => {
            (StatusCode::FOUND, [(header::LOCATION, location.clone())]).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:3900".into())
        .parse()?;
    if !addr.ip().is_loopback() {
        return Err("the baseline listens on loopback only".into());
    }
    let codes: HashMap<String, HeaderValue> = match args.next() {
        Some(file) => std::fs::read_to_string(file)?
            .lines()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                Ok((
                    c.to_owned(),
                    HeaderValue::from_str(&format!("https://example.com/{c}"))?,
                ))
            })
            .collect::<Result<_, header::InvalidHeaderValue>>()?,
        None => HashMap::new(),
    };
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/r/{code}", get(redirect))
        .with_state(Arc::new(codes));
    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("baseline listening on http://{addr}");
        axum::serve(listener, app).await
    })?;
    Ok(())
}
