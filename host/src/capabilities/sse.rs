//! `sse` — permission `http.sse`; legacy `owncast_sse_send`. The hub fans a
//! plugin's frames out to the viewers on `/plugins/<slug>/_sse/<channel>`.
//! Sending never waits: a slow viewer's queue overflows and it misses frames.

use super::trap;
use crate::component::bindings::owncast::plugin::sse as wit;
use crate::component::ComponentState;
use crate::context::{HostCallError, PluginContext};
use crate::permissions::Permission;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Frames buffered per viewer before the oldest are dropped.
pub const SSE_QUEUE: usize = 64;
/// Largest frame a plugin may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct SseFrame {
    pub event: String,
    pub data: String,
}

#[derive(Default)]
struct Channel {
    tx: Option<broadcast::Sender<SseFrame>>,
}

/// Every plugin's SSE channels.
pub struct SseHub {
    channels: Mutex<HashMap<(String, String), Channel>>,
    connections: Mutex<HashMap<String, Arc<AtomicUsize>>>,
    /// Open connections allowed per plugin.
    pub max_connections_per_plugin: usize,
}

impl Default for SseHub {
    fn default() -> Self {
        SseHub { channels: Default::default(), connections: Default::default(), max_connections_per_plugin: 100 }
    }
}

/// A viewer's subscription; dropping it frees the connection slot.
pub struct SseSubscription {
    pub frames: broadcast::Receiver<SseFrame>,
    counter: Arc<AtomicUsize>,
}

impl Drop for SseSubscription {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SseHub {
    pub fn new(max_connections_per_plugin: usize) -> Self {
        SseHub { max_connections_per_plugin, ..Default::default() }
    }

    /// Opens a viewer connection, or `None` when the plugin is at its cap.
    pub fn subscribe(&self, slug: &str, channel: &str) -> Option<SseSubscription> {
        let counter = self.connections.lock().unwrap().entry(slug.to_string()).or_default().clone();
        if counter.fetch_add(1, Ordering::SeqCst) >= self.max_connections_per_plugin {
            counter.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let mut channels = self.channels.lock().unwrap();
        let ch = channels.entry((slug.to_string(), channel.to_string())).or_default();
        let tx = ch.tx.get_or_insert_with(|| broadcast::channel(SSE_QUEUE).0);
        Some(SseSubscription { frames: tx.subscribe(), counter })
    }

    pub fn connections(&self, slug: &str) -> usize {
        self.connections.lock().unwrap().get(slug).map(|c| c.load(Ordering::SeqCst)).unwrap_or(0)
    }

    /// Delivers to current viewers; returns how many there were.
    pub fn send(&self, slug: &str, channel: &str, frame: SseFrame) -> usize {
        let channels = self.channels.lock().unwrap();
        match channels.get(&(slug.to_string(), channel.to_string())).and_then(|c| c.tx.as_ref()) {
            Some(tx) => tx.send(frame).unwrap_or(0),
            None => 0,
        }
    }
}

impl PluginContext {
    pub fn sse_send(&self, channel: &str, event: &str, data: &str) -> Result<(), HostCallError> {
        self.require(Permission::HttpSse, "sse.send")?;
        if data.len() + event.len() > MAX_FRAME_BYTES {
            return Err(self.failed("sse.send", format!("frame is over {MAX_FRAME_BYTES} bytes")));
        }
        if event.contains(['\n', '\r']) || channel.contains(['/', '\n', '\r']) {
            return Err(self.failed("sse.send", "event and channel names may not contain newlines or `/`"));
        }
        self.services().sse.send(self.slug(), channel, SseFrame { event: event.to_string(), data: data.to_string() });
        Ok(())
    }
}

impl wit::Host for ComponentState {
    fn send(&mut self, channel: String, event: String, data: String) -> wasmtime::Result<()> {
        self.ctx.sse_send(&channel, &event, &data).map_err(trap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_connections_and_never_blocks() {
        let hub = SseHub::new(2);
        let mut a = hub.subscribe("p", "c").unwrap();
        let _b = hub.subscribe("p", "c").unwrap();
        assert!(hub.subscribe("p", "c").is_none(), "third connection refused");
        for i in 0..(SSE_QUEUE + 10) {
            hub.send("p", "c", SseFrame { event: "e".into(), data: i.to_string() });
        }
        // The slow viewer lagged: it is told it missed frames and then gets the newest ones.
        assert!(matches!(a.frames.try_recv(), Err(broadcast::error::TryRecvError::Lagged(10))));
        assert_eq!(a.frames.try_recv().unwrap().data, "10");
        drop(a);
        assert_eq!(hub.connections("p"), 1);
        assert!(hub.subscribe("p", "other").is_some());
    }
}
