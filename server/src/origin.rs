//! Cross-site requests made with the admin's credentials.
//!
//! A browser adds cached Basic credentials to requests another site makes it
//! send (a form posting to `/api/admin/...`). So a request that changes state
//! (any method but GET, HEAD and OPTIONS) to the admin API or to a plugin's
//! admin page must show that it comes from a page of this origin:
//!
//! 1. `Sec-Fetch-Site`, when present (modern browsers over HTTPS or to
//!    localhost), must be `same-origin` (or `none`, a request the user made).
//! 2. Otherwise `Origin`, when present (browsers send it with every POST,
//!    PUT, PATCH and DELETE), must name this host: its host and port equal
//!    the request's `Host` (or HTTP/2 `:authority`, or `X-Forwarded-Host`
//!    set by a reverse proxy; a cross-site page cannot set that header
//!    without a CORS preflight, which the admin API never grants).
//!    `Origin: null` (a sandboxed document, such as every plugin page) is
//!    refused.
//! 3. A request with neither header is not from a browser page (curl,
//!    scripts, Owncast's own server-side calls) and passes.
//!
//! On top of that, the admin API only takes bodies a plain form cannot send:
//! `Content-Type: application/json` (an `.ocpkg` upload:
//! `application/zip` or `application/octet-stream`) on POST, PUT and PATCH,
//! even without a body. A cross-origin page can send those types only after
//! a preflight, which fails, so even a browser that sends neither header
//! above cannot forge one. Everything refused here gets 403.

use http::{header, HeaderMap, Method};

/// Whether the method may change state.
pub(super) fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a state-changing request looks cross-site, or `None` when it does not.
pub(super) fn cross_site(parts: &http::request::Parts) -> Option<String> {
    let h = &parts.headers;
    if let Some(site) = h.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        return (!matches!(site, "same-origin" | "none")).then(|| {
            format!("cross-site request refused (Sec-Fetch-Site: {site}); use the admin from this server's own pages")
        });
    }
    let origin = h.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("");
    if origin_matches(origin, parts) {
        return None;
    }
    Some(format!("cross-site request refused (Origin: {origin}); use the admin from this server's own pages"))
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
fn origin_matches(origin: &str, parts: &http::request::Parts) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let want = normalize(scheme, authority);
    let candidates = [
        parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        parts.uri.authority().map(|a| a.as_str()),
        parts.headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()),
    ];
    candidates.into_iter().flatten().any(|host| normalize(scheme, host.trim()) == want)
}

/// Lowercase, without the scheme's default port.
fn normalize(scheme: &str, authority: &str) -> String {
    let a = authority.to_ascii_lowercase();
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    match a.strip_suffix(default) {
        Some(stripped) if !default.is_empty() => stripped.to_string(),
        _ => a,
    }
}

/// For the admin API: why the request's content type is refused, or `None`.
/// `upload` is the package upload route.
pub(super) fn wrong_content_type(method: &Method, headers: &HeaderMap, upload: bool) -> Option<String> {
    if !matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        return None;
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let accepted: &[&str] =
        if upload { &["application/zip", "application/octet-stream"] } else { &["application/json"] };
    if accepted.contains(&essence.as_str()) {
        return None;
    }
    let shown = if ct.is_empty() { "none".to_string() } else { ct.chars().take(80).collect() };
    Some(format!("the admin API takes Content-Type {} here, not {shown}", accepted.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().method("POST").uri("/api/admin/plugins/x/disable");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn same_origin_passes_and_cross_site_does_not() {
        assert_eq!(cross_site(&parts(&[("host", "owncast.example")])), None, "no browser headers: not a browser page");
        assert_eq!(cross_site(&parts(&[("host", "owncast.example"), ("origin", "https://owncast.example")])), None);
        assert_eq!(cross_site(&parts(&[("host", "owncast.example:443"), ("origin", "https://OwnCast.example")])), None);
        assert_eq!(cross_site(&parts(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])), None);
        assert_eq!(
            cross_site(&parts(&[
                ("host", "127.0.0.1:8080"),
                ("x-forwarded-host", "owncast.example"),
                ("origin", "https://owncast.example")
            ])),
            None
        );
        assert_eq!(cross_site(&parts(&[("sec-fetch-site", "same-origin"), ("origin", "https://elsewhere")])), None);
        for bad in [
            vec![("host", "owncast.example"), ("origin", "https://evil.example")],
            vec![("host", "owncast.example"), ("origin", "null")],
            vec![("host", "owncast.example"), ("origin", "https://owncast.example.evil.example")],
            vec![("host", "owncast.example:8080"), ("origin", "http://owncast.example")],
            vec![("host", "owncast.example"), ("sec-fetch-site", "cross-site"), ("origin", "https://owncast.example")],
            vec![("sec-fetch-site", "same-site")],
        ] {
            assert!(cross_site(&parts(&bad)).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn only_json_or_a_package_type() {
        let h = |ct: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            m
        };
        assert_eq!(wrong_content_type(&Method::POST, &h("application/json; charset=utf-8"), false), None);
        assert_eq!(wrong_content_type(&Method::POST, &h("application/zip"), true), None);
        assert!(wrong_content_type(&Method::POST, &h("text/plain"), false).is_some());
        assert!(wrong_content_type(&Method::PUT, &h("application/x-www-form-urlencoded"), false).is_some());
        assert!(wrong_content_type(&Method::POST, &h("multipart/form-data; boundary=x"), true).is_some());
        assert!(wrong_content_type(&Method::POST, &HeaderMap::new(), false).is_some());
        assert_eq!(wrong_content_type(&Method::DELETE, &HeaderMap::new(), false), None);
    }
}
