//! The records of the WIT `types` interface, as Rust values.
//!
//! Each type has two encodings: the component model's (derived with
//! `ComponentType`/`Lift`/`Lower`, field names as in `wit/types.wit`) and the
//! legacy JSON shape (serde, camelCase) that Extism plugins, scenario files and
//! the JS SDK use. `bindgen!` maps `owncast:plugin/types` onto this module, so a
//! component and a legacy plugin see the same values. `tests::wit_pins_json`
//! checks field by field that both encodings name the same fields.

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

macro_rules! wit_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $wit:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ComponentType, Lift, Lower)]
        #[component(record)]
        #[serde(rename_all = "camelCase", default)]
        pub struct $name {
            $( $(#[$fmeta])* #[component(name = $wit)] pub $field: $ty, )*
        }

        impl WitRecord for $name {
            const WIT_NAME: &'static str = stringify_kebab!($name);
            const WIT_FIELDS: &'static [&'static str] = &[$($wit),*];
        }
    };
}

/// Spelled out once per record so the WIT name is greppable.
macro_rules! stringify_kebab {
    ($name:ident) => {
        $crate::types::kebab_names::$name
    };
}

/// A record of the WIT `types` interface (used by the pinning test and the
/// generated wire-protocol document).
pub trait WitRecord {
    const WIT_NAME: &'static str;
    const WIT_FIELDS: &'static [&'static str];
}

#[allow(non_upper_case_globals)]
pub(crate) mod kebab_names {
    pub const User: &str = "user";
    pub const ChatMessage: &str = "chat-message";
    pub const ChatUserEvent: &str = "chat-user-event";
    pub const NameChange: &str = "name-change";
    pub const MessageModeration: &str = "message-moderation";
    pub const StreamInfo: &str = "stream-info";
    pub const StreamTitleChange: &str = "stream-title-change";
    pub const SseConnection: &str = "sse-connection";
    pub const FediverseActor: &str = "fediverse-actor";
    pub const FediverseEngagement: &str = "fediverse-engagement";
    pub const CustomEvent: &str = "custom-event";
    pub const NotifySubscription: &str = "notify-subscription";
    pub const FilterSubscription: &str = "filter-subscription";
    pub const Subscriptions: &str = "subscriptions";
    pub const Registration: &str = "registration";
    pub const HttpRequest: &str = "http-request";
    pub const HttpResponse: &str = "http-response";
    pub const OpResult: &str = "op-result";
    pub const ChatClient: &str = "chat-client";
    pub const Broadcaster: &str = "broadcaster";
    pub const ServerInfo: &str = "server-info";
    pub const SocialHandle: &str = "social-handle";
    pub const FederationInfo: &str = "federation-info";
    pub const VideoVariant: &str = "video-variant";
    pub const VideoConfig: &str = "video-config";
    pub const VideoConfigUpdate: &str = "video-config-update";
    pub const BrowserPush: &str = "browser-push";
    pub const UrlResult: &str = "url-result";
    pub const ActionButton: &str = "action-button";
}

wit_record! {
    /// A chat participant.
    pub struct User {
        id: String => "id",
        display_name: String => "display-name",
        display_color: Option<u32> => "display-color",
        created_at: Option<String> => "created-at",
        previous_names: Vec<String> => "previous-names",
        scopes: Vec<String> => "scopes",
        is_bot: bool => "is-bot",
        authenticated: bool => "authenticated",
    }
}

wit_record! {
    /// `chat.message.received`.
    pub struct ChatMessage {
        id: String => "id",
        user: User => "user",
        body: String => "body",
        timestamp: String => "timestamp",
        client_id: Option<u64> => "client-id",
    }
}

wit_record! {
    /// `chat.user.joined`, `chat.user.parted`.
    pub struct ChatUserEvent {
        user: User => "user",
        client_id: Option<u64> => "client-id",
        timestamp: String => "timestamp",
    }
}

wit_record! {
    /// `chat.user.renamed`.
    pub struct NameChange {
        user: User => "user",
        previous_name: String => "previous-name",
        new_name: String => "new-name",
        timestamp: String => "timestamp",
    }
}

wit_record! {
    /// `chat.message.moderated`.
    pub struct MessageModeration {
        message_id: String => "message-id",
        action: String => "action",
        moderator: Option<User> => "moderator",
        timestamp: String => "timestamp",
    }
}

wit_record! {
    /// The live stream.
    pub struct StreamInfo {
        online: bool => "online",
        title: String => "title",
        started_at: Option<String> => "started-at",
        viewer_count: u32 => "viewer-count",
    }
}

wit_record! {
    /// `stream.title.changed`.
    pub struct StreamTitleChange {
        title: String => "title",
        previous_title: Option<String> => "previous-title",
        timestamp: String => "timestamp",
    }
}

wit_record! {
    /// `sse.connect`, `sse.disconnect`.
    pub struct SseConnection {
        channel: String => "channel",
        connection_id: String => "connection-id",
        remote_addr: String => "remote-addr",
    }
}

wit_record! {
    pub struct FediverseActor {
        name: String => "name",
        username: String => "username",
        url: String => "url",
        image: Option<String> => "image",
    }
}

wit_record! {
    /// `fediverse.*` events.
    pub struct FediverseEngagement {
        actor: FediverseActor => "actor",
        object_url: Option<String> => "object-url",
        content: Option<String> => "content",
        timestamp: String => "timestamp",
    }
}

wit_record! {
    /// A plugin-emitted event; `payload_json` is JSON text.
    pub struct CustomEvent {
        event_type: String => "event-type",
        payload_json: String => "payload-json",
    }
}

wit_record! {
    pub struct NotifySubscription {
        event: String => "event",
    }
}

wit_record! {
    pub struct FilterSubscription {
        event: String => "event",
        #[serde(skip_serializing_if = "Option::is_none")]
        priority: Option<i32> => "priority",
    }
}

wit_record! {
    pub struct Subscriptions {
        notify: Vec<NotifySubscription> => "notify",
        filter: Vec<FilterSubscription> => "filter",
    }
}

wit_record! {
    /// What `register` returns.
    pub struct Registration {
        slug: String => "slug",
        name: String => "name",
        version: String => "version",
        permissions: Vec<String> => "permissions",
        subscriptions: Subscriptions => "subscriptions",
    }
}

wit_record! {
    /// A request under `/plugins/<slug>/`.
    pub struct HttpRequest {
        method: String => "method",
        path: String => "path",
        #[serde(with = "header_object")]
        query: Vec<(String, String)> => "query",
        #[serde(with = "header_object")]
        headers: Vec<(String, String)> => "headers",
        body: String => "body",
        remote_addr: String => "remote-addr",
        authenticated: bool => "authenticated",
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<User> => "user",
    }
}

wit_record! {
    /// A plugin's answer to an [`HttpRequest`].
    pub struct HttpResponse {
        #[serde(default = "ok_status")]
        status: u16 => "status",
        #[serde(with = "header_object")]
        headers: Vec<(String, String)> => "headers",
        body: String => "body",
    }
}

fn ok_status() -> u16 {
    200
}

wit_record! {
    /// `{ok, error?}`.
    pub struct OpResult {
        ok: bool => "ok",
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String> => "error",
    }
}

impl OpResult {
    pub fn ok() -> Self {
        OpResult { ok: true, error: None }
    }
    pub fn err(message: impl Into<String>) -> Self {
        OpResult { ok: false, error: Some(message.into()) }
    }
}

wit_record! {
    pub struct ChatClient {
        id: u64 => "id",
        user: User => "user",
        connected_at: String => "connected-at",
        user_agent: Option<String> => "user-agent",
        message_count: u32 => "message-count",
    }
}

wit_record! {
    pub struct Broadcaster {
        remote_addr: String => "remote-addr",
        connected_at: String => "connected-at",
        encoder: Option<String> => "encoder",
        width: Option<u32> => "width",
        height: Option<u32> => "height",
        framerate: Option<u32> => "framerate",
        video_codec: Option<String> => "video-codec",
        audio_codec: Option<String> => "audio-codec",
    }
}

wit_record! {
    pub struct ServerInfo {
        name: String => "name",
        summary: String => "summary",
        server_url: String => "server-url",
        logo_url: Option<String> => "logo-url",
        version: String => "version",
        nsfw: bool => "nsfw",
    }
}

wit_record! {
    pub struct SocialHandle {
        platform: String => "platform",
        url: String => "url",
        icon: Option<String> => "icon",
    }
}

wit_record! {
    pub struct FederationInfo {
        enabled: bool => "enabled",
        username: String => "username",
        account: String => "account",
        follower_count: u32 => "follower-count",
    }
}

wit_record! {
    pub struct VideoVariant {
        name: String => "name",
        video_bitrate: u32 => "video-bitrate",
        framerate: u32 => "framerate",
        width: Option<u32> => "width",
        height: Option<u32> => "height",
        cpu_usage_level: u32 => "cpu-usage-level",
        video_passthrough: bool => "video-passthrough",
        audio_passthrough: bool => "audio-passthrough",
    }
}

wit_record! {
    pub struct VideoConfig {
        latency_level: u32 => "latency-level",
        codec: String => "codec",
        variants: Vec<VideoVariant> => "variants",
    }
}

wit_record! {
    /// Fields left out stay as they are.
    pub struct VideoConfigUpdate {
        #[serde(skip_serializing_if = "Option::is_none")]
        latency_level: Option<u32> => "latency-level",
        #[serde(skip_serializing_if = "Option::is_none")]
        codec: Option<String> => "codec",
        #[serde(skip_serializing_if = "Option::is_none")]
        variants: Option<Vec<VideoVariant>> => "variants",
    }
}

wit_record! {
    pub struct BrowserPush {
        title: String => "title",
        body: String => "body",
        url: Option<String> => "url",
    }
}

wit_record! {
    pub struct UrlResult {
        url: String => "url",
    }
}

wit_record! {
    /// A button under the stream.
    pub struct ActionButton {
        url: String => "url",
        title: String => "title",
        description: Option<String> => "description",
        icon: Option<String> => "icon",
        color: Option<String> => "color",
        open_externally: bool => "open-externally",
        html: Option<String> => "html",
    }
}

/// Every event a plugin can subscribe to (WIT `event`).
///
/// JSON form: `{"eventType": "chat.message.received", "payload": {...}}`.
#[derive(Debug, Clone, PartialEq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum Event {
    #[component(name = "chat-message-received")]
    ChatMessageReceived(ChatMessage),
    #[component(name = "chat-user-joined")]
    ChatUserJoined(ChatUserEvent),
    #[component(name = "chat-user-parted")]
    ChatUserParted(ChatUserEvent),
    #[component(name = "chat-user-renamed")]
    ChatUserRenamed(NameChange),
    #[component(name = "chat-message-moderated")]
    ChatMessageModerated(MessageModeration),
    #[component(name = "stream-started")]
    StreamStarted(StreamInfo),
    #[component(name = "stream-stopped")]
    StreamStopped(StreamInfo),
    #[component(name = "stream-title-changed")]
    StreamTitleChanged(StreamTitleChange),
    #[component(name = "sse-connect")]
    SseConnect(SseConnection),
    #[component(name = "sse-disconnect")]
    SseDisconnect(SseConnection),
    #[component(name = "fediverse-follow")]
    FediverseFollow(FediverseEngagement),
    #[component(name = "fediverse-like")]
    FediverseLike(FediverseEngagement),
    #[component(name = "fediverse-repost")]
    FediverseRepost(FediverseEngagement),
    #[component(name = "fediverse-mention")]
    FediverseMention(FediverseEngagement),
    #[component(name = "fediverse-reply")]
    FediverseReply(FediverseEngagement),
    #[component(name = "custom")]
    Custom(CustomEvent),
}

/// What a filter decided (WIT `filter-result`).
#[derive(Debug, Clone, PartialEq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum FilterResult {
    #[component(name = "pass")]
    Pass,
    #[component(name = "modify")]
    Modify(Event),
    #[component(name = "drop")]
    Drop(String),
}

/// HTTP headers travel as a list of pairs in WIT and as an object in JSON.
mod header_object {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(h: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&str, &str> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        map.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Value {
            One(String),
            Many(Vec<String>),
        }
        let map: Option<BTreeMap<String, Value>> = Option::deserialize(d)?;
        let mut out = Vec::new();
        for (k, v) in map.unwrap_or_default() {
            match v {
                Value::One(v) => out.push((k, v)),
                Value::Many(vs) => out.extend(vs.into_iter().map(|v| (k.clone(), v))),
            }
        }
        Ok(out)
    }
}

// The `types` interface has no functions; these satisfy the shape `bindgen!`
// expects of a module named in its `with:` map.
#[doc(hidden)]
pub trait HostWithStore<T>: wasmtime::component::HasData {}
impl<H: ?Sized, T> HostWithStore<T> for H where H: wasmtime::component::HasData {}
#[doc(hidden)]
pub trait Host {}
impl<H: ?Sized> Host for H {}
#[doc(hidden)]
pub fn add_to_linker<T, D>(
    _linker: &mut wasmtime::component::Linker<T>,
    _host_getter: fn(&mut T) -> D::Data<'_>,
) -> wasmtime::Result<()>
where
    D: HostWithStore<T>,
    T: 'static,
{
    Ok(())
}
