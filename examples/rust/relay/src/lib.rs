//! Relay: turns `!announce <text>` chat messages into the custom event
//! `announcement.broadcast` with the JSON payload `{"by": <displayName>, "text": <text>}`.
//!
//! Shows plugins talking to each other through custom events (permission
//! `events.emit`): any plugin subscribed to `announcement.broadcast` (such as
//! the `announcer` example) receives the payload. The relay needs no chat
//! permission at all.

use owncast_plugin::{
    emit_json, export_plugin, http, manifest, Event, FilterResult, Guest, HttpRequest,
    HttpResponse, Registration,
};
use serde_json::json;

const COMMAND: &str = "!announce ";
const EVENT_TYPE: &str = "announcement.broadcast";

struct Relay;

impl Guest for Relay {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(event: Event) {
        let Event::ChatMessageReceived(message) = event else {
            return;
        };
        let Some(rest) = message.body.strip_prefix(COMMAND) else {
            return;
        };
        let text = rest.trim();
        if text.is_empty() {
            return;
        }
        emit_json(EVENT_TYPE, &json!({ "by": message.user.as_ref().map(|u| u.display_name.as_str()), "text": text }));
    }

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(Relay);
