//! Write Owncast plugins in Rust.
//!
//! An Owncast plugin is a WebAssembly component of the world
//! `owncast:plugin/plugin@1.0.0` (the WIT files at the repository root, `wit/`).
//! This crate generates the bindings for that world and adds a little glue:
//!
//! * the host interfaces under short names: [`chat`], [`kv`], [`events`],
//!   [`log`], [`config`], [`server`], ... and the shared records in [`types`]
//!   (also re-exported at the crate root: [`Event`], [`FilterResult`],
//!   [`ChatMessage`], [`Registration`], ...);
//! * [`Guest`], the trait a plugin implements, and [`export_plugin!`], which
//!   exports an implementation as the component's `register`, `on-event`,
//!   `on-filter` and `on-http-request` (and writes a panic's message to
//!   stderr, which the host logs and puts in the failed call's error);
//! * [`manifest!`], which reads the plugin's `plugin.manifest.json` at compile
//!   time, so `register` returns exactly what the manifest says
//!   (`manifest!().registration()`): the manifest is the single source of
//!   truth for slug, version, permissions and subscriptions.
//!
//! ```ignore
//! use owncast_plugin::{chat, export_plugin, manifest, Event, FilterResult, Guest,
//!                      HttpRequest, HttpResponse, Registration};
//!
//! struct Echo;
//!
//! impl Guest for Echo {
//!     fn register() -> Registration { manifest!().registration() }
//!     fn on_event(event: Event) {
//!         if let Event::ChatMessageReceived(m) = event {
//!             let name = m.user.map(|u| u.display_name).unwrap_or_default();
//!             chat::send(&format!("{name} said: {}", m.body));
//!         }
//!     }
//!     fn on_filter(_: Event) -> FilterResult { FilterResult::Pass }
//!     fn on_http_request(_: HttpRequest) -> HttpResponse { owncast_plugin::http::not_found() }
//! }
//!
//! export_plugin!(Echo);
//! ```
//!
//! Only the host functions a plugin actually calls end up as imports of its
//! component, and the host links an import only when the manifest grants its
//! permission: calling `chat::send` needs `"chat.send"` in `permissions`.

// Lets the generated code and the exported macros name this crate the same
// way from inside it and from a plugin crate.
extern crate self as owncast_plugin;

/// The raw output of `wit_bindgen::generate!` for the world
/// `owncast:plugin/plugin@1.0.0` (with every WASI interface it depends on).
/// The re-exports at the crate root are the usual way in.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "owncast:plugin/plugin@1.0.0",
        // wasi:http/outgoing-handler pulls in wasi:http/types, wasi:io, wasi:clocks:
        // generate all of them here rather than depending on the `wasi` crate.
        generate_all,
        pub_export_macro: true,
        export_macro_name: "__export_plugin_raw",
        default_bindings_module: "::owncast_plugin::bindings",
        runtime_path: "::owncast_plugin::__private::wit_bindgen::rt",
    });
}

/// The raw output of `wit_bindgen::generate!` for the world
/// `owncast:plugin/page-content@1.0.0` (feature `page-content`); use
/// [`PageContent`] and [`export_page_content!`].
#[cfg(feature = "page-content")]
#[allow(missing_docs, clippy::all)]
pub mod page_bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "owncast:plugin/page-content@1.0.0",
        with: { "owncast:plugin/types@1.0.0": crate::bindings::owncast::plugin::types },
        pub_export_macro: true,
        export_macro_name: "__export_page_content_raw",
        default_bindings_module: "::owncast_plugin::page_bindings",
        runtime_path: "::owncast_plugin::__private::wit_bindgen::rt",
    });
}

/// Page content the plugin renders (feature `page-content`; upstream's
/// `onTabContent`, `onPageContent`, `onPageStyles`, `onPageScripts`): the
/// host calls these while it builds the viewer page. Tabs and the
/// `extraPageContent` slot the manifest declares without a `content` file are
/// rendered by [`PageContent::on_tab_content`] and
/// [`PageContent::on_page_content`] (HTML, sanitized by the host); with
/// `ui.modify` granted, [`PageContent::on_page_styles`] and
/// [`PageContent::on_page_scripts`] add CSS and JavaScript. Each answers `""`
/// (nothing) unless implemented. Export with [`export_page_content!`].
#[cfg(feature = "page-content")]
pub trait PageContent {
    fn on_tab_content(_request: types::ContentRequest) -> String {
        String::new()
    }
    fn on_page_content(_request: types::ContentRequest) -> String {
        String::new()
    }
    fn on_page_styles() -> String {
        String::new()
    }
    fn on_page_scripts() -> String {
        String::new()
    }
}

/// Exports a type implementing [`PageContent`] as the component's
/// `on-tab-content`, `on-page-content`, `on-page-styles` and
/// `on-page-scripts` (feature `page-content`), next to [`export_plugin!`].
#[cfg(feature = "page-content")]
#[macro_export]
macro_rules! export_page_content {
    ($plugin:ty) => {
        const _: () = {
            struct __OwncastPageExport;

            impl $crate::page_bindings::Guest for __OwncastPageExport {
                fn on_tab_content(request: $crate::types::ContentRequest) -> ::std::string::String {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::PageContent>::on_tab_content(request)
                }
                fn on_page_content(request: $crate::types::ContentRequest) -> ::std::string::String {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::PageContent>::on_page_content(request)
                }
                fn on_page_styles() -> ::std::string::String {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::PageContent>::on_page_styles()
                }
                fn on_page_scripts() -> ::std::string::String {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::PageContent>::on_page_scripts()
                }
            }

            $crate::page_bindings::__export_page_content_raw!(__OwncastPageExport with_types_in $crate::page_bindings);
        };
    };
}

pub use bindings::owncast::plugin::{
    chat, chat_history, chat_moderate, config, events, fediverse, fs, kv, log,
    notifications, server, sse, types, ui, upload, users, users_moderate, video_config,
};
/// WASI interfaces; outbound HTTP (`network.fetch`) is
/// [`wasi::http::outgoing_handler`], limited to the manifest's `network.allowedHosts`.
pub use bindings::wasi;
/// The exports of a plugin. Implement it and pass the type to [`export_plugin!`].
pub use bindings::Guest;
pub use types::{
    ActionButton, Broadcaster, BrowserPush, ChatClient, ChatMessage, ChatMessageModeration,
    ChatUser, ChatUserRename, CommandInfo, ContentRequest, CustomEvent, Event, FederationInfo, FediverseActor,
    FediverseAttachment, FediverseEngagement, FediverseNotification, FediversePost,
    FediverseTarget, FilterResult, FilterSubscription, HttpRequest, HttpResponse,
    NotifySubscription, OpResult, Registration, ServerInfo, SocialHandle, SseConnection,
    StreamInfo, StreamLifecycle, StreamTitleChange, StreamVariant, Subscriptions, UrlResult, User,
    VideoConfig, VideoConfigUpdate,
};

mod manifest;
pub mod time;

pub use manifest::{BotManifest, Manifest, ManifestError, SubscriptionsManifest};

#[doc(hidden)]
pub mod __private {
    pub use serde_json;
    pub use wit_bindgen;

    /// Writes a panic's message and place to stderr, on one line, before
    /// the panic aborts the call (the guest is built with `panic = "abort"`).
    /// The host logs it under the plugin's slug and puts it in the failed
    /// call's error, which the admin sees; it counts the trap as a failure
    /// (a filter fails open and earns a strike).
    pub fn install_panic_hook() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
                match info.location() {
                    Some(at) => eprintln!("panicked at {at}: {message}"),
                    None => eprintln!("panicked: {message}"),
                }
            }));
        });
    }
}

/// Exports a type implementing [`Guest`] as the plugin's component exports.
///
/// ```ignore
/// struct MyPlugin;
/// impl owncast_plugin::Guest for MyPlugin { /* ... */ }
/// owncast_plugin::export_plugin!(MyPlugin);
/// ```
///
/// Use it once per crate (the crate is a `cdylib` built for `wasm32-wasip2`).
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            struct __OwncastPluginExport;

            impl $crate::Guest for __OwncastPluginExport {
                fn register() -> $crate::Registration {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::Guest>::register()
                }
                fn on_event(event: $crate::Event) {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::Guest>::on_event(event)
                }
                fn on_filter(event: $crate::Event) -> $crate::FilterResult {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::Guest>::on_filter(event)
                }
                fn on_http_request(request: $crate::HttpRequest) -> $crate::HttpResponse {
                    $crate::__private::install_panic_hook();
                    <$plugin as $crate::Guest>::on_http_request(request)
                }
            }

            $crate::bindings::__export_plugin_raw!(__OwncastPluginExport with_types_in $crate::bindings);
        };
    };
}

/// The plugin's `plugin.manifest.json`, read at compile time and parsed once:
/// a `&'static` [`Manifest`].
///
/// `manifest!()` reads `plugin.manifest.json` next to the plugin's
/// `Cargo.toml`; `manifest!("path")` takes a path as `include_str!` does
/// (relative to the calling source file). An invalid manifest panics on first
/// use, which makes `register` fail and the host reject the plugin with the
/// message.
#[macro_export]
macro_rules! manifest {
    () => {
        $crate::manifest!(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.manifest.json"))
    };
    ($path:expr) => {{
        static MANIFEST: ::std::sync::OnceLock<$crate::Manifest> = ::std::sync::OnceLock::new();
        MANIFEST.get_or_init(|| match $crate::Manifest::parse(include_str!($path)) {
            Ok(manifest) => manifest,
            Err(err) => panic!("invalid plugin manifest {}: {}", $path, err),
        })
    }};
}

/// Writes a line to the host's log under the plugin's slug:
/// `plugin_log!(info, "user {} joined", name)`. Levels: `trace`, `debug`,
/// `info`, `warn`, `error`. Always allowed (no permission).
#[macro_export]
macro_rules! plugin_log {
    (trace, $($arg:tt)+) => { $crate::log::log($crate::log::Level::Trace, &format!($($arg)+)) };
    (debug, $($arg:tt)+) => { $crate::log::log($crate::log::Level::Debug, &format!($($arg)+)) };
    (info, $($arg:tt)+) => { $crate::log::log($crate::log::Level::Info, &format!($($arg)+)) };
    (warn, $($arg:tt)+) => { $crate::log::log($crate::log::Level::Warn, &format!($($arg)+)) };
    (error, $($arg:tt)+) => { $crate::log::log($crate::log::Level::Error, &format!($($arg)+)) };
}

impl Event {
    /// The event type string: the WIT case name with `-` replaced by `.`
    /// (`chat.message.received`), or a custom event's own type.
    pub fn event_type(&self) -> String {
        let name = match self {
            Event::ChatMessageReceived(_) => "chat.message.received",
            Event::ChatUserJoined(_) => "chat.user.joined",
            Event::ChatUserParted(_) => "chat.user.parted",
            Event::ChatUserRenamed(_) => "chat.user.renamed",
            Event::ChatMessageModerated(_) => "chat.message.moderated",
            Event::StreamStarted(_) => "stream.started",
            Event::StreamStopped(_) => "stream.stopped",
            Event::StreamTitleChanged(_) => "stream.title.changed",
            Event::SseConnect(_) => "sse.connect",
            Event::SseDisconnect(_) => "sse.disconnect",
            Event::FediverseFollow(_) => "fediverse.follow",
            Event::FediverseLike(_) => "fediverse.like",
            Event::FediverseRepost(_) => "fediverse.repost",
            Event::FediverseMention(_) => "fediverse.mention",
            Event::FediverseReply(_) => "fediverse.reply",
            Event::FediverseQuote(_) => "fediverse.quote",
            Event::Custom(custom) => return custom.event_type.clone(),
        };
        name.to_string()
    }
}

/// The custom event a matched chat command arrives as.
pub const CHAT_COMMAND: &str = "chat.command";

/// A chat command the host matched (upstream's `CommandEvent`): declare
/// commands in [`Registration::commands`]; each chat message the filters let
/// through that invokes one reaches `on_event` as [`Event::Custom`]
/// `chat.command` ([`Event::chat_command`]). No permission is needed.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatCommand {
    /// The chat message as Owncast sent it (upstream's `ChatMessage` JSON).
    pub message: serde_json::Value,
    /// The declared name (whatever alias was typed).
    pub command: String,
    /// The name or alias as the sender typed it.
    pub invoked_as: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Everything after the command word, trimmed.
    #[serde(default)]
    pub arg_string: String,
}

impl Event {
    /// The chat command this event delivers, if it is one.
    pub fn chat_command(&self) -> Option<ChatCommand> {
        match self {
            Event::Custom(c) if c.event_type == CHAT_COMMAND => serde_json::from_str(&c.payload_json).ok(),
            _ => None,
        }
    }
}

/// Emits a custom event with a payload serialized to JSON (permission
/// `events.emit`). Subscribers receive [`Event::Custom`] with this JSON text.
pub fn emit_json<T: serde::Serialize + ?Sized>(event_type: &str, payload: &T) {
    let json = serde_json::to_string(payload).expect("event payload serializes to JSON");
    events::emit(event_type, &json);
}

/// Small builders for [`HttpResponse`] (`on_http_request`, permission `http.serve`).
pub mod http {
    use crate::HttpResponse;

    /// A response with a status, a body and a `content-type`.
    pub fn response(status: u16, content_type: &str, body: impl Into<String>) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("content-type".to_string(), content_type.to_string())],
            body: body.into(),
        }
    }

    /// `200` with a plain-text body.
    pub fn text(body: impl Into<String>) -> HttpResponse {
        response(200, "text/plain; charset=utf-8", body)
    }

    /// `200` with a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> HttpResponse {
        let body = serde_json::to_string(value).expect("response serializes to JSON");
        response(200, "application/json", body)
    }

    /// `404 not found`: the answer of a plugin that serves no HTTP.
    pub fn not_found() -> HttpResponse {
        response(404, "text/plain; charset=utf-8", "not found")
    }
}
