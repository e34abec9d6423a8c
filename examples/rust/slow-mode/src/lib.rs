//! Slow mode: a chat-message filter that drops a message when the same user
//! posted less than two seconds before.
//!
//! Shows a filter that keeps state in the plugin's key-value store
//! (permission `storage.kv`): key `last:<userId>` holds the time of the
//! user's last accepted message as epoch milliseconds, in decimal. The time
//! is the message's own RFC 3339 `timestamp` (the plugin's clock; the guest
//! clock may be frozen). Dropped messages do not restart the wait.

use owncast_plugin::{
    export_plugin, http, kv, manifest, plugin_log, time::rfc3339_to_unix_millis, Event,
    FilterResult, Guest, HttpRequest, HttpResponse, Registration,
};

/// Minimum time between two messages of one user.
const INTERVAL_MS: i64 = 2_000;

/// What to do with a message at `now` when the user's last accepted message
/// was at `last` (epoch milliseconds).
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// Let it through; `record` says whether `now` becomes the user's last time.
    Pass { record: bool },
    /// Too soon: the user has to wait this many more milliseconds.
    Drop { wait_ms: i64 },
}

fn decide(last: Option<i64>, now: i64) -> Decision {
    match last.map(|last| now - last) {
        Some(elapsed) if (0..INTERVAL_MS).contains(&elapsed) => Decision::Drop { wait_ms: INTERVAL_MS - elapsed },
        // Out of order (an older message arriving late): keep the newer time.
        Some(elapsed) if elapsed < 0 => Decision::Pass { record: false },
        _ => Decision::Pass { record: true },
    }
}

struct SlowMode;

impl Guest for SlowMode {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(_event: Event) {}

    fn on_filter(event: Event) -> FilterResult {
        let Event::ChatMessageReceived(message) = event else {
            return FilterResult::Pass;
        };
        let Some(now) = rfc3339_to_unix_millis(&message.timestamp) else {
            plugin_log!(warn, "message {} has no usable timestamp {:?}; letting it through", message.id, message.timestamp);
            return FilterResult::Pass;
        };
        let Some(user) = &message.user else {
            return FilterResult::Pass;
        };
        let key = format!("last:{}", user.id);
        let last = kv::get(&key).and_then(|v| v.trim().parse::<i64>().ok());
        match decide(last, now) {
            Decision::Drop { wait_ms } => FilterResult::Drop(format!(
                "slow-mode: {} must wait {}.{:03} s before posting again",
                user.display_name,
                wait_ms / 1000,
                wait_ms % 1000
            )),
            Decision::Pass { record } => {
                if record {
                    kv::set(&key, &now.to_string());
                }
                FilterResult::Pass
            }
        }
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(SlowMode);

#[cfg(test)]
mod tests {
    use super::{decide, Decision};

    #[test]
    fn decides() {
        assert_eq!(decide(None, 5_000), Decision::Pass { record: true });
        assert_eq!(decide(Some(5_000), 5_000), Decision::Drop { wait_ms: 2_000 });
        assert_eq!(decide(Some(5_000), 6_500), Decision::Drop { wait_ms: 500 });
        assert_eq!(decide(Some(5_000), 6_999), Decision::Drop { wait_ms: 1 });
        assert_eq!(decide(Some(5_000), 7_000), Decision::Pass { record: true });
        assert_eq!(decide(Some(5_000), 4_000), Decision::Pass { record: false });
    }
}
