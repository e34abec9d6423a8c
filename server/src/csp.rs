//! Everything served under `/plugins/<slug>/` runs in a sandbox of its own.
//!
//! Plugin pages are served on the same origin as the admin API, and browsers
//! cache HTTP Basic credentials per origin: a script on a plugin page could
//! call `/api/admin/...` and the browser would add the admin's password. An
//! Origin check alone cannot tell the real admin UI from a plugin page (both
//! are same-origin), and any token the admin UI can read, a same-origin
//! plugin script can read too. So the host takes the plugin's pages out of
//! the origin instead: every response in the plugin space carries
//!
//! ```text
//! Content-Security-Policy: sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; object-src 'none'; base-uri 'none'
//! X-Content-Type-Options: nosniff
//! ```
//!
//! The `sandbox` directive without `allow-same-origin` gives the document an
//! opaque origin: its requests to the admin API are cross-origin
//! (`Origin: null`, `Sec-Fetch-Site: cross-site`), which the admin API
//! refuses for anything that changes state ([`super::origin`]), and whose
//! answers the page cannot read (the admin API sends no CORS headers). It
//! cannot read the admin's cookies or storage, script a same-origin window,
//! or navigate the top-level page (no `allow-top-navigation`), and popups
//! stay sandboxed (no `allow-popups-to-escape-sandbox`).
//!
//! What a plugin may change: its manifest's `sandbox` list may add tokens
//! from [`EXTRA_SANDBOX_TOKENS`] (pointer lock, presentation, orientation
//! lock), never `allow-same-origin`, `allow-top-navigation*` or
//! `allow-popups-to-escape-sandbox`; its own `Content-Security-Policy`
//! header is passed on as a second policy, and browsers enforce both, so it
//! can only tighten. Nothing lifts the sandbox.
//!
//! A sandboxed page's requests to its own plugin are cross-origin too, so
//! answers to `Origin: null` requests get `Access-Control-Allow-Origin: *`
//! (unless the plugin set its own): browsers never send credentials with a
//! `*` answer, so this exposes only what any anonymous client can fetch.

use http::{header, HeaderMap, HeaderValue, Response};
use owncast_plugin_contract::manifest::EXTRA_SANDBOX_TOKENS;

/// The policy every plugin-space response carries (without a manifest's extra tokens).
pub const PLUGIN_CSP: &str =
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; object-src 'none'; base-uri 'none'";

/// The policy for a plugin whose manifest adds `extra` (already checked) tokens.
fn policy(extra: &[String]) -> HeaderValue {
    if extra.is_empty() {
        return HeaderValue::from_static(PLUGIN_CSP);
    }
    let (sandbox, rest) = PLUGIN_CSP.split_once(';').unwrap_or((PLUGIN_CSP, ""));
    let tokens: Vec<&str> = extra.iter().map(String::as_str).filter(|t| EXTRA_SANDBOX_TOKENS.contains(t)).collect();
    HeaderValue::from_str(&format!("{sandbox} {};{rest}", tokens.join(" ")))
        .unwrap_or(HeaderValue::from_static(PLUGIN_CSP))
}

/// Adds the sandbox policy (with the manifest's `extra` tokens), `nosniff`
/// and, for requests from a sandboxed document, the anonymous CORS grant.
pub(super) fn protect<B>(r: &mut Response<B>, request: &HeaderMap, extra: &[String]) {
    let h = r.headers_mut();
    h.append(header::CONTENT_SECURITY_POLICY, policy(extra));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let from_sandbox = request.get(header::ORIGIN).is_some_and(|o| o.as_bytes() == b"null");
    if from_sandbox && !h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use owncast_plugin_contract::manifest::check_extra_token;

    #[test]
    fn the_sandbox_never_allows_the_admin_origin() {
        for forbidden in ["allow-same-origin", "allow-top-navigation", "allow-popups-to-escape-sandbox"] {
            assert!(!PLUGIN_CSP.contains(forbidden), "{forbidden}");
        }
        let mut r = Response::new(());
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
        let mut req = HeaderMap::new();
        req.insert(header::ORIGIN, HeaderValue::from_static("null"));
        protect(&mut r, &req, &[]);
        let policies: Vec<_> = r.headers().get_all(header::CONTENT_SECURITY_POLICY).iter().collect();
        assert_eq!(policies, ["default-src 'none'", PLUGIN_CSP], "the plugin's own policy stays, as a second one");
        assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }

    #[test]
    fn a_manifest_adds_only_harmless_tokens() {
        assert_eq!(
            policy(&["allow-pointer-lock".into()]),
            "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads allow-pointer-lock; object-src 'none'; base-uri 'none'"
        );
        for t in [
            "allow-same-origin",
            "allow-top-navigation",
            "allow-top-navigation-by-user-activation",
            "allow-popups-to-escape-sandbox",
            "x",
        ] {
            assert!(check_extra_token(t).is_err(), "{t}");
        }
        assert!(check_extra_token("allow-same-origin").unwrap_err().contains("admin's origin"));
    }
}
