//! Profanity filter: a chat-message filter that masks listed words.
//!
//! Shows a filter (`subscriptions.filter`, permission `chat.filter`) that
//! answers `modify` with a changed copy of the message, or `pass` when there
//! is nothing to change. Words match whole and case-insensitively, so
//! "Heck!" becomes "****!" while "heckle" stays as it is.

use owncast_plugin::{
    export_plugin, http, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse,
    Registration,
};

/// Lowercase; a word of a message is masked when it equals one of these.
const WORDS: &[&str] = &["darn", "heck", "frick", "crud", "dang"];

/// The body with every listed word replaced by as many `*` as it has
/// characters, or `None` when nothing matched.
fn mask(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut word = String::new();
    let mut changed = false;
    let mut flush = |word: &mut String, out: &mut String| {
        if WORDS.contains(&word.to_lowercase().as_str()) {
            out.extend(std::iter::repeat('*').take(word.chars().count()));
            changed = true;
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in body.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    changed.then_some(out)
}

struct ProfanityFilter;

impl Guest for ProfanityFilter {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(_event: Event) {}

    fn on_filter(event: Event) -> FilterResult {
        let Event::ChatMessageReceived(mut message) = event else {
            return FilterResult::Pass;
        };
        match mask(&message.body) {
            Some(masked) => {
                message.body = masked;
                // A modify must carry the same event case it received.
                FilterResult::Modify(Event::ChatMessageReceived(message))
            }
            None => FilterResult::Pass,
        }
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(ProfanityFilter);

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_whole_words_only() {
        assert_eq!(mask("what the heck"), Some("what the ****".into()));
        assert_eq!(mask("Heck! DARN it, heck."), Some("****! **** it, ****.".into()));
        assert_eq!(mask("don't heckle me"), None);
        assert_eq!(mask("hello there"), None);
        assert_eq!(mask(""), None);
    }
}
