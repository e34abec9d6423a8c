//! Which headers cross the plugin boundary.
//!
//! Into the plugin: everything except credentials (`Authorization`,
//! `Cookie`, `Proxy-Authorization`): the plugin learns *whether* the request
//! was authenticated, never the admin's password or session.
//!
//! Out of the plugin: only [`ALLOWED_RESPONSE_HEADERS`]. That keeps out
//! `Set-Cookie` (a plugin must not set cookies on Owncast's origin),
//! hop-by-hop headers (`Connection`, `Transfer-Encoding`, ...), framing the
//! host owns (`Content-Length`), and proxy instructions such as
//! `X-Accel-Redirect` that a reverse proxy in front of Owncast would obey.

use http::{HeaderMap, HeaderName, HeaderValue};

/// Request headers a plugin never sees.
pub const WITHHELD_REQUEST_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// Response headers a plugin may set (lowercase).
pub const ALLOWED_RESPONSE_HEADERS: &[&str] = &[
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "access-control-max-age",
    "allow",
    "cache-control",
    "content-disposition",
    "content-language",
    "content-security-policy",
    "content-type",
    "etag",
    "expires",
    "last-modified",
    "link",
    "location",
    "referrer-policy",
    "retry-after",
    "vary",
    "x-content-type-options",
    "x-frame-options",
];

/// The request's headers as the plugin receives them.
pub fn request_headers(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter(|(name, _)| !WITHHELD_REQUEST_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, v)| v.to_str().ok().map(|v| (name.as_str().to_string(), v.to_string())))
        .collect()
}

/// The plugin's response headers that pass the allowlist, and the names of
/// those that did not (or whose value is not a valid header value).
pub fn response_headers(pairs: &[(String, String)]) -> (HeaderMap, Vec<String>) {
    let mut kept = HeaderMap::new();
    let mut dropped = Vec::new();
    for (name, value) in pairs {
        let lower = name.trim().to_ascii_lowercase();
        let ok = ALLOWED_RESPONSE_HEADERS.contains(&lower.as_str());
        match (ok, HeaderName::from_bytes(lower.as_bytes()), HeaderValue::from_str(value)) {
            (true, Ok(n), Ok(v)) => {
                kept.append(n, v);
            }
            _ => dropped.push(name.clone()),
        }
    }
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist() {
        let pairs: Vec<(String, String)> = [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "a=b"),
            ("Connection", "close"),
            ("Transfer-Encoding", "chunked"),
            ("X-Accel-Redirect", "/etc/passwd"),
            ("Cache-Control", "max-age=60"),
            ("Location", "bad\r\nvalue"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (kept, dropped) = response_headers(&pairs);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept["content-type"], "text/html");
        assert_eq!(dropped, ["Set-Cookie", "Connection", "Transfer-Encoding", "X-Accel-Redirect", "Location"]);
    }
}
