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

/// Whether `word` is one of [`WORDS`], ignoring case. An ASCII word (the
/// usual case) is compared in place; any other is lowercased first, since a
/// few non-ASCII letters lowercase to ASCII ones (the Kelvin sign to `k`).
fn listed(word: &str) -> bool {
    if word.is_ascii() {
        WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
    } else {
        WORDS.contains(&word.to_lowercase().as_str())
    }
}

/// The body with every listed word replaced by as many `*` as it has
/// characters, or `None` when nothing matched. A word is a run of
/// alphanumeric characters; the body is copied only once a word matches.
fn mask(body: &str) -> Option<String> {
    let mut out: Option<String> = None;
    // Bytes of `body` before this offset are in `out` already.
    let mut copied = 0;
    let mut word_start = None;
    let mut end_word = |start: usize, end: usize, out: &mut Option<String>| {
        let word = &body[start..end];
        if listed(word) {
            let o = out.get_or_insert_with(|| String::with_capacity(body.len()));
            o.push_str(&body[copied..start]);
            o.extend(std::iter::repeat('*').take(word.chars().count()));
            copied = end;
        }
    };
    for (i, c) in body.char_indices() {
        match (c.is_alphanumeric(), word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(start)) => {
                end_word(start, i, &mut out);
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = word_start {
        end_word(start, body.len(), &mut out);
    }
    out.map(|mut o| {
        o.push_str(&body[copied..]);
        o
    })
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
        assert_eq!(mask("crud"), Some("****".into()));
        assert_eq!(mask("é darn é"), Some("é **** é".into()));
        // Unicode case folding: the Kelvin sign lowercases to `k`.
        assert_eq!(mask("HEC\u{212A}!"), Some("****!".into()));
        assert_eq!(mask("dárn"), None);
    }
}
