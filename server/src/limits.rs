//! What one client, and all clients together, may hold of the server:
//! connections, time and memory for request bodies.
//!
//! - **Connections**: at most [`ConnectionLimits::max_connections`] in total
//!   (beyond it the server stops accepting, so descriptors stay free for the
//!   host's own work) and [`ConnectionLimits::max_connections_per_client`] per
//!   client address (beyond it a new connection is closed at once). IPv6
//!   clients count by their /64, the block one subscriber usually holds.
//! - **Time** (a watchdog per connection, whatever the protocol):
//!   - `header_timeout`: from the connection's first byte (or its opening),
//!     and from the first byte of each later request, to the request reaching
//!     the router. A trickled header or a silent socket is closed.
//!   - `idle_timeout`: a connection with no request in flight and no traffic
//!     (an idle keep-alive) is closed.
//!   - `send_timeout`: a response the client does not read for this long
//!     closes the connection.
//!   - `body_idle_timeout` / `body_timeout`: a request body that stalls, or
//!     takes longer in total, gets 408 and its connection is closed.
//! - **Memory**: every in-flight request body draws from one budget
//!   ([`ConnectionLimits::body_budget_bytes`], 128 MiB: room for an `.ocpkg`
//!   upload and many small bodies); an HTTP/1 connection buffers at most
//!   64 KiB besides (its request head must fit). A body declared with
//!   `Content-Length` reserves its length up front, a chunked one as it
//!   arrives. A request that does not fit gets 503 at once; a stalled one
//!   times out and gives its share back.
//! - **HTTP/2** (spoken in clear text with prior knowledge): at most
//!   `max_h2_streams` concurrent streams per connection, and hyper/h2's
//!   rapid-reset guards (a client that resets streams faster than they are
//!   served gets GOAWAY).

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connection, time and body-memory limits of the live server.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Open connections in total; the server stops accepting beyond it.
    pub max_connections: usize,
    /// Open connections per client address (IPv6: per /64).
    pub max_connections_per_client: usize,
    /// Longest time from a request's first byte (or a new connection) to its complete head.
    pub header_timeout: Duration,
    /// Longest time a connection may sit with no request in flight and no traffic.
    pub idle_timeout: Duration,
    /// Longest time a response write may wait for the client to read.
    pub send_timeout: Duration,
    /// Longest pause between two pieces of a request body.
    pub body_idle_timeout: Duration,
    /// Longest time to receive a whole request body.
    pub body_timeout: Duration,
    /// Memory all in-flight request bodies may hold together.
    pub body_budget_bytes: usize,
    /// Concurrent streams per HTTP/2 connection.
    pub max_h2_streams: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1024,
            max_connections_per_client: 64,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(120),
            body_budget_bytes: 128 << 20,
            max_h2_streams: 100,
        }
    }
}

pub use owncast_plugin_host::capabilities::sse::client_key;

// ---- connection caps ---------------------------------------------------------

/// Counts open connections, in total and per client.
pub(crate) struct Gate {
    total: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    max_per_client: usize,
}

/// A connection's place; dropping it frees the place.
pub(crate) struct Slot {
    gate: Arc<Gate>,
    key: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.gate.per_client.lock().unwrap();
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl Gate {
    pub(crate) fn new(limits: &ConnectionLimits) -> Arc<Gate> {
        Arc::new(Gate {
            total: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_client: Mutex::new(HashMap::new()),
            max_per_client: limits.max_connections_per_client.max(1),
        })
    }

    /// Waits until one more connection may be accepted.
    pub(crate) async fn reserve(&self) -> OwnedSemaphorePermit {
        self.total.clone().acquire_owned().await.expect("the gate's semaphore is never closed")
    }

    /// Admits a connection from `ip` with a reserved place, or `None` when
    /// that client already holds its share.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr, permit: OwnedSemaphorePermit) -> Option<Slot> {
        let key = client_key(ip);
        let mut map = self.per_client.lock().unwrap();
        let n = map.entry(key).or_insert(0);
        if *n >= self.max_per_client {
            return None;
        }
        *n += 1;
        Some(Slot { gate: self.clone(), key, _permit: permit })
    }

    /// Open connections (for tests and diagnostics).
    pub(crate) fn open(&self) -> usize {
        self.per_client.lock().unwrap().values().sum()
    }
}

// ---- the per-connection watchdog ----------------------------------------------------

const NONE: u64 = u64::MAX;

/// What a connection is doing, shared by its socket, its requests and its watchdog.
pub(crate) struct Activity {
    start: Instant,
    /// Last byte read or written (ms since `start`).
    last_io: AtomicU64,
    /// When the head of the next request started to arrive (`NONE`: not waiting for one).
    head_started: AtomicU64,
    /// Since when a write has been waiting for the client (`NONE`: not waiting).
    write_blocked: AtomicU64,
    /// Requests being answered (a streaming response counts until it ends).
    in_flight: AtomicUsize,
}

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    Header,
    Idle,
    Send,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            last_io: AtomicU64::new(0),
            // A new connection is waiting for its first request's head.
            head_started: AtomicU64::new(0),
            write_blocked: AtomicU64::new(NONE),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let _ = self.head_started.compare_exchange(NONE, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
        self.write_blocked.store(NONE, Ordering::Relaxed);
    }

    fn write_waits(&self) {
        let _ = self.write_blocked.compare_exchange(NONE, self.now(), Ordering::AcqRel, Ordering::Relaxed);
    }

    /// A request reached the router; the guard ends it when dropped.
    pub(crate) fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(NONE, Ordering::Release);
        InFlight(self.clone())
    }

    /// Waits until a limit is exceeded.
    pub(crate) async fn expired(&self, limits: &ConnectionLimits) -> Expiry {
        let ms = |d: Duration| d.as_millis() as u64;
        let shortest = limits.header_timeout.min(limits.idle_timeout).min(limits.send_timeout);
        let tick = (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        loop {
            tokio::time::sleep(tick).await;
            let now = self.now();
            let blocked = self.write_blocked.load(Ordering::Acquire);
            if blocked != NONE && now.saturating_sub(blocked) > ms(limits.send_timeout) {
                return Expiry::Send;
            }
            if self.in_flight.load(Ordering::Acquire) > 0 {
                continue;
            }
            let head = self.head_started.load(Ordering::Acquire);
            if head != NONE && now.saturating_sub(head) > ms(limits.header_timeout) {
                return Expiry::Header;
            }
            if now.saturating_sub(self.last_io.load(Ordering::Relaxed)) > ms(limits.idle_timeout) {
                return Expiry::Idle;
            }
        }
    }
}

/// One request in flight on a connection.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_io.store(a.now(), Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that reports its traffic to the connection's [`Activity`].
pub(crate) struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub(crate) fn new(inner: T, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        self.note(&r);
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(&r);
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<T> Watched<T> {
    fn note(&self, r: &Poll<std::io::Result<usize>>) {
        match r {
            Poll::Ready(Ok(n)) if *n > 0 => self.activity.wrote(),
            Poll::Pending => self.activity.write_waits(),
            _ => {}
        }
    }
}

/// A response body that keeps its request counted as in flight until it ends.
pub(crate) struct Tracked<B> {
    inner: B,
    _in_flight: InFlight,
}

impl<B> Tracked<B> {
    pub(crate) fn new(inner: B, in_flight: InFlight) -> Self {
        Tracked { inner, _in_flight: in_flight }
    }
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

// ---- request bodies --------------------------------------------------------------

/// The memory all in-flight request bodies share.
pub(crate) struct BodyBudget {
    sem: Arc<Semaphore>,
    total: usize,
}

/// Why a request body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the cap (the cap).
    TooLarge(usize),
    /// The budget is spent.
    Busy,
    /// Stalled, or too slow in total.
    TimedOut,
    Read(String),
}

/// A body's share of the budget, given back when dropped.
pub(crate) struct BodyShare(Option<OwnedSemaphorePermit>);

impl BodyBudget {
    pub(crate) fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        BodyBudget { sem: Arc::new(Semaphore::new(total)), total }
    }

    /// Bytes held by bodies being read or handled.
    pub(crate) fn in_use(&self) -> usize {
        self.total - self.sem.available_permits()
    }

    fn take(&self, share: &mut BodyShare, n: usize) -> Result<(), BodyError> {
        if n == 0 {
            return Ok(());
        }
        let n32 = u32::try_from(n).map_err(|_| BodyError::Busy)?;
        let p = self.sem.clone().try_acquire_many_owned(n32).map_err(|_| BodyError::Busy)?;
        match &mut share.0 {
            Some(held) => held.merge(p),
            None => share.0 = Some(p),
        }
        Ok(())
    }

    /// Reads a body of at most `cap` bytes (`declared`: its `Content-Length`,
    /// already checked against `cap`) within the limits' body timeouts.
    pub(crate) async fn read<B>(
        &self,
        mut body: B,
        declared: Option<u64>,
        cap: usize,
        limits: &ConnectionLimits,
    ) -> Result<(Bytes, BodyShare), BodyError>
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let mut share = BodyShare(None);
        let reserved = declared.map(|n| n as usize).unwrap_or(0).min(cap);
        self.take(&mut share, reserved)?;
        let deadline = tokio::time::Instant::now() + limits.body_timeout;
        let mut buf = BytesMut::with_capacity(reserved);
        loop {
            let wait = limits.body_idle_timeout.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            let frame = match tokio::time::timeout(wait, body.frame()).await {
                Err(_) => return Err(BodyError::TimedOut),
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(BodyError::Read(e.to_string())),
                Ok(Some(Ok(f))) => f,
            };
            let Ok(data) = frame.into_data() else { continue };
            if buf.len() + data.len() > cap {
                return Err(BodyError::TooLarge(cap));
            }
            let beyond = (buf.len() + data.len()).saturating_sub(reserved.max(buf.len()));
            self.take(&mut share, beyond)?;
            buf.extend_from_slice(&data);
        }
        Ok((buf.freeze(), share))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.7".parse::<IpAddr>().unwrap());
    }

    #[tokio::test]
    async fn per_client_slots_are_given_back() {
        let limits = ConnectionLimits { max_connections: 10, max_connections_per_client: 2, ..Default::default() };
        let gate = Gate::new(&limits);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = gate.admit(ip, gate.reserve().await).unwrap();
        let _b = gate.admit(ip, gate.reserve().await).unwrap();
        assert!(gate.admit(ip, gate.reserve().await).is_none());
        assert!(gate.admit("10.0.0.2".parse().unwrap(), gate.reserve().await).is_some());
        drop(a);
        assert!(gate.admit(ip, gate.reserve().await).is_some());
        assert_eq!(gate.per_client.lock().unwrap().len(), 1, "entries of clients that left are removed");
    }
}
