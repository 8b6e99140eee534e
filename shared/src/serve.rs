//! The accept loop: HTTP/1.1 connections served with a header read timeout, stopped gracefully.
//!
//! `axum::serve` gives hyper no timer, so hyper's header read timeout never runs: a client that
//! sends a request head one byte at a time (slow-loris) keeps its connection, and its task, for as
//! long as it likes — the request timeout only starts once the head is complete. This loop is
//! `axum::serve` with a timer and [`Options::header_read_timeout`]. The same timeout also closes
//! a kept-alive connection that stays idle that long between requests.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How connections are served.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Longest time a client may take to send a complete request head (and longest idle time
    /// between two requests on one kept-alive connection).
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `stop` completes; then stops accepting, lets every
/// connection finish the request it is answering, and returns once all are closed. Requests see
/// the peer's address as `ConnectInfo<SocketAddr>`, as with `into_make_service_with_connect_info`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: Options,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connections watch `stopping`: it changes when the server stops. The server then waits on
    // `closed` until every connection has dropped its receiver.
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let (closed_tx, closed_rx) = watch::channel(());
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            options,
            stopping_rx.clone(),
            closed_rx.clone(),
        ));
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    drop(closed_rx);
    closed_tx.closed().await;
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    options: Options,
    mut stopping: watch::Receiver<bool>,
    _closed: watch::Receiver<()>,
) {
    let service = router.map_request(move |request: axum::http::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    let mut conn = std::pin::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, "connection ended with an error");
                }
                break;
            }
            changed = stopping.changed(), if !draining => {
                // The server is stopping (or gone): finish the current request, then close.
                let _ = changed;
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
