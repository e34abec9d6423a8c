//! The hub of server-sent-event channels plugins send on and the server
//! serves (`/plugins/<slug>/_sse/<channel>`). The `sse` capability sends.

use std::collections::HashMap;
use std::net::IpAddr;
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

/// One channel's viewers. The entry is removed when its last viewer leaves,
/// so channel names a client makes up do not accumulate.
struct Channel {
    tx: broadcast::Sender<SseFrame>,
    viewers: usize,
}

#[derive(Default)]
struct Counts {
    /// Open connections per plugin.
    per_plugin: HashMap<String, usize>,
    /// Open connections per (plugin, client key).
    per_client: HashMap<(String, IpAddr), usize>,
    channels: HashMap<(String, String), Channel>,
}

/// One frame a plugin sent, as a recording hub keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentFrame {
    pub slug: String,
    pub channel: String,
    pub frame: SseFrame,
}

/// Every plugin's SSE channels.
pub struct SseHub {
    state: Arc<Mutex<Counts>>,
    /// Open connections allowed per plugin.
    pub max_connections_per_plugin: usize,
    /// Open connections one client address (IPv6: /64) may hold per plugin.
    pub max_connections_per_client: usize,
    /// Every frame sent, viewers or not (scenario tests assert on them).
    sent: Option<Mutex<Vec<SentFrame>>>,
}

impl Default for SseHub {
    fn default() -> Self {
        SseHub { state: Default::default(), max_connections_per_plugin: 100, max_connections_per_client: 8, sent: None }
    }
}

/// Why a viewer connection was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseRefusal {
    /// The plugin has this many connections, its limit.
    PluginFull(usize),
    /// The client has this many connections to the plugin, its limit.
    ClientFull(usize),
}

/// A viewer's subscription; dropping it frees the connection slot (and the
/// channel, when it was its last viewer).
pub struct SseSubscription {
    pub frames: broadcast::Receiver<SseFrame>,
    state: Arc<Mutex<Counts>>,
    slug: String,
    channel: String,
    client: IpAddr,
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for SseSubscription {
    fn drop(&mut self) {
        let mut st = self.state.lock().unwrap();
        let slug = std::mem::take(&mut self.slug);
        let key = (slug, std::mem::take(&mut self.channel));
        if let Some(ch) = st.channels.get_mut(&key) {
            ch.viewers -= 1;
            if ch.viewers == 0 {
                st.channels.remove(&key);
            }
        }
        let (slug, _) = key;
        decrement(&mut st.per_client, &(slug.clone(), self.client));
        decrement(&mut st.per_plugin, &slug);
    }
}

impl SseHub {
    pub fn new(max_connections_per_plugin: usize) -> Self {
        SseHub { max_connections_per_plugin, ..Default::default() }
    }

    /// A hub that also keeps every frame sent, for [`SseHub::sent`].
    pub fn recording() -> Self {
        SseHub { sent: Some(Mutex::new(Vec::new())), ..Default::default() }
    }

    /// The frames sent so far, in order (always empty unless [`SseHub::recording`]).
    pub fn sent(&self) -> Vec<SentFrame> {
        self.sent.as_ref().map(|s| s.lock().unwrap().clone()).unwrap_or_default()
    }

    /// Sets how many connections one client address may hold per plugin.
    pub fn with_max_per_client(mut self, n: usize) -> Self {
        self.max_connections_per_client = n;
        self
    }

    /// Opens a viewer connection from `client`, unless the plugin or the
    /// client is at its cap.
    pub fn subscribe(&self, slug: &str, channel: &str, client: IpAddr) -> Result<SseSubscription, SseRefusal> {
        let client = client_key(client);
        let mut st = self.state.lock().unwrap();
        let plugin_n = st.per_plugin.get(slug).copied().unwrap_or(0);
        if plugin_n >= self.max_connections_per_plugin {
            return Err(SseRefusal::PluginFull(self.max_connections_per_plugin));
        }
        let client_key = (slug.to_string(), client);
        if st.per_client.get(&client_key).copied().unwrap_or(0) >= self.max_connections_per_client {
            return Err(SseRefusal::ClientFull(self.max_connections_per_client));
        }
        *st.per_plugin.entry(slug.to_string()).or_insert(0) += 1;
        *st.per_client.entry(client_key).or_insert(0) += 1;
        let ch = st
            .channels
            .entry((slug.to_string(), channel.to_string()))
            .or_insert_with(|| Channel { tx: broadcast::channel(SSE_QUEUE).0, viewers: 0 });
        ch.viewers += 1;
        let frames = ch.tx.subscribe();
        Ok(SseSubscription {
            frames,
            state: self.state.clone(),
            slug: slug.to_string(),
            channel: channel.to_string(),
            client,
        })
    }

    pub fn connections(&self, slug: &str) -> usize {
        self.state.lock().unwrap().per_plugin.get(slug).copied().unwrap_or(0)
    }

    /// Channels with at least one viewer (all plugins).
    pub fn channel_count(&self) -> usize {
        self.state.lock().unwrap().channels.len()
    }

    /// Delivers to current viewers; returns how many there were.
    pub fn send(&self, slug: &str, channel: &str, frame: SseFrame) -> usize {
        if let Some(sent) = &self.sent {
            sent.lock().unwrap().push(SentFrame {
                slug: slug.to_string(),
                channel: channel.to_string(),
                frame: frame.clone(),
            });
        }
        let st = self.state.lock().unwrap();
        match st.channels.get(&(slug.to_string(), channel.to_string())) {
            Some(c) => c.tx.send(frame).unwrap_or(0),
            None => 0,
        }
    }
}

/// The key a client is counted under: its IPv4 address, or the /64 of its
/// IPv6 address (an IPv4-mapped IPv6 address counts as the IPv4 one).
pub fn client_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V4(_) => ip,
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_connections_and_never_blocks() {
        let hub = SseHub::new(2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let mut a = hub.subscribe("p", "c", ip).unwrap();
        let _b = hub.subscribe("p", "c", "10.0.0.2".parse().unwrap()).unwrap();
        assert_eq!(hub.subscribe("p", "c", "10.0.0.3".parse().unwrap()).err(), Some(SseRefusal::PluginFull(2)));
        for i in 0..(SSE_QUEUE + 10) {
            hub.send("p", "c", SseFrame { event: "e".into(), data: i.to_string() });
        }
        // The slow viewer lagged: it is told it missed frames and then gets the newest ones.
        assert!(matches!(a.frames.try_recv(), Err(broadcast::error::TryRecvError::Lagged(10))));
        assert_eq!(a.frames.try_recv().unwrap().data, "10");
        drop(a);
        assert_eq!(hub.connections("p"), 1);
        assert!(hub.subscribe("p", "other", ip).is_ok());
    }

    #[test]
    fn caps_per_client_and_forgets_empty_channels() {
        let hub = SseHub::new(10).with_max_per_client(2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let subs: Vec<_> = (0..2).map(|i| hub.subscribe("p", &format!("c{i}"), ip).unwrap()).collect();
        assert_eq!(hub.subscribe("p", "c9", ip).err(), Some(SseRefusal::ClientFull(2)));
        assert!(hub.subscribe("q", "c9", ip).is_ok(), "the cap is per plugin");
        assert!(hub.subscribe("p", "c9", "10.0.0.2".parse().unwrap()).is_ok());
        assert_eq!(hub.channel_count(), 2);
        drop(subs);
        assert_eq!(hub.channel_count(), 0);
        assert_eq!(hub.connections("p"), 0);
        assert!(hub.state.lock().unwrap().per_client.is_empty());
    }
}
