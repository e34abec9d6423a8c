//! Capability links for plugins' admin pages.
//!
//! Plugin pages run sandboxed in an opaque origin ([`super::csp`]), so the
//! requests an admin page's script makes to its own plugin carry no
//! credentials (upstream's pattern: `fetch("./api/settings")` from
//! `/plugins/<slug>/admin/`). Instead of the admin's password, such a page
//! gets a capability in its URL: when the admin's browser navigates to an
//! admin page (GET with `Accept: text/html` and admin credentials), the host
//! redirects (307) to `/plugins/<slug>/~<token>/<path>`. Relative URLs in
//! the page keep the `~<token>` segment, and the host accepts it, for that
//! plugin's admin pages only, as admin authentication:
//!
//! - the token is an HMAC (SHA-256, a key made at start-up) of the slug and
//!   an expiry ([`LIFETIME`]); another plugin's pages, other sites and a
//!   restarted host cannot make or reuse one;
//! - it never authenticates anything else: not the admin API, not another
//!   plugin, not a path outside the plugin's admin pages;
//! - it is stripped before the plugin sees the path;
//! - being unguessable, it is also what stops cross-site requests, so a
//!   request carrying a valid one needs no `Origin` check, and the host
//!   answers CORS preflights for it (the page's origin is `null`).
//!
//! An expired link, opened as a page, redirects to the plain URL (which asks
//! for the password again); anything else with a bad token gets 401.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a capability link works.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The first character of a capability path segment.
pub const MARK: char = '~';

/// The host's key for capability links.
pub(crate) struct PageKeys {
    key: [u8; 32],
}

/// HMAC-SHA256 with a key of at most one block (64 bytes).
fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    debug_assert!(key.len() <= 64);
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new().chain_update(ipad).chain_update(msg).finalize();
    Sha256::new().chain_update(opad).chain_update(inner).finalize().into()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// What a `~<token>` segment says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Valid,
    Expired,
    Invalid,
}

impl PageKeys {
    pub(crate) fn new() -> Self {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).expect("system randomness");
        PageKeys { key }
    }

    fn mac(&self, slug: &str, expiry: u64) -> String {
        hex(&hmac(&self.key, format!("{slug}\n{expiry}").as_bytes())[..16])
    }

    /// A `~<token>` segment for `slug`'s admin pages.
    pub(crate) fn issue(&self, slug: &str) -> String {
        let expiry = now() + LIFETIME.as_secs();
        format!("{MARK}{expiry:x}-{}", self.mac(slug, expiry))
    }

    /// Checks a `~<token>` segment for `slug`.
    pub(crate) fn check(&self, slug: &str, segment: &str) -> Check {
        let Some((expiry, mac)) = segment.strip_prefix(MARK).and_then(|t| t.split_once('-')) else {
            return Check::Invalid;
        };
        let Ok(expiry) = u64::from_str_radix(expiry, 16) else { return Check::Invalid };
        let want = self.mac(slug, expiry);
        // Compared without an early exit.
        let same = want.len() == mac.len() && want.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        match (same, expiry >= now()) {
            (true, true) => Check::Valid,
            (true, false) => Check::Expired,
            _ => Check::Invalid,
        }
    }
}

/// The answer to a CORS preflight for a capability link (the page's origin
/// is `null`; `*` is added by [`super::csp`]).
pub(super) fn preflight(request: &HeaderMap) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"));
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS).filter(|v| v.len() <= 512) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_the_slug_key_and_time() {
        let keys = PageKeys::new();
        let t = keys.issue("a");
        assert!(t.starts_with('~'));
        assert_eq!(keys.check("a", &t), Check::Valid);
        assert_eq!(keys.check("b", &t), Check::Invalid, "another plugin");
        assert_eq!(PageKeys::new().check("a", &t), Check::Invalid, "another host (or a restart)");
        let mut forged = t.clone();
        forged.pop();
        forged.push(if t.ends_with('0') { '1' } else { '0' });
        assert_eq!(keys.check("a", &forged), Check::Invalid);
        let old = format!("~{:x}-{}", 1000, keys.mac("a", 1000));
        assert_eq!(keys.check("a", &old), Check::Expired);
        // A later expiry cannot be claimed: the MAC covers it.
        let (_, mac) = t.split_once('-').unwrap();
        assert_eq!(keys.check("a", &format!("~{:x}-{mac}", now() + 10 * LIFETIME.as_secs())), Check::Invalid);
        // RFC 4231, test case 1.
        assert_eq!(
            hex(&hmac(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }
}
