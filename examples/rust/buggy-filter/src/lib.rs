//! Buggy filter: a chat-message filter that panics on every call.
//!
//! A panic aborts the call: the component traps. The host treats a filter
//! that traps (or throws, or runs past its deadline) as `pass` -- the
//! message goes on unchanged ("fail open") -- and gives the plugin a strike;
//! after a run of consecutive strikes it disables the plugin and tells the
//! admin why. The SDK's panic hook first writes the panic message to the
//! plugin's log.

use owncast_plugin::{
    export_plugin, http, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse,
    Registration,
};

struct BuggyFilter;

impl Guest for BuggyFilter {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(_event: Event) {}

    fn on_filter(event: Event) -> FilterResult {
        let Event::ChatMessageReceived(message) = event else {
            return FilterResult::Pass;
        };
        let words: Vec<&str> = message.body.split_whitespace().collect();
        // The bug: the last word is `words[words.len() - 1]`. Indexing one
        // past the end panics on every message, empty or not.
        let last = words[words.len()];
        if last.eq_ignore_ascii_case("spam") {
            FilterResult::Drop("buggy-filter: message ends in spam".to_string())
        } else {
            FilterResult::Pass
        }
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(BuggyFilter);
