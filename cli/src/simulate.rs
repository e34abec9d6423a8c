//! `owncast-plugin run`'s simulated chat: `POST /api/admin/simulate/chat`
//! (`{user, body}`, admin only) sends a viewer's message through the filter
//! chain and, unless a filter drops it, to the notification handlers, as
//! Owncast does with real chat. It stands in for Owncast's chat, which the
//! standalone host does not have, so plugins can be exercised end to end.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::types::{self, ChatMessage, ChatUser};
use owncast_plugin_host::Host;
use owncast_plugin_server::{error_response, ExtraRoutes};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub const CHAT_PATH: &str = "/api/admin/simulate/chat";

pub struct SimulatedChat {
    host: Arc<Host>,
    next: AtomicU64,
}

impl SimulatedChat {
    pub fn new(host: Arc<Host>) -> Self {
        SimulatedChat { host, next: AtomicU64::new(1) }
    }

    async fn say(&self, body: &Bytes) -> Response<Bytes> {
        let v: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return error_response(StatusCode::BAD_REQUEST, format!("body must be JSON {{user, body}}: {e}")),
        };
        let name = v["user"].as_str().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("viewer").to_string();
        let text = v["body"].as_str().unwrap_or_default().to_string();
        if text.trim().is_empty() {
            return error_response(StatusCode::BAD_REQUEST, "`body` is empty");
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let msg = ChatMessage {
            id: format!("sim-{n}"),
            user: Some(ChatUser {
                display_color: Some(owncast_plugin_testing::display_color(&format!("u-{id}"))),
                id: format!("u-{id}"),
                display_name: name,
                ..Default::default()
            }),
            body: text,
            timestamp: crate::serve::rfc3339(std::time::SystemTime::now()),
            client_id: Some(n),
        };
        let outcome = self.host.filter(Event::from(types::Event::ChatMessageReceived(msg))).await;
        let failed: Vec<String> = outcome
            .steps
            .iter()
            .filter_map(|s| if let StepResult::Failed(e) = &s.result { Some(format!("{}: {e}", s.slug)) } else { None })
            .collect();
        if outcome.dropped.is_none() {
            self.host.notify(&outcome.event).await;
        }
        let body = json!({
            "dropped": outcome.dropped.as_ref().map(|(by, reason)| json!({"by": by, "reason": reason})),
            "message": outcome.event.payload_json(),
            "failures": failed,
        });
        let mut r = Response::new(Bytes::from(body.to_string()));
        r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        r
    }
}

#[async_trait::async_trait]
impl ExtraRoutes for SimulatedChat {
    async fn route(&self, parts: &http::request::Parts, body: &Bytes, _remote: SocketAddr) -> Option<Response<Bytes>> {
        if parts.uri.path() != CHAT_PATH {
            return None;
        }
        // The server has already required admin authentication (an /api/admin path).
        if parts.method != Method::POST {
            return Some(error_response(StatusCode::METHOD_NOT_ALLOWED, "POST only"));
        }
        Some(self.say(body).await)
    }
}
