//! The records of the WIT `types` interface, as Rust values.
//!
//! Each type has two encodings: the component model's (derived with
//! `ComponentType`/`Lift`/`Lower` under the `component-model` feature, which
//! the runtime turns on; field names as in `wit/types.wit`) and the
//! legacy JSON shape (serde, camelCase) that Extism plugins, scenario files and
//! the JS SDK use. `bindgen!` maps `owncast:plugin/types` onto this module, so a
//! component and a legacy plugin see the same values. `tests::wit_pins_json`
//! checks field by field that both encodings name the same fields.

use serde::{Deserialize, Serialize};
#[cfg(feature = "component-model")]
use wasmtime::component::{ComponentType, Lift, Lower};

macro_rules! wit_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $wit:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[cfg_attr(feature = "component-model", derive(ComponentType, Lift, Lower), component(record))]
        #[serde(rename_all = "camelCase", default)]
        pub struct $name {
            $( $(#[$fmeta])* #[cfg_attr(feature = "component-model", component(name = $wit))] #[serde(skip_serializing_if = "SkipJson::skip_json")] pub $field: $ty, )*
        }

        impl SkipJson for $name {}

        impl KnownKeys for $name {
            fn unknown_key(v: &serde_json::Value, at: &str) -> Option<String> {
                for (k, val) in v.as_object()? {
                    $(
                        if *k == crate::contract::camel($wit) {
                            match <$ty as KnownKeys>::unknown_key(val, &format!("{at}.{k}")) {
                                Some(e) => return Some(e),
                                None => continue,
                            }
                        }
                    )*
                    return Some(format!("{at}.{k}"));
                }
                None
            }
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

/// Whether a field is left out of the JSON form: exactly the WIT `option`
/// fields that are none (as upstream's `omitempty` fields are left out);
/// every other field is always written.
pub trait SkipJson {
    fn skip_json(&self) -> bool {
        false
    }
}

impl<T> SkipJson for Option<T> {
    fn skip_json(&self) -> bool {
        self.is_none()
    }
}

/// Finds JSON keys a record does not have, where they would otherwise be
/// ignored (scenario files, whose unknown keys are errors naming their path).
pub trait KnownKeys {
    /// The path (from `at`) of the first key in `v` that `Self`'s JSON form
    /// (or a record inside it) does not have; values of the wrong type are
    /// left to deserialization.
    fn unknown_key(_v: &serde_json::Value, _at: &str) -> Option<String> {
        None
    }
}

impl<T: KnownKeys> KnownKeys for Option<T> {
    fn unknown_key(v: &serde_json::Value, at: &str) -> Option<String> {
        T::unknown_key(v, at)
    }
}

impl<T: KnownKeys> KnownKeys for Vec<T> {
    fn unknown_key(v: &serde_json::Value, at: &str) -> Option<String> {
        v.as_array()?.iter().enumerate().find_map(|(i, e)| T::unknown_key(e, &format!("{at}[{i}]")))
    }
}

macro_rules! no_keys {
    ($($t:ty),*) => { $( impl KnownKeys for $t {} )* };
}
no_keys!(String, bool, u16, u32, u64, i32, i64, (String, String));

macro_rules! never_skipped {
    ($($t:ty),*) => { $( impl SkipJson for $t {} )* };
}
never_skipped!(String, bool, u16, u32, u64, i32, i64);
impl<T> SkipJson for Vec<T> {}

#[allow(non_upper_case_globals)]
pub(crate) mod kebab_names {
    pub const ChatUser: &str = "chat-user";
    pub const ChatMessage: &str = "chat-message";
    pub const ChatUserRename: &str = "chat-user-rename";
    pub const ChatMessageModeration: &str = "chat-message-moderation";
    pub const StreamLifecycle: &str = "stream-lifecycle";
    pub const StreamTitleChange: &str = "stream-title-change";
    pub const SseConnection: &str = "sse-connection";
    pub const FediverseActor: &str = "fediverse-actor";
    pub const FediverseTarget: &str = "fediverse-target";
    pub const FediverseEngagement: &str = "fediverse-engagement";
    pub const FediverseAttachment: &str = "fediverse-attachment";
    pub const FediversePost: &str = "fediverse-post";
    pub const FediverseQuote: &str = "fediverse-quote";
    pub const CustomEvent: &str = "custom-event";
    pub const NotifySubscription: &str = "notify-subscription";
    pub const FilterSubscription: &str = "filter-subscription";
    pub const Subscriptions: &str = "subscriptions";
    pub const Registration: &str = "registration";
    pub const CommandInfo: &str = "command-info";
    pub const ContentRequest: &str = "content-request";
    pub const HttpRequest: &str = "http-request";
    pub const HttpResponse: &str = "http-response";
    pub const OpResult: &str = "op-result";
    pub const User: &str = "user";
    pub const ChatClient: &str = "chat-client";
    pub const StreamInfo: &str = "stream-info";
    pub const Broadcaster: &str = "broadcaster";
    pub const ServerInfo: &str = "server-info";
    pub const SocialHandle: &str = "social-handle";
    pub const Emote: &str = "emote";
    pub const FederationInfo: &str = "federation-info";
    pub const StreamVariant: &str = "stream-variant";
    pub const VideoConfig: &str = "video-config";
    pub const VideoConfigUpdate: &str = "video-config-update";
    pub const BrowserPush: &str = "browser-push";
    pub const FediverseNotification: &str = "fediverse-notification";
    pub const UrlResult: &str = "url-result";
    pub const ActionButton: &str = "action-button";
}

wit_record! {
    /// A chat participant as chat events carry it (upstream `ChatUser`).
    pub struct ChatUser {
        id: String => "id",
        display_name: String => "display-name",
        is_bot: Option<bool> => "is-bot",
        is_authenticated: Option<bool> => "is-authenticated",
        scopes: Option<Vec<String>> => "scopes",
        display_color: Option<u32> => "display-color",
        previous_names: Option<Vec<String>> => "previous-names",
        created_at: Option<String> => "created-at",
        disabled_at: Option<String> => "disabled-at",
    }
}

wit_record! {
    /// `chat.message.received`, and `chat.history` entries.
    pub struct ChatMessage {
        id: String => "id",
        user: Option<ChatUser> => "user",
        client_id: Option<u64> => "client-id",
        body: String => "body",
        timestamp: String => "timestamp",
    }
}

wit_record! {
    /// `chat.user.renamed`.
    pub struct ChatUserRename {
        user: ChatUser => "user",
        previous_name: String => "previous-name",
    }
}

wit_record! {
    /// `chat.message.moderated`.
    pub struct ChatMessageModeration {
        message_id: String => "message-id",
        visible: bool => "visible",
        moderator: Option<ChatUser> => "moderator",
    }
}

wit_record! {
    /// `stream.started`, `stream.stopped`.
    pub struct StreamLifecycle {
        started_at: Option<String> => "started-at",
        stopped_at: Option<String> => "stopped-at",
        title: Option<String> => "title",
        summary: Option<String> => "summary",
    }
}

wit_record! {
    /// `stream.title.changed`.
    pub struct StreamTitleChange {
        from: String => "from",
        to: String => "to",
    }
}

wit_record! {
    /// `sse.connect`, `sse.disconnect`.
    pub struct SseConnection {
        channel: String => "channel",
        connection_id: u64 => "connection-id",
        user: Option<ChatUser> => "user",
    }
}

wit_record! {
    pub struct FediverseActor {
        name: String => "name",
        handle: String => "handle",
        url: Option<String> => "url",
        image: Option<String> => "image",
    }
}

wit_record! {
    pub struct FediverseTarget {
        url: String => "url",
    }
}

wit_record! {
    /// `fediverse.follow`, `fediverse.like`, `fediverse.repost`.
    pub struct FediverseEngagement {
        actor: FediverseActor => "actor",
        target: Option<FediverseTarget> => "target",
    }
}

wit_record! {
    pub struct FediverseAttachment {
        url: String => "url",
        media_type: String => "media-type",
        alt: Option<String> => "alt",
    }
}

wit_record! {
    /// `fediverse.mention`, `fediverse.reply`.
    pub struct FediversePost {
        actor: FediverseActor => "actor",
        content: String => "content",
        content_text: String => "content-text",
        url: String => "url",
        posted_at: String => "posted-at",
        in_reply_to: Option<String> => "in-reply-to",
        attachments: Option<Vec<FediverseAttachment>> => "attachments",
        language: Option<String> => "language",
    }
}

wit_record! {
    /// `fediverse.quote`.
    pub struct FediverseQuote {
        actor: FediverseActor => "actor",
        target: FediverseTarget => "target",
        url: String => "url",
        content: Option<String> => "content",
        content_text: Option<String> => "content-text",
        posted_at: Option<String> => "posted-at",
        in_reply_to: Option<String> => "in-reply-to",
        attachments: Option<Vec<FediverseAttachment>> => "attachments",
        language: Option<String> => "language",
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
        commands: Option<Vec<CommandInfo>> => "commands",
    }
}

wit_record! {
    /// A chat command the plugin answers (upstream's `CommandInfo`). The host
    /// matches accepted chat messages against it and delivers `chat.command`.
    pub struct CommandInfo {
        name: String => "name",
        prefix: Option<String> => "prefix",
        description: Option<String> => "description",
        usage: Option<String> => "usage",
        aliases: Option<Vec<String>> => "aliases",
        mod_only: Option<bool> => "mod-only",
        case_sensitive: Option<bool> => "case-sensitive",
        cooldown_ms: Option<u64> => "cooldown-ms",
    }
}

wit_record! {
    /// What a tab or page-slot export renders (upstream's `ContentRequest`):
    /// the tab's or slot's slug and the viewer, when known.
    pub struct ContentRequest {
        slug: String => "slug",
        user: Option<ChatUser> => "user",
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
        user: Option<ChatUser> => "user",
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
    /// A user record (upstream `HostUser`).
    pub struct User {
        id: String => "id",
        display_name: String => "display-name",
        previous_names: Option<Vec<String>> => "previous-names",
        created_at: Option<String> => "created-at",
        disabled_at: Option<String> => "disabled-at",
        scopes: Option<Vec<String>> => "scopes",
        is_bot: Option<bool> => "is-bot",
        is_authenticated: Option<bool> => "is-authenticated",
        display_color: Option<u32> => "display-color",
    }
}

wit_record! {
    /// A connected chat session (upstream `HostChatClient`).
    pub struct ChatClient {
        id: u64 => "id",
        user_id: Option<String> => "user-id",
        display_name: Option<String> => "display-name",
        connected_at: Option<String> => "connected-at",
        user_agent: Option<String> => "user-agent",
        ip_address: Option<String> => "ip-address",
        message_count: u32 => "message-count",
    }
}

wit_record! {
    /// The live stream (upstream `StreamInfo`).
    pub struct StreamInfo {
        online: bool => "online",
        title: Option<String> => "title",
        summary: Option<String> => "summary",
        viewers: u32 => "viewers",
        started_at: Option<String> => "started-at",
        latency_level: Option<u32> => "latency-level",
    }
}

wit_record! {
    /// The inbound broadcast (upstream `StreamBroadcaster`).
    pub struct Broadcaster {
        remote_addr: Option<String> => "remote-addr",
        codecs: Option<Vec<String>> => "codecs",
        resolution: Option<String> => "resolution",
        framerate: Option<u32> => "framerate",
        bitrates: Option<Vec<u32>> => "bitrates",
    }
}

wit_record! {
    pub struct ServerInfo {
        name: Option<String> => "name",
        url: Option<String> => "url",
        summary: Option<String> => "summary",
        welcome_message: Option<String> => "welcome-message",
        version: Option<String> => "version",
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
    /// A custom chat emote (upstream `Emote`): the name chat clients replace
    /// and the URL of its image.
    pub struct Emote {
        name: String => "name",
        url: String => "url",
    }
}

wit_record! {
    pub struct FederationInfo {
        enabled: bool => "enabled",
        username: Option<String> => "username",
        is_private: Option<bool> => "is-private",
    }
}

wit_record! {
    /// One output rendition (upstream `StreamVariant`).
    pub struct StreamVariant {
        width: u32 => "width",
        height: u32 => "height",
        framerate: u32 => "framerate",
        video_bitrate: u32 => "video-bitrate",
        audio_bitrate: Option<u32> => "audio-bitrate",
        is_passthrough: bool => "is-passthrough",
        cpu_usage_level: Option<u32> => "cpu-usage-level",
    }
}

wit_record! {
    pub struct VideoConfig {
        latency_level: u32 => "latency-level",
        codec: String => "codec",
        variants: Vec<StreamVariant> => "variants",
        autoplay: Option<String> => "autoplay",
    }
}

wit_record! {
    /// Fields left out stay as they are.
    pub struct VideoConfigUpdate {
        latency_level: Option<u32> => "latency-level",
        codec: Option<String> => "codec",
        variants: Option<Vec<StreamVariant>> => "variants",
        autoplay: Option<String> => "autoplay",
    }
}

wit_record! {
    pub struct BrowserPush {
        title: String => "title",
        body: Option<String> => "body",
        url: Option<String> => "url",
    }
}

wit_record! {
    /// A fediverse notification (upstream `FediversePayload`).
    pub struct FediverseNotification {
        #[serde(rename = "type")]
        kind: String => "type",
        body: String => "body",
        image: Option<String> => "image",
        link: Option<String> => "link",
    }
}

wit_record! {
    pub struct UrlResult {
        url: String => "url",
    }
}

wit_record! {
    /// A button under the stream: exactly one of `url` and `html`.
    pub struct ActionButton {
        title: String => "title",
        url: Option<String> => "url",
        html: Option<String> => "html",
        icon: Option<String> => "icon",
        color: Option<String> => "color",
        description: Option<String> => "description",
        open_externally: Option<bool> => "open-externally",
    }
}

/// Every event a plugin can subscribe to (WIT `event`).
///
/// JSON form: `{"eventType": "chat.message.received", "payload": {...}}`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "component-model", derive(ComponentType, Lift, Lower), component(variant))]
pub enum Event {
    #[cfg_attr(feature = "component-model", component(name = "chat-message-received"))]
    ChatMessageReceived(ChatMessage),
    #[cfg_attr(feature = "component-model", component(name = "chat-user-joined"))]
    ChatUserJoined(ChatUser),
    #[cfg_attr(feature = "component-model", component(name = "chat-user-parted"))]
    ChatUserParted(ChatUser),
    #[cfg_attr(feature = "component-model", component(name = "chat-user-renamed"))]
    ChatUserRenamed(ChatUserRename),
    #[cfg_attr(feature = "component-model", component(name = "chat-message-moderated"))]
    ChatMessageModerated(ChatMessageModeration),
    #[cfg_attr(feature = "component-model", component(name = "stream-started"))]
    StreamStarted(StreamLifecycle),
    #[cfg_attr(feature = "component-model", component(name = "stream-stopped"))]
    StreamStopped(StreamLifecycle),
    #[cfg_attr(feature = "component-model", component(name = "stream-title-changed"))]
    StreamTitleChanged(StreamTitleChange),
    #[cfg_attr(feature = "component-model", component(name = "sse-connect"))]
    SseConnect(SseConnection),
    #[cfg_attr(feature = "component-model", component(name = "sse-disconnect"))]
    SseDisconnect(SseConnection),
    #[cfg_attr(feature = "component-model", component(name = "fediverse-follow"))]
    FediverseFollow(FediverseEngagement),
    #[cfg_attr(feature = "component-model", component(name = "fediverse-like"))]
    FediverseLike(FediverseEngagement),
    #[cfg_attr(feature = "component-model", component(name = "fediverse-repost"))]
    FediverseRepost(FediverseEngagement),
    #[cfg_attr(feature = "component-model", component(name = "fediverse-mention"))]
    FediverseMention(FediversePost),
    #[cfg_attr(feature = "component-model", component(name = "fediverse-reply"))]
    FediverseReply(FediversePost),
    #[cfg_attr(feature = "component-model", component(name = "fediverse-quote"))]
    FediverseQuote(FediverseQuote),
    #[cfg_attr(feature = "component-model", component(name = "custom"))]
    Custom(CustomEvent),
}

/// What a filter decided (WIT `filter-result`).
// Lowered by value into and lifted out of guests; a filter's result lives for one call.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "component-model", derive(ComponentType, Lift, Lower), component(variant))]
pub enum FilterResult {
    #[cfg_attr(feature = "component-model", component(name = "pass"))]
    Pass,
    #[cfg_attr(feature = "component-model", component(name = "modify"))]
    Modify(Event),
    #[cfg_attr(feature = "component-model", component(name = "drop"))]
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
#[cfg(feature = "component-model")]
#[doc(hidden)]
pub trait HostWithStore<T>: wasmtime::component::HasData {}
#[cfg(feature = "component-model")]
impl<H: ?Sized, T> HostWithStore<T> for H where H: wasmtime::component::HasData {}
#[cfg(feature = "component-model")]
#[doc(hidden)]
pub trait Host {}
#[cfg(feature = "component-model")]
impl<H: ?Sized> Host for H {}
#[cfg(feature = "component-model")]
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

/// Upstream's `UserRegisterRequest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRegistration {
    #[serde(default)]
    pub auth_id: String,
    /// Optional and nullable: empty (absent or `null`) lets the host name the user.
    #[serde(default, deserialize_with = "null_is_empty", skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub profile_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub handle: String,
    #[serde(default, rename = "public")]
    pub is_public: bool,
}

fn null_is_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}
