//! The admin Plugins page: plain HTML, CSS and JavaScript shipped in the
//! crate (no build step), served at [`PAGE_PATH`] behind the admin
//! authentication of the admin API, and the admin API routes only the page
//! needs:
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /admin/plugins/` (+ `app.js`, `app.css`) | the page |
//! | `GET /api/admin/plugins/_events` | server-sent events: `plugins` with the list (as `GET /api/admin/plugins` answers it) whenever it changes |
//! | `GET /api/admin/plugins/<slug>/instructions/rendered` | `{html}`: its `INSTRUCTIONS.md` rendered (pulldown-cmark) and sanitized (ammonia); the raw file stays at upstream's `.../instructions` |
//!
//! The page uses relative URLs only, renders into one root element
//! (`#owncast-plugins-admin`) and scopes every style under it, so Owncast
//! can mount it inside its own admin. Every plugin-supplied string is set as
//! text (never as HTML), except the sanitized instructions; the page's
//! Content-Security-Policy allows no inline or foreign script besides.

use super::{error_response, Reply, ResponseBody};
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use owncast_plugin_manager::PluginManager;
use std::sync::Arc;
use std::time::Duration;

/// Where the page lives.
pub const PAGE_PATH: &str = "/admin/plugins/";

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

/// How often the event stream looks for changes (state, strikes, metrics).
const POLL: Duration = Duration::from_millis(500);
/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'none'; frame-ancestors 'self'; base-uri 'none'";

/// Whether `path` is the page or one of its files.
pub fn is_page_path(path: &str) -> bool {
    path == PAGE_PATH.trim_end_matches('/') || path.starts_with(PAGE_PATH)
}

/// Serves the page's files.
pub(super) fn serve(path: &str, method: &http::Method) -> Response<Bytes> {
    if *method != http::Method::GET && *method != http::Method::HEAD {
        return super::method_not_allowed("GET, HEAD");
    }
    let (body, ty) = match path.strip_prefix(PAGE_PATH) {
        None => {
            let mut r = Response::new(Bytes::new());
            *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
            r.headers_mut().insert(header::LOCATION, HeaderValue::from_static(PAGE_PATH));
            return r;
        }
        Some("" | "index.html") => (INDEX, "text/html; charset=utf-8"),
        Some("app.js") => (APP_JS, "text/javascript; charset=utf-8"),
        Some("app.css") => (APP_CSS, "text/css; charset=utf-8"),
        Some(other) => {
            return error_response(
                StatusCode::NOT_FOUND,
                format!("the plugins page has no file `{}`", super::truncate(other, 80)),
            )
        }
    };
    let mut r = Response::new(Bytes::from_static(body.as_bytes()));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    r
}

/// Markdown to HTML that is safe to put in the admin's page: rendered by
/// pulldown-cmark, then cleaned by ammonia (no script, no event handlers, no
/// `javascript:` URLs, no styles; links open without the opener).
pub fn render_markdown(md: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut raw = String::with_capacity(md.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

/// Largest `INSTRUCTIONS.md` rendered.
const MAX_INSTRUCTIONS_BYTES: u64 = 256 << 10;

/// `GET /api/admin/plugins/<slug>/instructions`.
pub(super) fn instructions(m: &PluginManager, slug: &str) -> Response<Bytes> {
    let assets = m.host().get(slug).map(|p| p.assets.clone()).or_else(|| m.assets(slug));
    let Some(assets) = assets else {
        return error_response(StatusCode::NOT_FOUND, format!("no plugin `{slug}`"));
    };
    let Some(file) = assets.instructions else {
        return super::json_response(StatusCode::OK, &serde_json::json!({ "html": null }));
    };
    let text = match std::fs::metadata(&file) {
        Ok(md) if md.len() > MAX_INSTRUCTIONS_BYTES => {
            return error_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "plugin `{slug}`: INSTRUCTIONS.md is {} bytes; the limit is {MAX_INSTRUCTIONS_BYTES}",
                    md.len()
                ),
            )
        }
        _ => match std::fs::read(&file) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                tracing::warn!(plugin = %slug, "reading INSTRUCTIONS.md: {e}");
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("plugin `{slug}`: INSTRUCTIONS.md could not be read"),
                );
            }
        },
    };
    super::json_response(StatusCode::OK, &serde_json::json!({ "html": render_markdown(&text) }))
}

/// `GET /api/admin/plugins/_events`: the list now, then again whenever it
/// changes (an admin action, a folder rescan, strikes, metrics).
pub(super) fn events(m: Arc<PluginManager>) -> Reply {
    struct S {
        m: Arc<PluginManager>,
        last: Option<Vec<u8>>,
        ticker: tokio::time::Interval,
        quiet_since: tokio::time::Instant,
    }
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let s = S { m, last: None, ticker, quiet_since: tokio::time::Instant::now() };
    let stream = futures::stream::unfold(s, |mut s| async move {
        loop {
            s.ticker.tick().await;
            let now = serde_json::to_vec(&super::admin::list_value(&s.m)).unwrap_or_default();
            if s.last.as_ref() != Some(&now) {
                let mut frame = Vec::with_capacity(now.len() + 32);
                frame.extend_from_slice(b"event: plugins\ndata: ");
                frame.extend_from_slice(&now);
                frame.extend_from_slice(b"\n\n");
                s.last = Some(now);
                s.quiet_since = tokio::time::Instant::now();
                return Some((Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(frame))), s));
            }
            if s.quiet_since.elapsed() >= KEEP_ALIVE {
                s.quiet_since = tokio::time::Instant::now();
                return Some((Ok(Frame::data(Bytes::from_static(b": keep-alive\n\n"))), s));
            }
        }
    });
    let mut r: Response<ResponseBody> = Response::new(StreamBody::new(stream).boxed_unsync());
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Reply::Stream(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitized() {
        let html = render_markdown(
            "# Setup\n\nSet **greeting**. <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) [ok](https://owncast.online)",
        );
        assert!(html.contains("<h1>Setup</h1>"), "{html}");
        assert!(html.contains("<strong>greeting</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://owncast.online\""), "{html}");
        assert!(html.contains("noopener"), "{html}");
    }

    #[test]
    fn page_files() {
        let r = serve("/admin/plugins/", &http::Method::GET);
        assert_eq!(r.status(), 200);
        let body = String::from_utf8(r.body().to_vec()).unwrap();
        assert!(body.contains("id=\"owncast-plugins-admin\""));
        assert!(r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
        assert_eq!(serve("/admin/plugins", &http::Method::GET).status(), 308);
        assert_eq!(serve("/admin/plugins/app.js", &http::Method::GET).status(), 200);
        assert_eq!(serve("/admin/plugins/nope", &http::Method::GET).status(), 404);
        assert_eq!(serve("/admin/plugins/", &http::Method::POST).status(), 405);
    }
}
