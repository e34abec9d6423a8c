//! `GET /plugins/<slug>/_sse/<channel>`: a viewer's stream of the frames the
//! plugin sends with `sse.send` (permission `http.sse`).
//!
//! - At most `SseHub::max_connections_per_plugin` streams per plugin (503
//!   beyond) and `SseHub::max_connections_per_client` per client address and
//!   plugin (429 beyond), so one client cannot take every viewer's place.
//! - A channel's state lives while it has viewers; the last one leaving removes it.
//! - An idle stream gets a `: keep-alive` comment every `sse_keep_alive`.
//! - Sending never waits for viewers: a viewer that reads too slowly misses
//!   frames (it gets a `: dropped N frames` comment in their place).
//! - The owner is told with `sse.connect` / `sse.disconnect` events (only the
//!   owner, and only if it subscribes to them).
//! - The stream ends when the plugin is unloaded or disabled.

use super::{error_response, PluginServer, Reply};
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use owncast_plugin_host::capabilities::sse::{SseFrame, SseRefusal, SseSubscription};
use owncast_plugin_host::event::Event;
use owncast_plugin_host::host::{Host, LoadedPlugin};
use owncast_plugin_host::permissions::Permission;
use owncast_plugin_host::types::{self, SseConnection};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// The first bytes of every stream.
pub(super) const OPENING: &[u8] = b": connected\n\n";
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
/// Longest channel name.
pub const MAX_CHANNEL_BYTES: usize = 128;

/// One frame in `text/event-stream` form.
pub fn encode(f: &SseFrame) -> Bytes {
    let mut out = String::with_capacity(f.data.len() + f.event.len() + 16);
    if !f.event.is_empty() {
        out.push_str("event: ");
        out.push_str(&f.event);
        out.push('\n');
    }
    for line in f.data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// Tells the owner about the connection when it opens and when it closes.
struct Presence {
    host: Arc<Host>,
    slug: String,
    conn: SseConnection,
    connected: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let host = self.host.clone();
        let slug = std::mem::take(&mut self.slug);
        let event = Event::from(types::Event::SseDisconnect(self.conn.clone()));
        let connected = self.connected.take();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                // The disconnect never overtakes the connect.
                if let Some(c) = connected {
                    let _ = c.await;
                }
                host.notify_plugin(&slug, &event).await;
            });
        }
    }
}

struct Viewer {
    sub: SseSubscription,
    ticker: tokio::time::Interval,
    opened: bool,
    presence: Presence,
}

pub(super) fn open(server: &PluginServer, plugin: &Arc<LoadedPlugin>, channel: &str, remote: SocketAddr) -> Reply {
    let slug = plugin.slug().to_string();
    if channel.is_empty()
        || channel.len() > MAX_CHANNEL_BYTES
        || channel.contains('/')
        || channel.chars().any(char::is_control)
    {
        return error_response(
            StatusCode::BAD_REQUEST,
            format!("SSE channel names are 1-{MAX_CHANNEL_BYTES} bytes without `/` or control characters"),
        )
        .into();
    }
    // 404 as upstream: without http.sse the plugin has no SSE endpoint.
    if !plugin.grants().contains(Permission::HttpSse) {
        return error_response(
            StatusCode::NOT_FOUND,
            format!("plugin `{slug}` does not stream events (permission http.sse)"),
        )
        .into();
    }
    let hub = &server.host.services().sse;
    let sub = match hub.subscribe(&slug, channel, remote.ip()) {
        Ok(sub) => sub,
        Err(SseRefusal::PluginFull(n)) => {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("plugin `{slug}` already has {n} SSE connections, its limit"),
            )
            .into()
        }
        Err(SseRefusal::ClientFull(n)) => {
            let mut r = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                format!("this address already has {n} SSE connections to plugin `{slug}`, its limit"),
            );
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            return r.into();
        }
    };
    let conn = SseConnection {
        channel: channel.to_string(),
        connection_id: server.next_sse_id.fetch_add(1, Ordering::Relaxed),
        // The viewer's chat identity is not resolved here yet.
        user: None,
    };
    let connected = {
        let host = server.host.clone();
        let slug = slug.clone();
        let event = Event::from(types::Event::SseConnect(conn.clone()));
        tokio::spawn(async move {
            host.notify_plugin(&slug, &event).await;
        })
    };
    let every = server.config.sse_keep_alive;
    let viewer = Viewer {
        sub,
        ticker: tokio::time::interval_at(tokio::time::Instant::now() + every, every),
        opened: false,
        presence: Presence { host: server.host.clone(), slug, conn, connected: Some(connected) },
    };
    let stream = futures::stream::unfold(viewer, |mut v| async move {
        if !v.opened {
            v.opened = true;
            return Some((Ok(Frame::data(Bytes::from_static(OPENING))), v));
        }
        let bytes = tokio::select! {
            r = v.sub.frames.recv() => match r {
                Ok(f) => encode(&f),
                Err(RecvError::Lagged(n)) => Bytes::from(format!(": dropped {n} frames\n\n")),
                Err(RecvError::Closed) => return None,
            },
            _ = v.ticker.tick() => {
                let alive = v.presence.host.get(&v.presence.slug).is_some_and(|p| p.is_enabled());
                if !alive {
                    return None;
                }
                Bytes::from_static(KEEP_ALIVE)
            }
        };
        Some((Ok::<_, std::convert::Infallible>(Frame::data(bytes)), v))
    });
    let mut r = Response::new(StreamBody::new(stream).boxed_unsync());
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Reply::Stream(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let f = SseFrame { event: "tick".into(), data: "a\nb".into() };
        assert_eq!(&encode(&f)[..], b"event: tick\ndata: a\ndata: b\n\n");
        let f = SseFrame { event: "".into(), data: "x".into() };
        assert_eq!(&encode(&f)[..], b"data: x\n\n");
    }
}
