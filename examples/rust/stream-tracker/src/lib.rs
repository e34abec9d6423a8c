//! Stream tracker: the JavaScript `stream-tracker` in Rust. It follows the
//! stream's lifecycle and who is in chat, and answers questions about them
//! from the read APIs (`server.read`):
//!
//! | event | what it does |
//! | --- | --- |
//! | `stream.started` | stores `startedAt` (KV); action message `announces the stream is live: <title>` |
//! | `stream.stopped` | clears it; action message `stream ended` |
//! | `stream.title.changed` | `title changed: "<previous>" → "<new>"` |
//! | `chat.user.joined` / `parted` / `renamed` | the display names in chat (KV `users`, a JSON list) |
//!
//! Commands (any case): `!uptime` (seconds live, counted to the message's
//! time, viewers, title), `!who`, `!server`.

use owncast_plugin::{
    chat, export_plugin, http, kv, manifest, server, time::rfc3339_to_unix_millis, ChatMessage, Event, FilterResult, Guest,
    HttpRequest, HttpResponse, Registration,
};

fn people() -> Vec<String> {
    kv::get("users").and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

fn set_people(list: &[String]) {
    kv::set("users", &serde_json::to_string(list).expect("a list of names serializes"));
}

fn uptime(msg: &ChatMessage) -> String {
    let stream = server::stream_current();
    if !stream.online {
        return "stream is offline".into();
    }
    let now = rfc3339_to_unix_millis(&msg.timestamp);
    let since = stream.started_at.as_deref().and_then(rfc3339_to_unix_millis);
    let seconds = match (now, since) {
        (Some(now), Some(since)) => (now - since).max(0) / 1000,
        _ => 0,
    };
    format!("uptime: {seconds}s, {} viewer(s), \"{}\"", stream.viewers, stream.title.unwrap_or_default())
}

fn command(msg: &ChatMessage) {
    let answer = match msg.body.trim().to_lowercase().as_str() {
        "!uptime" => uptime(msg),
        "!who" => {
            let list = people();
            if list.is_empty() {
                "no one's here yet".to_string()
            } else {
                format!("in chat: {}", list.join(", "))
            }
        }
        "!server" => {
            let info = server::server_info();
            format!(
                "{} v{}, {}",
                info.name.unwrap_or_default(),
                info.version.unwrap_or_default(),
                info.summary.unwrap_or_default()
            )
        }
        _ => return,
    };
    chat::send(&answer);
}

struct StreamTracker;

impl Guest for StreamTracker {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(event: Event) {
        match event {
            Event::StreamStarted(info) => {
                kv::set("startedAt", info.started_at.as_deref().unwrap_or(""));
                let title = match info.title.as_deref() {
                    Some(t) if !t.is_empty() => format!(": {t}"),
                    _ => String::new(),
                };
                chat::send_action(&format!("announces the stream is live{title}"));
            }
            Event::StreamStopped(_) => {
                kv::set("startedAt", "");
                chat::send_action("stream ended");
            }
            Event::StreamTitleChanged(change) => {
                chat::send(&format!("title changed: \"{}\" → \"{}\"", change.from, change.to));
            }
            Event::ChatUserJoined(user) => {
                let mut list = people();
                if !list.contains(&user.display_name) {
                    list.push(user.display_name);
                    set_people(&list);
                }
            }
            Event::ChatUserParted(user) => {
                let list: Vec<String> = people().into_iter().filter(|n| *n != user.display_name).collect();
                set_people(&list);
            }
            Event::ChatUserRenamed(change) => {
                let list: Vec<String> =
                    people().into_iter().map(|n| if n == change.previous_name { change.user.display_name.clone() } else { n }).collect();
                set_people(&list);
            }
            Event::ChatMessageReceived(msg) => command(&msg),
            _ => {}
        }
    }

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(StreamTracker);
