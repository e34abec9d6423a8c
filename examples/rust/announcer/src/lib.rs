//! Announcer: posts each `announcement.broadcast` custom event to chat as
//! `📢 <text> (from <by>)`.
//!
//! Shows subscribing to a custom event (another plugin's, here the `relay`
//! example's) and reading its JSON payload: custom events arrive as
//! `Event::Custom` with the payload as JSON text. Sends with `chat.send`.

use owncast_plugin::{
    chat, export_plugin, http, manifest, plugin_log, Event, FilterResult, Guest, HttpRequest,
    HttpResponse, Registration,
};
use serde_json::Value;

const EVENT_TYPE: &str = "announcement.broadcast";

/// The chat line for an announcement payload `{"by", "text"}`; `None` when
/// there is no text.
fn announcement(payload: &Value) -> Option<String> {
    let text = payload.get("text")?.as_str()?.trim();
    if text.is_empty() {
        return None;
    }
    match payload.get("by").and_then(Value::as_str).map(str::trim) {
        Some(by) if !by.is_empty() => Some(format!("📢 {text} (from {by})")),
        _ => Some(format!("📢 {text}")),
    }
}

struct Announcer;

impl Guest for Announcer {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(event: Event) {
        let Event::Custom(custom) = event else {
            return;
        };
        if custom.event_type != EVENT_TYPE {
            return;
        }
        let mut payload: Value = match serde_json::from_str(&custom.payload_json) {
            Ok(payload) => payload,
            Err(err) => {
                plugin_log!(warn, "{EVENT_TYPE} payload is not JSON ({err}): {}", custom.payload_json);
                return;
            }
        };
        // Tolerate a payload that was JSON-encoded twice.
        if let Value::String(inner) = &payload {
            if let Ok(decoded) = serde_json::from_str(inner) {
                payload = decoded;
            }
        }
        match announcement(&payload) {
            Some(line) => chat::send(&line),
            None => plugin_log!(warn, "{EVENT_TYPE} without text: {}", custom.payload_json),
        }
    }

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(Announcer);

#[cfg(test)]
mod tests {
    use super::announcement;
    use serde_json::json;

    #[test]
    fn formats() {
        assert_eq!(announcement(&json!({"by": "alice", "text": "hi"})).as_deref(), Some("📢 hi (from alice)"));
        assert_eq!(announcement(&json!({"text": " hi "})).as_deref(), Some("📢 hi"));
        assert_eq!(announcement(&json!({"by": "", "text": "hi"})).as_deref(), Some("📢 hi"));
        assert_eq!(announcement(&json!({"by": "alice"})), None);
        assert_eq!(announcement(&json!({"by": "alice", "text": "  "})), None);
        assert_eq!(announcement(&json!("just a string")), None);
    }
}
