//! The request a plugin's `on_http_request` receives, built as upstream's
//! host builds it (`buildRequestEnvelope` in owncast/plugin-sdk):
//!
//! - `path` is the part after `/plugins/<slug>`, decoded, with its leading
//!   slash (`/api/x`; the plugin's root is `/`); a trailing slash is dropped
//!   (`/api/x/` → `/api/x`) so a handler matches one form.
//! - `query` is an object of name to the first value (`?a=1&a=2&b` →
//!   `{"a": "1", "b": ""}`), `+` and percent escapes decoded, without the
//!   `accessToken` parameter (Owncast's legacy token source).
//! - `headers` is an object of canonical name (`Content-Type`, `X-Demo`) to
//!   the first value, without credentials ([`headers::WITHHELD_REQUEST_HEADERS`]).
//!
//! Components get the same values as WIT records; legacy plugins get the JSON.

use super::headers;
use http::HeaderMap;

/// Query parameters a plugin never sees: Owncast's `accessToken` carries the
/// viewer's credential (the plugin gets the resolved `user` instead).
pub const WITHHELD_QUERY_PARAMS: &[&str] = &["accessToken"];

/// The plugin-facing `path` for `rel` (the decoded path after `/plugins/<slug>/`).
pub fn plugin_path(rel: &str) -> String {
    let trimmed = rel.trim_end_matches('/');
    format!("/{trimmed}")
}

/// The query string as name/value pairs, first value of each name, withheld
/// parameters left out.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let (k, v) = (form_decode(k), form_decode(v));
        if WITHHELD_QUERY_PARAMS.contains(&k.as_str()) || out.iter().any(|(seen, _)| *seen == k) {
            continue;
        }
        out.push((k, v));
    }
    out
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn form_decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

/// The request's headers as the plugin receives them: canonical names, the
/// first value of each, credentials withheld.
pub fn request_headers(h: &HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers::request_headers(h) {
        let name = canonical_header_name(&name);
        if !out.iter().any(|(seen, _)| *seen == name) {
            out.push((name, value));
        }
    }
    out
}

/// `content-type` → `Content-Type` (the MIME canonical form Go's net/http,
/// and so upstream's envelope, uses).
pub fn canonical_header_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() });
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_their_leading_slash() {
        assert_eq!(plugin_path(""), "/");
        assert_eq!(plugin_path("api/me"), "/api/me");
        assert_eq!(plugin_path("api/me/"), "/api/me");
        assert_eq!(plugin_path("/"), "/");
    }

    #[test]
    fn query_is_decoded_first_value_wins_and_access_token_is_withheld() {
        let q = query_pairs(Some("a=1&a=2&b&c=x+y%21&accessToken=secret&d=%E2%9C%93"));
        let want: Vec<(String, String)> = [("a", "1"), ("b", ""), ("c", "x y!"), ("d", "✓")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(q, want);
        assert!(query_pairs(None).is_empty());
        assert!(query_pairs(Some("accessToken=only")).is_empty());
    }

    #[test]
    fn header_names_are_canonical_and_credentials_withheld() {
        let mut h = HeaderMap::new();
        h.insert("x-demo", "hi".parse().unwrap());
        h.append("accept", "a".parse().unwrap());
        h.append("accept", "b".parse().unwrap());
        h.insert("cookie", "owncast_chat_token=secret".parse().unwrap());
        h.insert("authorization", "Basic x".parse().unwrap());
        let got = request_headers(&h);
        assert!(got.contains(&("X-Demo".into(), "hi".into())), "{got:?}");
        assert!(got.contains(&("Accept".into(), "a".into())), "{got:?}");
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(canonical_header_name("content-security-policy"), "Content-Security-Policy");
    }
}
