//! The embedding seam: what only Owncast knows.
//!
//! Owncast implements [`Owncast`]; the host calls it after the permission
//! check. [`DetachedOwncast`] is the Owncast of a host attached to no server
//! (trial loads of unapproved code); the in-memory simulation tests, the demo
//! and the dev server use is `owncast-plugin-testing`'s `SimulatedOwncast`.

use crate::types::*;
use serde::Serialize;

/// Who a host call comes from.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub slug: &'a str,
    /// The plugin's chat identity (`bot.displayName`, or its name).
    pub bot_name: &'a str,
}

impl Caller<'static> {
    /// The host itself (its answer to `!help`): no plugin, an empty slug.
    pub const HOST: Caller<'static> = Caller { slug: "", bot_name: "Owncast" };
}

/// The kinds of chat message a plugin can send.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ChatSend {
    Message {
        body: String,
    },
    Action {
        body: String,
    },
    /// HTML, already sanitized by the host.
    System {
        html: String,
    },
    To {
        client_id: u64,
        body: String,
    },
}

/// The severity of a plugin's log line; upstream's `owncast_log_info`,
/// `owncast_log_warning` and `owncast_log_error` are the last three (the
/// scenario format's `logs[].level` spells them `info`, `warning`, `error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
}

impl LogLevel {
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
        }
    }
}

/// Owncast's side of the host calls. Implementations must be cheap and must
/// not block for long: they run on the calling plugin's time budget.
pub trait Owncast: Send + Sync + 'static {
    fn send_chat(&self, from: &Caller<'_>, message: ChatSend);
    fn chat_history(&self, limit: u32) -> Vec<ChatMessage>;
    fn chat_clients(&self) -> Vec<ChatClient>;
    /// The moderation calls answer `Err` with a message the plugin sees
    /// (upstream's `{"error": ...}`) when Owncast could not do it.
    fn delete_message(&self, from: &Caller<'_>, message_id: &str) -> Result<(), String>;
    fn kick_client(&self, from: &Caller<'_>, client_id: u64) -> Result<(), String>;
    fn upload(&self, from: &Caller<'_>, name: &str, data: &[u8]) -> Result<UrlResult, String>;
    fn stream_current(&self) -> StreamInfo;
    /// `Broadcaster::default()` while offline.
    fn stream_broadcaster(&self) -> Broadcaster;
    fn server_info(&self) -> ServerInfo;
    fn server_socials(&self) -> Vec<SocialHandle>;
    /// The custom chat emotes.
    fn server_emotes(&self) -> Vec<Emote>;
    fn server_federation(&self) -> FederationInfo;
    fn server_tags(&self) -> Vec<String>;
    fn video_config(&self) -> VideoConfig;
    fn write_video_config(&self, from: &Caller<'_>, update: &VideoConfigUpdate) -> OpResult;
    fn notify_discord(&self, from: &Caller<'_>, content: &str);
    fn notify_browser_push(&self, from: &Caller<'_>, push: &BrowserPush);
    fn notify_fediverse(&self, from: &Caller<'_>, notification: &FediverseNotification);
    fn users(&self) -> Vec<User>;
    fn user(&self, id: &str) -> Option<User>;
    fn set_user_enabled(&self, from: &Caller<'_>, id: &str, enabled: bool, reason: &str) -> Result<(), String>;
    fn ban_ip(&self, from: &Caller<'_>, ip: &str) -> Result<(), String>;
    fn fediverse_post(&self, from: &Caller<'_>, content: &str) -> Result<UrlResult, String>;
    /// `users.register`: finds or creates the authenticated user for the
    /// external identity `registration.auth_id` of plugin `from.slug`; the
    /// identity must be scoped by the slug, so plugins can neither collide on
    /// nor impersonate each other's users. Returns the Owncast user id.
    fn register_user(&self, _from: &Caller<'_>, _registration: &UserRegistration) -> Result<String, String> {
        Err("users.register is not available on this host".into())
    }
    /// `auth.gate`: the gate plugin granted `user_id` a session (the host
    /// signs and sets the cookie; this is for Owncast's own bookkeeping).
    fn session_granted(&self, _from: &Caller<'_>, _user_id: &str, _ttl_seconds: u64) {}
    /// `auth.gate`: the gate plugin ended the requester's session.
    fn session_ended(&self, _from: &Caller<'_>) {}
    /// A plugin wrote a line to the server log (`owncast_log_*`, WIT `log`),
    /// at most 8 KiB. The host has already written it to its own `tracing`
    /// log (target `plugin`, field `plugin` = the slug); an Owncast with a log
    /// of its own may keep it there too.
    fn plugin_log(&self, _from: &Caller<'_>, _level: LogLevel, _message: &str) {}
}

/// The Owncast of a host attached to no server (the manager's trial loads of
/// code the admin has not approved yet): reads answer empty, writes change
/// nothing and report that nothing is attached.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetachedOwncast;

const DETACHED: &str = "not attached to an Owncast server";

impl Owncast for DetachedOwncast {
    fn send_chat(&self, from: &Caller<'_>, _: ChatSend) {
        tracing::debug!(plugin = %from.slug, "chat message dropped: {DETACHED}");
    }
    fn chat_history(&self, _: u32) -> Vec<ChatMessage> {
        Vec::new()
    }
    fn chat_clients(&self) -> Vec<ChatClient> {
        Vec::new()
    }
    fn delete_message(&self, _: &Caller<'_>, _: &str) -> Result<(), String> {
        Err(DETACHED.into())
    }
    fn kick_client(&self, _: &Caller<'_>, _: u64) -> Result<(), String> {
        Err(DETACHED.into())
    }
    fn upload(&self, _: &Caller<'_>, _: &str, _: &[u8]) -> Result<UrlResult, String> {
        Err(DETACHED.into())
    }
    fn stream_current(&self) -> StreamInfo {
        StreamInfo::default()
    }
    fn stream_broadcaster(&self) -> Broadcaster {
        Broadcaster::default()
    }
    fn server_info(&self) -> ServerInfo {
        ServerInfo::default()
    }
    fn server_socials(&self) -> Vec<SocialHandle> {
        Vec::new()
    }
    fn server_emotes(&self) -> Vec<Emote> {
        Vec::new()
    }
    fn server_federation(&self) -> FederationInfo {
        FederationInfo::default()
    }
    fn server_tags(&self) -> Vec<String> {
        Vec::new()
    }
    fn video_config(&self) -> VideoConfig {
        VideoConfig::default()
    }
    fn write_video_config(&self, _: &Caller<'_>, _: &VideoConfigUpdate) -> OpResult {
        OpResult::err(DETACHED)
    }
    fn notify_discord(&self, _: &Caller<'_>, _: &str) {}
    fn notify_browser_push(&self, _: &Caller<'_>, _: &BrowserPush) {}
    fn notify_fediverse(&self, _: &Caller<'_>, _: &FediverseNotification) {}
    fn users(&self) -> Vec<User> {
        Vec::new()
    }
    fn user(&self, _: &str) -> Option<User> {
        None
    }
    fn set_user_enabled(&self, _: &Caller<'_>, _: &str, _: bool, _: &str) -> Result<(), String> {
        Err(DETACHED.into())
    }
    fn ban_ip(&self, _: &Caller<'_>, _: &str) -> Result<(), String> {
        Err(DETACHED.into())
    }
    fn fediverse_post(&self, _: &Caller<'_>, _: &str) -> Result<UrlResult, String> {
        Err(DETACHED.into())
    }
}
