//! The emulator's HTTP/1.1 accept loop: a cap on open connections, a header / idle timeout, graceful shutdown,
//! and Backendless-shaped bodies on the answers hyper itself gives to requests that do not parse.
//!
//! A connection also ends when an answer makes no progress for [`WRITE_TIMEOUT`] (a client that stopped reading).
//! Past [`MAX_CONNECTIONS`] the loop stops accepting, so further connections wait in the kernel's listen backlog
//! and are served as soon as an open one closes (at the latest when its header / idle timeout ends it); none is
//! refused. The body timeout is applied where bodies are read (`routes`), the query deadline in the store.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinSet;

use super::error::EmulatorError;

/// Production default of `EmulatorConfig::header_timeout`: request line + headers, and keep-alive idle time.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Production default of `EmulatorConfig::body_timeout`: a whole request body (1 MiB at ~35 KB/s).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Production default of `EmulatorConfig::write_timeout`: how long an answer may make no progress.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Production default of `EmulatorConfig::max_connections`.
pub const MAX_CONNECTIONS: usize = 1024;
/// Production default of `EmulatorConfig::query_timeout`.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the loop pauses after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The address of the client a request came from, set on every request by [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::SocketAddr);

/// The connection-level limits of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// See `EmulatorConfig::header_timeout`.
    pub header_timeout: Duration,
    /// See `EmulatorConfig::write_timeout`.
    pub write_timeout: Duration,
    /// See `EmulatorConfig::max_connections` (at least 1 is used).
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` fires (or its sender is dropped); then stops accepting, lets each
/// connection finish the request it is in, and returns when all are closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    mut shutdown: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut connections = JoinSet::new();
    loop {
        let next = async {
            // A free slot first: past the cap, new connections stay in the listen backlog.
            let slot = slots.clone().acquire_owned().await;
            (slot, listener.accept().await)
        };
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            (slot, accepted) = next => {
                let Ok(slot) = slot else { break };
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!("cannot accept a connection: {error}");
                        tokio::time::sleep(ACCEPT_RETRY).await;
                        continue;
                    }
                };
                // No TCP_NODELAY: hyper writes each answer in one go, and on loopback with 32 clients the extra
                // packets cost about 13% of update throughput (loadgen: ~10,700 vs ~12,300 updates/s).
                let connection = builder.serve_connection(
                    TokioIo::new(FaultShapedStream::new(stream, limits.write_timeout)),
                    // Each request learns its peer (`/_emulator/*` answers loopback peers only).
                    TowerToHyperService::new(app.clone().layer(axum::Extension(PeerAddr(peer)))),
                );
                let mut stop = stop_rx.clone();
                connections.spawn(async move {
                    let _slot = slot;
                    let mut connection = std::pin::pin!(connection);
                    let stopping = async move {
                        // An error means the loop is gone: stop as well.
                        stop.wait_for(|stop| *stop).await.ok();
                    };
                    let result = tokio::select! {
                        result = connection.as_mut() => result,
                        () = stopping => {
                            connection.as_mut().graceful_shutdown();
                            connection.await
                        }
                    };
                    if let Err(error) = result {
                        // Timeouts and clients that hang up are routine; nothing here is worth more than debug.
                        tracing::debug!("connection ended: {error}");
                    }
                });
            }
        }
    }
    drop(listener);
    stop_tx.send(true).ok();
    while connections.join_next().await.is_some() {}
}

/// A TCP stream that gives the error answers hyper writes on its own (400 for a malformed request line or header
/// such as a bad `Content-Length`, 414, 431 — all with an empty body) the Backendless `{code, message,
/// errorData}` body, and fails a write that makes no progress for the write timeout (a client that stopped
/// reading), which ends the connection. Everything else passes through untouched.
struct FaultShapedStream {
    inner: TcpStream,
    /// A rewritten answer still to be sent, and how much of it is.
    pending: Vec<u8>,
    sent: usize,
    write_timeout: Duration,
    /// Running while writing is blocked; reset by any progress.
    write_stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FaultShapedStream {
    fn new(inner: TcpStream, write_timeout: Duration) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            sent: 0,
            write_timeout,
            write_stall: None,
        }
    }

    /// Passes on the outcome of a write-side call, failing it once writing has been blocked for the timeout.
    fn stall_guard<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.write_stall = None;
            return poll;
        }
        let timeout = self.write_timeout;
        let stall = self
            .write_stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if stall.as_mut().poll(cx).is_ready() {
            self.write_stall = None;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading the answer",
            )));
        }
        Poll::Pending
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let poll = Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]);
            let n = ready!(self.stall_guard(cx, poll))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

/// The Backendless-shaped replacement for `written` if it is exactly one bodiless 4xx / 5xx response head (what
/// hyper writes for a request it cannot parse; every answer of the routes has a JSON body).
fn shape_bare_error(written: &[u8]) -> Option<Vec<u8>> {
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != written.len() {
        return None;
    }
    let head = std::str::from_utf8(written).ok()?;
    let mut lines = head.trim_end().split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()?;
    let status = StatusCode::from_u16(status).ok()?;
    if status.as_u16() < 400 {
        return None;
    }
    let mut kept = Vec::new();
    let mut bodiless = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            bodiless = value.trim() == "0";
        } else if !name.eq_ignore_ascii_case("connection")
            && !name.eq_ignore_ascii_case("content-type")
        {
            kept.push(line);
        }
    }
    if !bodiless {
        return None;
    }
    let body = serde_json::to_vec(&EmulatorError::protocol(status).fault).ok()?;
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl AsyncRead for FaultShapedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultShapedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(replacement) = shape_bare_error(buf) {
            this.pending = replacement;
            // Start sending; whatever the socket does not take now goes out on the next flush or shutdown.
            if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
                return Poll::Ready(Err(error));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.stall_guard(cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.stall_guard(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_error_head_gets_a_backendless_body() {
        let hyper_answer =
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 16:00:00 GMT\r\n\r\n";
        let shaped = shape_bare_error(hyper_answer).expect("rewritten");
        let text = String::from_utf8(shaped).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(head.contains("date: Tue"), "{head}");
        let fault: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(fault["code"], 8002);
        assert!(fault["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(fault["errorData"].is_object());
    }

    #[test]
    fn answers_with_a_body_or_a_success_status_pass_through() {
        assert!(shape_bare_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(shape_bare_error(b"HTTP/1.1 100 Continue\r\n\r\n").is_none());
        assert!(
            shape_bare_error(b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}").is_none()
        );
        assert!(shape_bare_error(b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n").is_none());
        assert!(shape_bare_error(b"{\"code\": 1}").is_none());
    }
}
