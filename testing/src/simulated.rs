//! [`SimulatedOwncast`]: an in-memory Owncast that records every effect so
//! tests can assert on it (the scenario runner, the demo and the dev server use it).

use owncast_plugin_contract::owncast::{Caller, ChatSend, LogLevel, Owncast};
pub use owncast_plugin_contract::types::UserRegistration;
use owncast_plugin_contract::types::*;
use serde::Serialize;
use std::sync::Mutex;

/// Host data a simulation starts from (the scenario `given.*` fixtures).
#[derive(Debug, Clone, Default)]
pub struct SimulatedData {
    pub stream: StreamInfo,
    pub broadcaster: Broadcaster,
    pub server: ServerInfo,
    pub socials: Vec<SocialHandle>,
    pub emotes: Vec<Emote>,
    pub federation: FederationInfo,
    pub tags: Vec<String>,
    pub video_config: VideoConfig,
    pub chat_history: Vec<ChatMessage>,
    pub chat_clients: Vec<ChatClient>,
    pub users: Vec<User>,
    /// Upload and fediverse-post URLs the way upstream's scenario runner
    /// makes them (`mock://uploads/<name>`, `mock://fediverse/<slug>/<n>`),
    /// so scenarios that assert on them pass here too.
    pub mock_urls: bool,
}

/// Everything plugins did to the simulated server, in order.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effects {
    /// `(plugin slug, message)`.
    pub chat: Vec<(String, ChatSend)>,
    pub deleted_messages: Vec<String>,
    pub kicked_clients: Vec<u64>,
    /// `(file name, bytes)`.
    pub uploads: Vec<(String, Vec<u8>)>,
    pub video_config_writes: Vec<VideoConfigUpdate>,
    pub discord_posts: Vec<String>,
    pub browser_pushes: Vec<BrowserPush>,
    pub fediverse_notifications: Vec<FediverseNotification>,
    pub fediverse_outbox: Vec<String>,
    pub user_changes: Vec<(String, bool, String)>,
    pub banned_ips: Vec<String>,
    pub user_registrations: Vec<UserRegistration>,
    /// `(user id, ttl seconds)`.
    pub session_grants: Vec<(String, u64)>,
    pub session_clears: u32,
    /// Lines plugins wrote to the server log (`owncast_log_*`, WIT `log`).
    pub logs: Vec<PluginLog>,
}

/// One line a plugin wrote to the server log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginLog {
    /// The plugin's slug.
    pub plugin: String,
    pub level: LogLevel,
    pub message: String,
}

/// Watches the chat messages plugins send: `(plugin, kind, message)`.
type ChatObserver = Box<dyn Fn(&str, &str, &ChatSend) + Send + Sync>;

/// The chat color Owncast gives a new user (an index into its palette of 8,
/// picked at random there; derived from the id here so runs repeat).
pub fn display_color(user_id: &str) -> u32 {
    user_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % 8
}

/// Owncast's player autoplay modes (upstream `AutoplayMode`).
pub const AUTOPLAY_MODES: &[&str] = &["off", "always", "sound-only"];

/// An in-memory Owncast.
#[derive(Default)]
pub struct SimulatedOwncast {
    data: Mutex<SimulatedData>,
    effects: Mutex<Effects>,
    /// Called for every chat message a plugin sends (the demo prints them).
    on_chat: Option<ChatObserver>,
    /// How long every read blocks (a slow Owncast).
    latency: Option<std::time::Duration>,
}

impl SimulatedOwncast {
    pub fn new(data: SimulatedData) -> Self {
        SimulatedOwncast { data: Mutex::new(data), ..Default::default() }
    }

    /// A simulation with a plausible server, stream and video configuration.
    pub fn demo() -> Self {
        Self::new(SimulatedData {
            stream: StreamInfo {
                online: true,
                title: Some("Building plugins live".into()),
                summary: Some("Plugins, one filter at a time".into()),
                viewers: 42,
                started_at: Some("2024-01-01T00:00:00Z".into()),
                latency_level: Some(2),
            },
            broadcaster: Broadcaster {
                remote_addr: Some("192.0.2.10".into()),
                codecs: Some(vec!["h264".into(), "aac".into()]),
                resolution: Some("1280x720".into()),
                framerate: Some(30),
                bitrates: Some(vec![2500, 160]),
            },
            server: ServerInfo {
                name: Some("Owncast Demo".into()),
                url: Some("http://localhost:8080".into()),
                summary: Some("A simulated Owncast server".into()),
                welcome_message: Some("Welcome to the plugin demo!".into()),
                version: Some("0.2.0".into()),
            },
            tags: vec!["demo".into(), "plugins".into()],
            video_config: VideoConfig {
                latency_level: 2,
                codec: "libx264".into(),
                variants: vec![StreamVariant {
                    width: 1280,
                    height: 720,
                    framerate: 30,
                    video_bitrate: 2500,
                    audio_bitrate: Some(160),
                    is_passthrough: false,
                    cpu_usage_level: Some(2),
                }],
                autoplay: Some("off".into()),
            },
            ..Default::default()
        })
    }

    /// Calls `f(slug, bot name, message)` for every chat message a plugin sends.
    pub fn on_chat(mut self, f: impl Fn(&str, &str, &ChatSend) + Send + Sync + 'static) -> Self {
        self.on_chat = Some(Box::new(f));
        self
    }

    /// Makes every read block for `d`, as a slow or overloaded Owncast would
    /// (host calls are synchronous: they block the calling plugin's call).
    pub fn with_latency(mut self, d: std::time::Duration) -> Self {
        self.latency = Some(d);
        self
    }

    pub fn effects(&self) -> Effects {
        self.effects.lock().unwrap().clone()
    }

    /// The effects recorded so far, forgotten here (a long run drains them
    /// so the record does not grow without end).
    pub fn take_effects(&self) -> Effects {
        std::mem::take(&mut *self.effects.lock().unwrap())
    }

    pub fn set_data(&self, f: impl FnOnce(&mut SimulatedData)) {
        f(&mut self.data.lock().unwrap())
    }

    fn record(&self, f: impl FnOnce(&mut Effects)) {
        f(&mut self.effects.lock().unwrap())
    }

    fn data<R>(&self, f: impl FnOnce(&SimulatedData) -> R) -> R {
        if let Some(d) = self.latency {
            std::thread::sleep(d);
        }
        f(&self.data.lock().unwrap())
    }
}

impl Owncast for SimulatedOwncast {
    fn send_chat(&self, from: &Caller<'_>, message: ChatSend) {
        if let Some(cb) = &self.on_chat {
            cb(from.slug, from.bot_name, &message);
        }
        self.record(|e| e.chat.push((from.slug.to_string(), message)));
    }
    fn chat_history(&self, limit: u32) -> Vec<ChatMessage> {
        self.data(|d| {
            let n = d.chat_history.len().saturating_sub(limit as usize);
            d.chat_history[n..].to_vec()
        })
    }
    fn chat_clients(&self) -> Vec<ChatClient> {
        self.data(|d| d.chat_clients.clone())
    }
    fn delete_message(&self, _: &Caller<'_>, message_id: &str) -> Result<(), String> {
        self.record(|e| e.deleted_messages.push(message_id.to_string()));
        Ok(())
    }
    fn kick_client(&self, _: &Caller<'_>, client_id: u64) -> Result<(), String> {
        self.record(|e| e.kicked_clients.push(client_id));
        Ok(())
    }
    fn upload(&self, from: &Caller<'_>, name: &str, data: &[u8]) -> Result<UrlResult, String> {
        self.record(|e| e.uploads.push((name.to_string(), data.to_vec())));
        let url = if self.data(|d| d.mock_urls) {
            format!("mock://uploads/{name}")
        } else {
            format!("/uploads/{}/{}", from.slug, name)
        };
        Ok(UrlResult { url })
    }
    fn stream_current(&self) -> StreamInfo {
        self.data(|d| d.stream.clone())
    }
    fn stream_broadcaster(&self) -> Broadcaster {
        self.data(|d| d.broadcaster.clone())
    }
    fn server_info(&self) -> ServerInfo {
        self.data(|d| d.server.clone())
    }
    fn server_socials(&self) -> Vec<SocialHandle> {
        self.data(|d| d.socials.clone())
    }
    fn server_emotes(&self) -> Vec<Emote> {
        self.data(|d| d.emotes.clone())
    }
    fn server_federation(&self) -> FederationInfo {
        self.data(|d| d.federation.clone())
    }
    fn server_tags(&self) -> Vec<String> {
        self.data(|d| d.tags.clone())
    }
    fn video_config(&self) -> VideoConfig {
        self.data(|d| d.video_config.clone())
    }
    fn write_video_config(&self, _: &Caller<'_>, update: &VideoConfigUpdate) -> OpResult {
        if let Some(v) = &update.variants {
            if v.is_empty() {
                return OpResult::err("at least one video variant is required");
            }
            if let Some(level) = v.iter().filter_map(|v| v.cpu_usage_level).find(|l| *l > 4) {
                return OpResult::err(format!("cpuUsageLevel {level} is not 0-4"));
            }
        }
        if let Some(a) = update.autoplay.as_deref().filter(|a| !AUTOPLAY_MODES.contains(a)) {
            return OpResult::err(format!("autoplay \"{a}\" is not one of {}", AUTOPLAY_MODES.join(", ")));
        }
        self.set_data(|d| {
            if let Some(l) = update.latency_level {
                d.video_config.latency_level = l;
            }
            if let Some(c) = &update.codec {
                d.video_config.codec = c.clone();
            }
            if let Some(a) = &update.autoplay {
                d.video_config.autoplay = Some(a.clone());
            }
            if let Some(v) = &update.variants {
                // As upstream: audio is not part of a variant update, each
                // output keeps the audio it had.
                let before = std::mem::take(&mut d.video_config.variants);
                d.video_config.variants = v
                    .iter()
                    .enumerate()
                    .map(|(i, new)| StreamVariant {
                        audio_bitrate: new.audio_bitrate.or(before.get(i).and_then(|b| b.audio_bitrate)),
                        ..new.clone()
                    })
                    .collect();
            }
        });
        self.record(|e| e.video_config_writes.push(update.clone()));
        OpResult::ok()
    }
    fn notify_discord(&self, _: &Caller<'_>, content: &str) {
        self.record(|e| e.discord_posts.push(content.to_string()));
    }
    fn notify_browser_push(&self, _: &Caller<'_>, push: &BrowserPush) {
        self.record(|e| e.browser_pushes.push(push.clone()));
    }
    fn notify_fediverse(&self, _: &Caller<'_>, notification: &FediverseNotification) {
        self.record(|e| e.fediverse_notifications.push(notification.clone()));
    }
    fn users(&self) -> Vec<User> {
        self.data(|d| d.users.clone())
    }
    fn user(&self, id: &str) -> Option<User> {
        self.data(|d| d.users.iter().find(|u| u.id == id).cloned())
    }
    fn set_user_enabled(&self, _: &Caller<'_>, id: &str, enabled: bool, reason: &str) -> Result<(), String> {
        self.record(|e| e.user_changes.push((id.to_string(), enabled, reason.to_string())));
        Ok(())
    }
    fn ban_ip(&self, _: &Caller<'_>, ip: &str) -> Result<(), String> {
        self.record(|e| e.banned_ips.push(ip.to_string()));
        Ok(())
    }
    fn fediverse_post(&self, from: &Caller<'_>, content: &str) -> Result<UrlResult, String> {
        let n = {
            let mut fx = self.effects.lock().unwrap();
            fx.fediverse_outbox.push(content.to_string());
            fx.fediverse_outbox.len()
        };
        let url = if self.data(|d| d.mock_urls) {
            format!("mock://fediverse/{}/{n}", from.slug)
        } else {
            format!("https://owncast.example/federation/posts/{n}")
        };
        Ok(UrlResult { url })
    }
    /// The user id is `u-<authId>` in scenarios (as upstream's runner makes
    /// it), else `u-<slug>-<authId>`; a new user joins the user list.
    fn register_user(&self, from: &Caller<'_>, registration: &UserRegistration) -> Result<String, String> {
        self.record(|e| e.user_registrations.push(registration.clone()));
        let id = if self.data(|d| d.mock_urls) {
            format!("u-{}", registration.auth_id)
        } else {
            format!("u-{}-{}", from.slug, registration.auth_id)
        };
        self.set_data(|d| {
            if !d.users.iter().any(|u| u.id == id) {
                let display_name = if registration.display_name.is_empty() {
                    registration.auth_id.clone()
                } else {
                    registration.display_name.clone()
                };
                let display_color = Some(display_color(&id));
                d.users.push(User { id: id.clone(), display_name, display_color, ..Default::default() });
            }
        });
        Ok(id)
    }
    fn session_granted(&self, _: &Caller<'_>, user_id: &str, ttl_seconds: u64) {
        self.record(|e| e.session_grants.push((user_id.to_string(), ttl_seconds)));
    }
    fn session_ended(&self, _: &Caller<'_>) {
        self.record(|e| e.session_clears += 1);
    }
    fn plugin_log(&self, from: &Caller<'_>, level: LogLevel, message: &str) {
        self.record(|e| e.logs.push(PluginLog { plugin: from.slug.to_string(), level, message: message.to_string() }));
    }
}
