//! The plugin HTTP server, driven over loopback: static files, the plugin's
//! handler, admin pages, header allowlist, body caps, SSE, host endpoints.

mod common;

use common::*;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::capabilities::sse::SseHub;
use owncast_plugin_host::types::{ActionButton, ChatUser};
use owncast_plugin_host::Host;
use owncast_plugin_host::PluginAssets;
use owncast_plugin_server::{PluginServer, RequestAuth, ServerConfig};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const SERVE: &[&str] = &["http.serve"];

async fn one_plugin(
    slug: &str,
    perms: &[&str],
    extra: serde_json::Value,
    assets: PluginAssets,
    config: ServerConfig,
) -> (Arc<Host>, common_server::Running) {
    let host = host();
    let mut b = bundle(slug, perms, extra);
    b.assets = assets;
    host.load(b).await.unwrap();
    let (server, running) = serve(PluginServer::new(host.clone(), config)).await;
    (host, common_server::Running { server, running })
}

mod common_server {
    pub struct Running {
        #[allow(dead_code)]
        pub server: std::sync::Arc<owncast_plugin_server::PluginServer>,
        pub running: owncast_plugin_server::RunningServer,
    }
    impl Running {
        pub fn addr(&self) -> std::net::SocketAddr {
            self.running.local_addr()
        }
    }
}

fn public_dir() -> (tempfile::TempDir, PluginAssets) {
    let d = tempfile::tempdir().unwrap();
    let public = d.path().join("public");
    std::fs::create_dir_all(public.join("sub")).unwrap();
    std::fs::create_dir_all(public.join("admin")).unwrap();
    std::fs::write(public.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(public.join("app.js"), "console.log(1)").unwrap();
    std::fs::write(public.join("sub/style.css"), "body{}").unwrap();
    std::fs::write(public.join("admin/index.html"), "<h1>admin</h1>").unwrap();
    std::fs::write(public.join(".secret"), "dotfile").unwrap();
    std::fs::write(d.path().join("outside.txt"), "OUTSIDE-SECRET").unwrap();
    std::os::unix::fs::symlink(d.path().join("outside.txt"), public.join("link.txt")).unwrap();
    std::fs::write(d.path().join("icon.png"), b"\x89PNG\r\n\x1a\nfake").unwrap();
    std::fs::write(d.path().join("INSTRUCTIONS.md"), "# How to").unwrap();
    let assets = PluginAssets {
        public_dir: Some(public),
        assets_dir: None,
        icon: Some(d.path().join("icon.png")),
        instructions: Some(d.path().join("INSTRUCTIONS.md")),
    };
    (d, assets)
}

#[tokio::test]
async fn static_files_have_content_types_etags_and_304() {
    let (_d, assets) = public_dir();
    let (_h, s) = one_plugin("files", &[], json!({}), assets, config()).await;
    let a = s.addr();

    let r = get(a, "/plugins/files/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<h1>home</h1>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let etag = r.header("etag").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let r = request(a, "GET", "/plugins/files/", &[("If-None-Match", &etag)], b"").await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = request(a, "GET", "/plugins/files/", &[("If-None-Match", &format!("\"other\", W/{etag}"))], b"").await;
    assert_eq!(r.status, 304);
    let r = request(a, "GET", "/plugins/files/", &[("If-None-Match", "\"other\"")], b"").await;
    assert_eq!(r.status, 200);

    let r = get(a, "/plugins/files/app.js").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let r = get(a, "/plugins/files/sub/style.css").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/css; charset=utf-8")));
    let r = get(a, "/plugins/files/sub%2Fstyle.css").await;
    assert_eq!(r.status, 200, "percent-encoded slash is decoded");
    let r = request(a, "HEAD", "/plugins/files/app.js", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());

    // /plugins/<slug> redirects to the folder so relative links work.
    let r = get(a, "/plugins/files?x=1").await;
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some("/plugins/files/?x=1"));
}

#[tokio::test]
async fn static_files_cannot_escape_the_public_folder() {
    let (_d, assets) = public_dir();
    let (_h, s) = one_plugin("jail", &[], json!({}), assets, config()).await;
    let a = s.addr();
    for target in [
        "/plugins/jail/../outside.txt",
        "/plugins/jail/%2e%2e/outside.txt",
        "/plugins/jail/sub/..%2F..%2Foutside.txt",
        "/plugins/jail/./index.html",
    ] {
        let r = get(a, target).await;
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        assert_eq!(r.error(), "path may not contain `.` or `..` segments", "{target}");
    }
    let r = get(a, "/plugins/jail/sub%5C..%5Coutside.txt").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error(), "path may not contain backslashes or NUL");
    let r = get(a, "/plugins/jail/%00").await;
    assert_eq!((r.status, r.error().as_str()), (400, "path may not contain backslashes or NUL"));
    let r = get(a, "/plugins/jail/%ff").await;
    assert_eq!((r.status, r.error().as_str()), (400, "path is not valid UTF-8 once decoded"));
    // An absolute path after the slug, a symlink out of the folder and a dotfile are not files of the plugin.
    for target in ["/plugins/jail//etc/passwd", "/plugins/jail/link.txt", "/plugins/jail/.secret"] {
        let r = get(a, target).await;
        assert_eq!(r.status, 404, "{target}");
        assert!(!r.text().contains("OUTSIDE-SECRET") && !r.text().contains("root:"));
        assert!(r.error().contains("does not serve HTTP (permission http.serve)"), "{target}: {}", r.error());
    }
}

#[tokio::test]
async fn other_paths_go_to_the_plugin_in_upstreams_envelope() {
    let (_d, assets) = public_dir();
    let (_h, s) = one_plugin("echo", SERVE, json!({}), assets, config()).await;
    let a = s.addr();
    let r = request(
        a,
        "POST",
        "/plugins/echo/echo/?x=1&y=%20&x=2&accessToken=secret-token&keep=yes",
        &[("Cookie", "owncast_chat_token=secret; theme=dark"), ("X-Custom", "yes")],
        b"hello",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert!(!r.text().contains("secret"), "a credential reached the plugin: {j}");
    assert_eq!(j["method"], "POST");
    assert_eq!(j["path"], "/echo", "leading slash kept, trailing slash dropped");
    assert_eq!(j["query"], json!({"x": "1", "y": " ", "keep": "yes"}), "an object, first value wins, no accessToken");
    assert_eq!(j["body"], "hello");
    assert_eq!(j["remoteAddr"], "127.0.0.1");
    assert_eq!(j["authenticated"], false);
    assert_eq!(j["headers"]["X-Custom"], "yes", "canonical header names: {j}");
    assert!(j["headers"].get("Cookie").is_none(), "cookies are withheld");
    assert!(j.get("user").is_none());
    // Admin credentials authenticate the request but never reach the plugin.
    let (k, v) = admin_auth();
    let r = request(a, "GET", "/plugins/echo/echo", &[(k, &v)], b"").await;
    let j = r.json();
    assert_eq!(j["authenticated"], true);
    assert_eq!(j["query"], json!({}));
    assert!(j["headers"].get("Authorization").is_none(), "{j}");
    // Files still come first.
    assert_eq!(get(a, "/plugins/echo/app.js").await.text(), "console.log(1)");
    // Non-UTF-8 bodies cannot be given to a plugin.
    let r = request(a, "POST", "/plugins/echo/echo", &[], &[0xff, 0xfe]).await;
    assert_eq!(r.status, 415);
    assert_eq!(r.error(), "request body is not UTF-8 text; plugins receive bodies as text");
}

#[tokio::test]
async fn without_http_serve_unmatched_paths_are_404() {
    let (_h, s) = one_plugin("quiet", &[], json!({}), PluginAssets::default(), config()).await;
    let r = get(s.addr(), "/plugins/quiet/anything").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "plugin `quiet` has no file /anything and does not serve HTTP (permission http.serve)");
}

#[tokio::test]
async fn unknown_plugins_and_routes() {
    let (_h, s) = one_plugin("known", SERVE, json!({}), PluginAssets::default(), config()).await;
    let a = s.addr();
    let r = get(a, "/plugins/nope/x").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no plugin `nope`"));
    let r = get(a, "/plugins/Bad_Slug/x").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no plugin `Bad_Slug`"));
    let r = get(a, "/elsewhere").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no route for /elsewhere"));
    let r = request(a, "POST", "/api/plugins/actions", &[], b"").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn admin_pages_need_admin_auth() {
    let (_d, assets) = public_dir();
    let extra = json!({"admin": {"pages": [
        {"title": "Settings", "path": "/admin"},
        {"title": "Stats", "path": "stats/*.json"},
        {"title": "Panel", "path": "/panel/*"}
    ]}});
    let (_h, s) = one_plugin("guarded", SERVE, extra, assets, config()).await;
    let a = s.addr();
    for target in [
        "/plugins/guarded/admin",
        "/plugins/guarded/admin/",
        "/plugins/guarded/admin/deeper",
        "/plugins/guarded/stats/a.json",
        "/plugins/guarded//admin",
        // upstream's `/panel/*` form covers the directory itself too
        "/plugins/guarded/panel/",
        "/plugins/guarded/panel",
        "/plugins/guarded/panel/api/x",
    ] {
        let r = get(a, target).await;
        assert_eq!(r.status, 401, "{target}");
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic realm="), "{target}");
        assert!(r.error().ends_with("admin authentication required"), "{}", r.error());
    }
    let r = get(a, "/plugins/guarded/admin").await;
    assert_eq!(r.error(), "/plugins/guarded/admin is an admin page of plugin `guarded`: admin authentication required");
    // Wrong credentials are no credentials.
    for bad in [basic("admin", "nope"), basic("root", PASSWORD), "Bearer wrong".to_string(), "Digest x".to_string()] {
        let r = request(a, "GET", "/plugins/guarded/admin/", &[("Authorization", &bad)], b"").await;
        assert_eq!(r.status, 401, "{bad}");
    }
    // Basic admin:<password> and the bearer token both work; files under the page too.
    let (k, v) = admin_auth();
    let r = request(a, "GET", "/plugins/guarded/admin/", &[(k, &v)], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>admin</h1>"));
    let r =
        request(a, "GET", "/plugins/guarded/stats/a.json", &[("Authorization", &format!("Bearer {TOKEN}"))], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "fake guarded handled GET /stats/a.json");
    // SSE channels under an admin page are admin-only too.
    let r = get(a, "/plugins/guarded/admin/_sse/x").await;
    assert_eq!(r.status, 401);
    // Elsewhere is public.
    let r = get(a, "/plugins/guarded/stats").await;
    assert_eq!(r.status, 200);
    let r = get(a, "/plugins/guarded/echo").await;
    assert_eq!(r.json()["authenticated"], false);
}

#[tokio::test]
async fn response_headers_pass_the_allowlist() {
    let (_h, s) = one_plugin("hdrs", SERVE, json!({}), PluginAssets::default(), config()).await;
    let r = get(s.addr(), "/plugins/hdrs/headers").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<p>hi</p>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("max-age=60"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("allow"), Some("GET"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    for h in ["set-cookie", "keep-alive", "x-accel-redirect", "transfer-encoding", "www-authenticate"] {
        assert!(!r.has_header(h), "{h} leaked: {:?}", r.headers);
    }
    // No content type from the plugin: plain text, never sniffed.
    let r = get(s.addr(), "/plugins/hdrs/other").await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[tokio::test]
async fn request_bodies_over_the_cap_get_413() {
    let mut c = config();
    c.max_request_body = 1024;
    let (_h, s) = one_plugin("caps", SERVE, json!({}), PluginAssets::default(), c).await;
    let a = s.addr();
    let r = request(a, "POST", "/plugins/caps/echo", &[], &vec![b'a'; 1024]).await;
    assert_eq!(r.status, 200, "at the cap is fine");
    let r = request(a, "POST", "/plugins/caps/echo", &[], &vec![b'a'; 1025]).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error(), "request body is over the 1024-byte limit");
    // Without a Content-Length the cap is counted as the body streams in.
    let mut body = Vec::new();
    for _ in 0..3 {
        body.extend_from_slice(b"200\r\n");
        body.extend_from_slice(&[b'b'; 512]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let r = request(a, "POST", "/plugins/caps/echo", &[("Transfer-Encoding", "chunked")], &body).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error(), "request body is over the 1024-byte limit");
}

#[tokio::test]
async fn plugin_answers_over_the_cap_or_invalid_get_502_and_timeouts_504() {
    let mut c = config();
    c.max_response_body = 1000;
    let (h, s) = one_plugin("answers", SERVE, json!({}), PluginAssets::default(), c).await;
    let a = s.addr();
    assert_eq!(get(a, "/plugins/answers/big?n=1000").await.status, 200);
    let r = get(a, "/plugins/answers/big?n=1001").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.error(), "plugin `answers` answered with a 1001-byte body; the limit is 1000 bytes");
    let r = get(a, "/plugins/answers/status?code=418").await;
    assert_eq!(r.status, 418);
    // A missing status is 200, as upstream.
    let r = get(a, "/plugins/answers/status?code=0").await;
    assert_eq!((r.status, r.text().as_str()), (200, "s"));
    for code in [99, 101, 600] {
        let r = get(a, &format!("/plugins/answers/status?code={code}")).await;
        assert_eq!(r.status, 502, "{code}");
        assert_eq!(
            r.error(),
            format!("plugin `answers` answered with status {code}, which is not between 200 and 599")
        );
    }
    let r = get(a, "/plugins/answers/timeout").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.error(), "plugin `answers` did not answer within 5000 ms");
    let r = get(a, "/plugins/answers/fail").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.error(), "plugin `answers` failed to handle the request", "no details for the client");
    let health = h.get("answers").unwrap().health();
    assert_eq!(health.strikes, 0, "HTTP failures never strike");
    assert_eq!(health.http_failures, 2, "timeout and trap are counted");
    assert_eq!(
        health.last_error.as_deref(),
        Some("on_http_request: trapped: unreachable executed"),
        "the details are the admin's"
    );
}

#[tokio::test]
async fn a_plugin_disabled_by_strikes_answers_503() {
    let subs = json!({"subscriptions": {"notify": [{"event": "fail"}]}});
    let (h, s) = one_plugin("flaky", SERVE, subs, PluginAssets::default(), config()).await;
    let a = s.addr();
    let fail = owncast_plugin_host::event::Event::from_json("fail", json!({})).unwrap();
    for _ in 0..h.runtime().limits().max_strikes {
        h.notify(&fail).await;
    }
    assert!(!h.get("flaky").unwrap().is_enabled());
    let r = get(a, "/plugins/flaky/echo").await;
    assert_eq!((r.status, r.error().as_str()), (503, "plugin `flaky` is disabled"));
}

#[tokio::test]
async fn icon_is_public_instructions_are_for_the_admin_at_upstreams_paths_and_the_aliases() {
    let (_d, assets) = public_dir();
    let (_h, s) =
        one_plugin("docs", &[], json!({"admin": {"pages": [{"title": "All", "path": "*"}]}}), assets, config()).await;
    let a = s.addr();
    for path in ["/api/plugins/docs/icon", "/plugins/docs/_icon"] {
        let r = get(a, path).await;
        assert_eq!((r.status, r.header("content-type")), (200, Some("image/png")), "{path}");
        assert!(r.body.starts_with(b"\x89PNG"), "{path}");
        let r = request(a, "POST", path, &[], b"").await;
        assert_eq!(r.status, 405, "{path}");
    }
    let (k, v) = admin_auth();
    for path in ["/api/admin/plugins/docs/instructions", "/plugins/docs/_instructions"] {
        let r = get(a, path).await;
        assert_eq!(r.status, 401, "{path}: instructions are admin-only");
        assert!(r.header("www-authenticate").is_some(), "{path}");
        let r = request(a, "GET", path, &[(k, &v)], b"").await;
        assert_eq!((r.status, r.header("content-type")), (200, Some("text/markdown; charset=utf-8")), "{path}");
        assert_eq!(r.text(), "# How to");
    }

    let (_h2, s2) = one_plugin("bare", &[], json!({}), PluginAssets::default(), config()).await;
    let b = s2.addr();
    for path in ["/api/plugins/bare/icon", "/plugins/bare/_icon"] {
        let r = get(b, path).await;
        assert_eq!((r.status, r.error().as_str()), (404, "plugin `bare` has no icon (icon.png)"), "{path}");
    }
    for path in ["/api/admin/plugins/bare/instructions", "/plugins/bare/_instructions"] {
        let r = request(b, "GET", path, &[(k, &v)], b"").await;
        assert_eq!(
            (r.status, r.error().as_str()),
            (404, "plugin `bare` has no instructions (INSTRUCTIONS.md)"),
            "{path}"
        );
    }
    for path in ["/api/plugins/nope/icon", "/api/plugins/a%2Fb/icon", "/api/plugins/../icon"] {
        let r = get(b, path).await;
        assert_eq!(r.status, 404, "{path}");
    }
}

#[tokio::test]
async fn assets_are_never_served_only_public_is() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("public")).unwrap();
    std::fs::create_dir_all(d.path().join("assets")).unwrap();
    std::fs::write(d.path().join("public/page.html"), "PUBLIC").unwrap();
    std::fs::write(d.path().join("assets/private.html"), "PRIVATE-ASSET").unwrap();
    let assets = owncast_plugin_host::bundle::assets_in(d.path());
    assert_eq!(assets.assets_dir.as_deref(), Some(d.path().join("assets").as_path()));
    let (_h, s) = one_plugin("split", &[], json!({}), assets, config()).await;
    let a = s.addr();
    assert_eq!(get(a, "/plugins/split/page.html").await.text(), "PUBLIC");
    for path in ["/plugins/split/private.html", "/plugins/split/assets/private.html"] {
        let r = get(a, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("PRIVATE-ASSET"), "{path}");
    }
    // A plugin with only `assets/` serves no files at all.
    std::fs::remove_dir_all(d.path().join("public")).unwrap();
    let assets = owncast_plugin_host::bundle::assets_in(d.path());
    assert!(assets.public_dir.is_none());
    let (_h, s) = one_plugin("onlyassets", &[], json!({}), assets, config()).await;
    let r = get(s.addr(), "/plugins/onlyassets/private.html").await;
    assert_eq!(r.status, 404);
    assert!(!r.text().contains("PRIVATE-ASSET"));
}

#[tokio::test]
async fn a_plugin_without_a_handler_answers_404_with_an_empty_body() {
    let host = host();
    let mut b = bundle("nohandler", SERVE, json!({}));
    b.code = fake_code_with(
        json!({"slug": "nohandler", "version": "1.0.0", "permissions": ["http.serve"], "noHttpHandler": true}),
    );
    host.load(b).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    for _ in 0..(host.runtime().limits().max_strikes + 1) {
        let r = get(running.local_addr(), "/plugins/nohandler/anything").await;
        assert_eq!(r.status, 404);
        assert!(r.body.is_empty(), "{}", r.text());
    }
    assert!(host.get("nohandler").unwrap().is_enabled(), "no handler is not a failure");
    assert_eq!(host.get("nohandler").unwrap().health().strikes, 0);
}

#[tokio::test]
async fn static_file_cap() {
    let (_d, assets) = public_dir();
    let mut c = config();
    c.max_static_file_bytes = 10;
    let (_h, s) = one_plugin("bigfiles", &[], json!({}), assets, c).await;
    let r = get(s.addr(), "/plugins/bigfiles/index.html").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.error(), "file is 13 bytes; the host serves files up to 10 bytes");
    assert_eq!(get(s.addr(), "/plugins/bigfiles/app.js").await.status, 500);
}

const SCRIPT_INJECTIONS: &str = concat!(
    r#"<p onclick="steal()">Tip <a href="javascript:alert(1)">me</a></p>"#,
    r#"<img src=x onerror="alert(2)"><script>alert(3)</script><svg onload=alert(4)></svg>"#,
    r#"<iframe src="/api/admin/plugins"></iframe><a href="JaVaScRiPt:alert(5)">x</a>"#,
    r#"<b class="ok">kept</b>"#,
);

fn assert_no_script(html: &str) {
    let lower = html.to_ascii_lowercase();
    for gone in ["<script", "onclick", "onerror", "onload", "javascript:", "<iframe", "<svg", "alert("] {
        assert!(!lower.contains(gone), "`{gone}` survived sanitizing: {html}");
    }
}

#[tokio::test]
async fn actions_list_manifest_and_runtime_buttons_of_enabled_plugins() {
    let extra = json!({"actions": [{"title": "Open", "url": "/page", "icon": "/icon.png", "openExternally": true}]});
    let (h, s) = one_plugin("buttons", &["ui.modify", "http.serve"], extra, PluginAssets::default(), config()).await;
    let ctx = h.get("buttons").unwrap().context().clone();
    // An html-only button (no url), and one with a url into the plugin's space.
    let tip = ActionButton { title: "Tip".into(), html: Some(SCRIPT_INJECTIONS.into()), ..Default::default() };
    let res = ctx
        .add_actions(vec![
            tip,
            ActionButton { title: "Stats".into(), url: Some("/stats".into()), ..Default::default() },
        ])
        .unwrap();
    assert!(res.ok, "{res:?}");
    let j = get(s.addr(), "/api/plugins/actions").await.json();
    assert_eq!(
        j[0],
        json!({"title": "Open", "url": "/plugins/buttons/page", "icon": "/plugins/buttons/icon.png", "openExternally": true, "plugin": "buttons"})
    );
    assert_eq!(j[1]["title"], "Tip");
    assert!(j[1].get("url").is_none(), "{j}");
    let html = j[1]["html"].as_str().unwrap();
    assert_no_script(html);
    assert!(html.contains(r#"<b class="ok">kept</b>"#), "{html}");
    assert_eq!(j[2]["url"], "/plugins/buttons/stats");

    // Refusals: another plugin's space, no url and no html, both.
    for (bad, why) in [
        (
            ActionButton { title: "X".into(), url: Some("/plugins/other/x".into()), ..Default::default() },
            "another plugin's namespace",
        ),
        (ActionButton { title: "X".into(), ..Default::default() }, "exactly one of url or html"),
        (
            ActionButton { title: "X".into(), url: Some("javascript:alert(1)".into()), ..Default::default() },
            "http(s) URL or a path",
        ),
    ] {
        let r = ctx.add_actions(vec![bad]).unwrap();
        assert!(!r.ok && r.error.as_deref().unwrap().contains(why), "{r:?}");
    }
    assert_eq!(get(s.addr(), "/api/plugins/actions").await.json().as_array().unwrap().len(), 3);

    // The run-time buttons are kept in the plugin's own storage under
    // `owncast.actions`, as upstream keeps them.
    let stored = h.services().kv.get("plugins.kv.buttons.owncast.actions").unwrap().unwrap();
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored.as_array().unwrap().len(), 2);

    // A value written behind the host's back is checked again when read.
    h.services()
        .kv
        .set("plugins.kv.buttons.owncast.actions", &json!([{"title": "Evil", "html": SCRIPT_INJECTIONS}]).to_string())
        .unwrap();
    let j = get(s.addr(), "/api/plugins/actions").await.json();
    assert_no_script(j[1]["html"].as_str().unwrap());
    h.services()
        .kv
        .set(
            "plugins.kv.buttons.owncast.actions",
            &json!([{"title": "Elsewhere", "url": "/plugins/other/x"}]).to_string(),
        )
        .unwrap();
    assert_eq!(
        get(s.addr(), "/api/plugins/actions").await.json().as_array().unwrap().len(),
        1,
        "invalid stored buttons count as none"
    );

    // clear() removes the run-time buttons, not the manifest's.
    assert!(ctx.clear_actions().unwrap().ok);
    assert!(h.services().kv.get("plugins.kv.buttons.owncast.actions").unwrap().is_none());
    assert_eq!(get(s.addr(), "/api/plugins/actions").await.json().as_array().unwrap().len(), 1);

    // A disabled or unloaded plugin shows nothing.
    h.unload("buttons");
    assert_eq!(get(s.addr(), "/api/plugins/actions").await.json(), json!([]));
}

#[tokio::test]
async fn runtime_buttons_survive_a_restart_of_the_plugin() {
    let host = host();
    host.load(bundle("keeper", &["ui.modify"], json!({}))).await.unwrap();
    let ctx = host.get("keeper").unwrap().context().clone();
    assert!(
        ctx.add_actions(vec![ActionButton {
            title: "Site".into(),
            url: Some("https://example.com".into()),
            ..Default::default()
        }])
        .unwrap()
        .ok
    );
    host.unload("keeper");
    host.load(bundle("keeper", &["ui.modify"], json!({}))).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    let j = get(running.local_addr(), "/api/plugins/actions").await.json();
    assert_eq!(j, json!([{"title": "Site", "url": "https://example.com", "plugin": "keeper"}]));
}

#[tokio::test]
async fn page_contributions_merge_every_enabled_plugin_as_owncasts_config_does() {
    let d = tempfile::tempdir().unwrap();
    let dir = |slug: &str| {
        let p = d.path().join(slug);
        std::fs::create_dir_all(p.join("assets/tabs")).unwrap();
        std::fs::create_dir_all(p.join("public")).unwrap();
        p
    };
    let theme = dir("theme");
    std::fs::write(theme.join("assets/theme.css"), "body { color: red }</style><script>alert(1)</script>").unwrap();
    std::fs::write(theme.join("assets/app.js"), "console.log('theme')").unwrap();
    std::fs::write(theme.join("assets/banner.html"), format!("<h2>Banner</h2>{SCRIPT_INJECTIONS}")).unwrap();
    std::fs::write(theme.join("assets/tabs/art.html"), "<p>Art</p><script>alert(6)</script>").unwrap();
    std::fs::write(theme.join("public/served.css"), "p { margin: 0 }").unwrap();
    std::fs::write(d.path().join("outside.css"), "SECRET").unwrap();
    std::os::unix::fs::symlink(d.path().join("outside.css"), theme.join("assets/escape.css")).unwrap();
    let extra = json!({
        "styles": ["theme.css", "/served.css", "escape.css", "missing.css"],
        "scripts": ["app.js"],
        "extraPageContent": {"slug": "banner", "content": "banner.html"},
        "tabs": [{"title": "Fan Art", "content": "/tabs/art.html"}, {"title": "Live", "slug": "live"}],
        "actions": [{"title": "Home", "url": "https://example.com"}],
    });
    let host = host();
    let mut b = bundle("theme", &["ui.modify"], extra);
    b.assets = owncast_plugin_host::bundle::assets_in(&theme);
    host.load(b).await.unwrap();
    let second = dir("second");
    std::fs::write(second.join("assets/s.css"), "h1 { }").unwrap();
    let mut b = bundle("second", &["ui.modify"], json!({"styles": ["s.css"]}));
    b.assets = owncast_plugin_host::bundle::assets_in(&second);
    host.load(b).await.unwrap();
    let off = json!({"actions": [{"title": "Off", "url": "https://off.example"}], "subscriptions": {"notify": [{"event": "fail"}]}});
    host.load(bundle("off", &["ui.modify"], off)).await.unwrap();

    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    // `off` fails until the host disables it: its contributions go.
    let fail = owncast_plugin_host::event::Event::from_json("fail", json!({})).unwrap();
    for _ in 0..host.runtime().limits().max_strikes {
        host.notify(&fail).await;
    }
    assert!(!host.get("off").unwrap().is_enabled());
    let r = get(running.local_addr(), "/api/plugins/config").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("application/json")));
    let j = r.json();
    assert_eq!(j["externalActions"], json!([{"title": "Home", "url": "https://example.com", "plugin": "theme"}]));
    let css = j["pluginStyles"].as_str().unwrap();
    assert!(
        css.starts_with("/* plugin: second — s.css */\nh1 { }\n/* plugin: theme — theme.css */\nbody { color: red }"),
        "{css}"
    );
    assert!(css.contains("/* plugin: theme — served.css */\np { margin: 0 }"), "public/ is read too: {css}");
    assert!(!css.to_ascii_lowercase().contains("</style"), "CSS cannot close its <style>: {css}");
    assert!(!css.contains("SECRET") && !css.contains("missing.css"), "{css}");
    assert_eq!(
        j["customJavascript"],
        "// plugin: theme — app.js\ntry {\nconsole.log('theme')\n} catch (e) { console.error(\"plugin theme (app.js) failed:\", e); }\n"
    );
    let page = j["extraPageContent"].as_str().unwrap();
    assert!(page.starts_with("<!-- plugin: theme — banner.html -->\n<h2>Banner</h2>"), "{page}");
    assert_no_script(page);
    assert_eq!(
        j["pluginTabs"],
        json!([{"slug": "theme/fan-art", "pluginSlug": "theme", "title": "Fan Art", "html": "<p>Art</p>"}])
    );
    let r = request(running.local_addr(), "POST", "/api/plugins/config", &[], b"").await;
    assert_eq!(r.status, 405);
    // The files named stay private: `assets/` is not served.
    assert_eq!(get(running.local_addr(), "/plugins/theme/theme.css").await.status, 404);
    assert_eq!(get(running.local_addr(), "/plugins/theme/served.css").await.status, 200);
}

// ---- SSE ----------------------------------------------------------------------------------

/// Reads until `needle` has appeared in what was read (chunk framing included).
async fn read_until(s: &mut TcpStream, needle: &str, limit: Duration) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    while !String::from_utf8_lossy(&got).contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => panic!("`{needle}` not seen; got {:?}", String::from_utf8_lossy(&got)),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("{e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn sse_streams_frames_and_keep_alives() {
    let mut c = config();
    c.sse_keep_alive = Duration::from_millis(150);
    let (_h, s) = one_plugin("live", &["http.serve", "http.sse"], json!({}), PluginAssets::default(), c).await;
    let a = s.addr();
    let (mut sock, head) = open_sse(a, "/plugins/live/_sse/scores").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_lowercase().contains("content-type: text/event-stream"), "{head}");
    assert!(head.to_lowercase().contains("cache-control: no-cache"), "{head}");
    read_until(&mut sock, ": connected", Duration::from_secs(5)).await;
    assert_eq!(get(a, "/plugins/live/sse?n=2&ch=scores").await.text(), "sent 2");
    let got = read_until(&mut sock, "data: 1 pppppppp", Duration::from_secs(5)).await;
    assert!(got.contains("event: tick\ndata: 0 pppppppp\n\n"), "{got}");
    read_until(&mut sock, ": keep-alive", Duration::from_secs(5)).await;
    // Another channel's frames do not arrive here.
    get(a, "/plugins/live/sse?n=1&ch=other").await;
    get(a, "/plugins/live/sse?n=1&ch=scores").await;
    let got = read_until(&mut sock, "data: 0", Duration::from_secs(5)).await;
    assert!(!got.contains("other"), "{got}");
}

#[tokio::test]
async fn sse_refusals() {
    let (_h, s) = one_plugin("nosse", SERVE, json!({}), PluginAssets::default(), config()).await;
    let r = get(s.addr(), "/plugins/nosse/_sse/x").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "plugin `nosse` does not stream events (permission http.sse)");
    let (_h, s) = one_plugin("withsse", &["http.sse"], json!({}), PluginAssets::default(), config()).await;
    let r = get(s.addr(), &format!("/plugins/withsse/_sse/{}", "c".repeat(129))).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error(), "SSE channel names are 1-128 bytes without `/` or control characters");
    let r = get(s.addr(), "/plugins/withsse/_sse/a/b").await;
    assert_eq!(r.status, 400);
    let r = request(s.addr(), "POST", "/plugins/withsse/_sse/a", &[], b"").await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn sse_connections_are_capped_per_plugin() {
    let host = Arc::new(
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .loader(Arc::new(FakeLoader))
            .sse(Arc::new(SseHub::new(2)))
            .build()
            .unwrap(),
    );
    host.load(bundle("capped", &["http.sse"], json!({}))).await.unwrap();
    host.load(bundle("neighbour", &["http.sse"], json!({}))).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    let a = running.local_addr();
    let (s1, _) = open_sse(a, "/plugins/capped/_sse/a").await;
    let (_s2, _) = open_sse(a, "/plugins/capped/_sse/b").await;
    let r = get(a, "/plugins/capped/_sse/a").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.error(), "plugin `capped` already has 2 SSE connections, its limit");
    // The cap is per plugin.
    let (_n, head) = open_sse(a, "/plugins/neighbour/_sse/a").await;
    assert!(head.starts_with("HTTP/1.1 200"));
    // Closing one frees its slot.
    drop(s1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while host.services().sse.connections("capped") > 1 {
        assert!(Instant::now() < deadline, "slot not freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_s3, head) = open_sse(a, "/plugins/capped/_sse/a").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[tokio::test]
async fn sse_slow_viewers_miss_frames_instead_of_blocking_the_plugin() {
    let (_h, s) =
        one_plugin("firehose", &["http.serve", "http.sse"], json!({}), PluginAssets::default(), config()).await;
    let a = s.addr();
    // This viewer never reads while the plugin sends ~16 MB.
    let (mut slow, _) = open_sse(a, "/plugins/firehose/_sse/f").await;
    let start = Instant::now();
    let r = get(a, "/plugins/firehose/sse?n=4000&ch=f&size=4096").await;
    assert_eq!(r.text(), "sent 4000");
    assert!(start.elapsed() < Duration::from_secs(5), "sending waited for the viewer: {:?}", start.elapsed());
    // Now read what the viewer got: it was told frames were dropped.
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&got).contains("data: 3999 ") {
        let n = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), slow.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    let frames = text.matches("event: tick").count();
    assert!(frames < 4000, "every frame arrived: {frames}");
    assert!(text.contains(": dropped "), "no drop notice");
}

#[tokio::test]
async fn sse_connect_and_disconnect_reach_only_the_owner() {
    let subs = json!({"subscriptions": {"notify": [{"event": "sse.connect"}, {"event": "sse.disconnect"}]}});
    let host = host();
    host.load(bundle("owner", &["http.sse"], subs.clone())).await.unwrap();
    host.load(bundle("bystander", &["http.sse"], subs)).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    let (sock, _) = open_sse(running.local_addr(), "/plugins/owner/_sse/room").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while events_of("owner").is_empty() {
        assert!(Instant::now() < deadline, "no sse.connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(sock);
    while events_of("owner").len() < 2 {
        assert!(Instant::now() < deadline, "no sse.disconnect: {:?}", events_of("owner"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ev = events_of("owner");
    assert_eq!(ev[0].0, "sse.connect");
    assert_eq!(ev[1].0, "sse.disconnect");
    assert_eq!(ev[0].1["channel"], "room");
    assert_eq!(ev[0].1["connectionId"], ev[1].1["connectionId"]);
    assert!(events_of("bystander").is_empty());
}

/// Upstream loads a plugin subscribing to the SSE connection events without
/// http.sse (with a warning here) and dispatches to it like any subscriber;
/// no viewer can open its stream (404), so Owncast never produces the event.
#[tokio::test]
async fn sse_subscription_without_http_sse_loads_with_a_warning() {
    let subs = json!({"subscriptions": {"notify": [{"event": "sse.connect"}]}});
    let host = host();
    let p = host.load(bundle("nosseperm", &[], subs)).await.unwrap();
    let w: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
    assert!(
        w.iter().any(|w| w.contains("`subscriptions.notify[0]`") && w.contains("`sse.connect` without permission http.sse")),
        "{w:?}"
    );
    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    assert_eq!(get(running.local_addr(), "/plugins/nosseperm/_sse/room").await.status, 404);
    assert!(events_of("nosseperm").is_empty());
    let event = owncast_plugin_host::event::Event::from(owncast_plugin_host::types::Event::SseConnect(
        owncast_plugin_host::types::SseConnection { channel: "room".into(), connection_id: 7, user: None },
    ));
    assert!(host.notify_plugin("nosseperm", &event).await);
    let ev = events_of("nosseperm");
    assert_eq!(ev[0].0, "sse.connect");
    assert_eq!(ev[0].1["connectionId"], 7);
}

#[tokio::test]
async fn sse_stream_ends_when_the_plugin_is_unloaded() {
    let mut c = config();
    c.sse_keep_alive = Duration::from_millis(100);
    let (h, s) = one_plugin("goner", &["http.sse"], json!({}), PluginAssets::default(), c).await;
    let (mut sock, _) = open_sse(s.addr(), "/plugins/goner/_sse/x").await;
    read_until(&mut sock, ": connected", Duration::from_secs(5)).await;
    h.unload("goner");
    let mut buf = [0u8; 1024];
    let mut all = Vec::new();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
            .await
            .expect("stream did not end")
            .unwrap();
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
        if all.ends_with(b"0\r\n\r\n") {
            break;
        }
    }
}

// ---- the socket-free entry point ------------------------------------------------------

#[tokio::test]
async fn handle_routes_like_the_live_server() {
    let host = host();
    let mut c = config();
    c.max_request_body = 10;
    host.load(bundle(
        "inproc",
        &["http.serve", "http.sse"],
        json!({"admin": {"pages": [{"title": "A", "path": "admin"}]}}),
    ))
    .await
    .unwrap();
    let server = PluginServer::new(host, c);
    let remote = "10.1.2.3:4567".parse().unwrap();
    let req = |path: &str| http::Request::builder().uri(path).body(bytes::Bytes::new()).unwrap();

    let r = server.handle(req("/plugins/inproc/admin"), remote).await;
    assert_eq!(r.status(), 401);
    let mut q = req("/plugins/inproc/admin");
    q.extensions_mut().insert(RequestAuth::admin());
    let r = server.handle(q, remote).await;
    assert_eq!(r.status(), 200);

    let mut q = req("/plugins/inproc/echo");
    let user = ChatUser { id: "u-1".into(), display_name: "alice".into(), ..Default::default() };
    q.extensions_mut().insert(RequestAuth::user(user));
    let r = server.handle(q, remote).await;
    let j: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(j["authenticated"], false, "a viewer is not the admin");
    assert_eq!(j["user"]["displayName"], "alice");
    assert_eq!(j["remoteAddr"], "10.1.2.3");

    // Basic credentials in the headers work as on the network.
    let mut q = req("/plugins/inproc/admin");
    q.headers_mut().insert("authorization", basic("admin", PASSWORD).parse().unwrap());
    assert_eq!(server.handle(q, remote).await.status(), 200);

    let q = http::Request::builder()
        .method("POST")
        .uri("/plugins/inproc/echo")
        .body(bytes::Bytes::from_static(b"01234567890"))
        .unwrap();
    let r = server.handle(q, remote).await;
    assert_eq!(r.status(), 413);

    let r = server.handle(req("/plugins/inproc/_sse/c"), remote).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(&r.body()[..], b": connected\n\n");
}

/// Recognizes `X-Viewer: <name>` (a stand-in for Owncast's access tokens).
struct HeaderUsers;
impl owncast_plugin_server::UserResolver for HeaderUsers {
    fn resolve(&self, parts: &http::request::Parts) -> Option<ChatUser> {
        let name = parts.headers.get("x-viewer")?.to_str().ok()?;
        Some(ChatUser {
            id: format!("u-{name}"),
            display_name: name.to_string(),
            is_authenticated: Some(true),
            ..Default::default()
        })
    }
}

#[tokio::test]
async fn a_user_resolver_authenticates_viewers_but_not_for_admin_pages() {
    let host = host();
    host.load(bundle("viewers", SERVE, json!({"admin": {"pages": [{"title": "A", "path": "admin"}]}}))).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host, config()).with_user_resolver(Arc::new(HeaderUsers))).await;
    let a = running.local_addr();
    let j = request(a, "GET", "/plugins/viewers/echo", &[("X-Viewer", "alice")], b"").await.json();
    assert_eq!(j["authenticated"], false, "authenticated means the admin, as upstream");
    assert_eq!(j["user"]["displayName"], "alice");
    let r = request(a, "GET", "/plugins/viewers/admin", &[("X-Viewer", "alice")], b"").await;
    assert_eq!(r.status, 401, "a viewer is not the admin");
    let r = request(a, "GET", "/api/admin/plugins", &[("X-Viewer", "alice")], b"").await;
    assert_eq!(r.status, 401);
}

/// The component's side of the envelope: the hostile test guest answers
/// `/echo` with the request record it received (the legacy side is in
/// compat-extism/tests/http_envelope.rs).
#[tokio::test]
async fn a_component_receives_upstreams_request_envelope() {
    let Some(guest) = test_guest("hostile") else { return };
    let host = host();
    host.load(guest).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host.clone(), config())).await;
    let r = request(
        running.local_addr(),
        "GET",
        "/plugins/hostile/echo/?accessToken=secret-token&keep=yes&keep=no&q=a+b",
        &[("Cookie", "owncast_chat_token=secret-cookie"), ("X-Demo", "hi"), ("Authorization", "Bearer secret-bearer")],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("secret"), "a credential reached the plugin: {}", r.text());
    let env = r.json();
    assert_eq!(env["method"], "GET");
    assert_eq!(env["path"], "/echo");
    assert_eq!(env["query"], json!({"keep": "yes", "q": "a b"}));
    assert_eq!(env["headers"]["X-Demo"], "hi");
    assert!(env["headers"].get("Cookie").is_none());
    assert_eq!(env["remoteAddr"], "127.0.0.1");
    assert_eq!(env["authenticated"], false);
}
