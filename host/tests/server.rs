//! The plugin HTTP server, driven over loopback: static files, the plugin's
//! handler, admin pages, header allowlist, body caps, SSE, host endpoints.

mod common;

use common::*;
use owncast_plugin_host::capabilities::sse::SseHub;
use owncast_plugin_host::host::PluginAssets;
use owncast_plugin_host::server::{PluginServer, RequestAuth, ServerConfig};
use owncast_plugin_host::types::{ActionButton, User};
use owncast_plugin_host::Host;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SERVE: &[&str] = &["http.serve"];

async fn one_plugin(slug: &str, perms: &[&str], extra: serde_json::Value, assets: PluginAssets, config: ServerConfig) -> (Arc<Host>, common_server::Running) {
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
        pub server: std::sync::Arc<owncast_plugin_host::server::PluginServer>,
        pub running: owncast_plugin_host::server::RunningServer,
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
async fn other_paths_go_to_the_plugin_without_credentials() {
    let (_d, assets) = public_dir();
    let (_h, s) = one_plugin("echo", SERVE, json!({}), assets, config()).await;
    let a = s.addr();
    let r = request(a, "POST", "/plugins/echo/echo?x=1&y=%20", &[("Cookie", "owncast=session"), ("X-Custom", "yes")], b"hello").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["method"], "POST");
    assert_eq!(j["path"], "echo");
    assert_eq!(j["query"], "x=1&y=%20");
    assert_eq!(j["body"], "hello");
    assert_eq!(j["remoteAddr"], "127.0.0.1");
    assert_eq!(j["authenticated"], false);
    assert_eq!(j["headers"]["x-custom"], "yes");
    assert!(j["headers"].get("cookie").is_none(), "cookies are withheld");
    assert!(j.get("user").is_none());
    // Admin credentials authenticate the request but never reach the plugin.
    let (k, v) = admin_auth();
    let r = request(a, "GET", "/plugins/echo/echo", &[(k, &v)], b"").await;
    let j = r.json();
    assert_eq!(j["authenticated"], true);
    assert!(j["headers"].get("authorization").is_none(), "{j}");
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
    let extra = json!({"admin": {"pages": [{"title": "Settings", "path": "/admin"}, {"title": "Stats", "path": "stats/*.json"}]}});
    let (_h, s) = one_plugin("guarded", SERVE, extra, assets, config()).await;
    let a = s.addr();
    for target in ["/plugins/guarded/admin", "/plugins/guarded/admin/", "/plugins/guarded/admin/deeper", "/plugins/guarded/stats/a.json", "/plugins/guarded//admin"] {
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
    let r = request(a, "GET", "/plugins/guarded/stats/a.json", &[("Authorization", &format!("Bearer {TOKEN}"))], b"").await;
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
    for code in [99, 101, 600, 0] {
        let r = get(a, &format!("/plugins/answers/status?code={code}")).await;
        assert_eq!(r.status, 502, "{code}");
        assert_eq!(r.error(), format!("plugin `answers` answered with status {code}, which is not between 200 and 599"));
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
    assert_eq!(health.last_error.as_deref(), Some("on_http_request: trapped: unreachable executed"), "the details are the admin's");
}

#[tokio::test]
async fn a_plugin_disabled_by_strikes_answers_503() {
    let subs = json!({"subscriptions": {"notify": [{"event": "fail"}]}});
    let (h, s) = one_plugin("flaky", SERVE, subs, PluginAssets::default(), config()).await;
    let a = s.addr();
    let fail = owncast_plugin_host::types::Event::from_json("fail", json!({})).unwrap();
    for _ in 0..h.runtime().limits().max_strikes {
        h.notify(&fail).await;
    }
    assert!(!h.get("flaky").unwrap().is_enabled());
    let r = get(a, "/plugins/flaky/echo").await;
    assert_eq!((r.status, r.error().as_str()), (503, "plugin `flaky` is disabled"));
}

#[tokio::test]
async fn icon_and_instructions_need_no_permission() {
    let (_d, assets) = public_dir();
    let (_h, s) = one_plugin("docs", &[], json!({"admin": {"pages": [{"title": "All", "path": "*"}]}}), assets, config()).await;
    let a = s.addr();
    let r = get(a, "/plugins/docs/_icon").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/png")));
    assert!(r.body.starts_with(b"\x89PNG"));
    let r = get(a, "/plugins/docs/_instructions").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/markdown; charset=utf-8")));
    assert_eq!(r.text(), "# How to");
    let r = request(a, "POST", "/plugins/docs/_icon", &[], b"").await;
    assert_eq!(r.status, 405);

    let (_h2, s2) = one_plugin("bare", &[], json!({}), PluginAssets::default(), config()).await;
    let r = get(s2.addr(), "/plugins/bare/_icon").await;
    assert_eq!((r.status, r.error().as_str()), (404, "plugin `bare` has no icon (icon.png)"));
    let r = get(s2.addr(), "/plugins/bare/_instructions").await;
    assert_eq!((r.status, r.error().as_str()), (404, "plugin `bare` has no instructions (INSTRUCTIONS.md)"));
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

#[tokio::test]
async fn actions_lists_enabled_plugins_buttons() {
    let (h, s) = one_plugin("buttons", &["ui.modify"], json!({}), PluginAssets::default(), config()).await;
    let ctx = h.get("buttons").unwrap().context().clone();
    let res = ctx
        .add_actions(vec![ActionButton {
            url: "/plugins/buttons/page".into(),
            title: "Open".into(),
            html: Some("<b>ok</b><script>alert(1)</script>".into()),
            ..Default::default()
        }])
        .unwrap();
    assert!(res.ok, "{res:?}");
    let r = get(s.addr(), "/api/plugins/actions").await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j[0]["plugin"], "buttons");
    assert_eq!(j[0]["title"], "Open");
    assert!(!j[0]["html"].as_str().unwrap().contains("script"), "{j}");
    h.unload("buttons");
    assert_eq!(get(s.addr(), "/api/plugins/actions").await.json(), json!([]));
}

// ---- SSE ----------------------------------------------------------------------------------

/// Opens an SSE stream and returns the socket after the response head.
async fn open_sse(a: std::net::SocketAddr, target: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(a).await.unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    (s, String::from_utf8(head).unwrap())
}

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
    assert_eq!(r.status, 403);
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
    let host = Arc::new(Host::builder().loader(Arc::new(FakeLoader)).sse(Arc::new(SseHub::new(2))).build().unwrap());
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
    let (_h, s) = one_plugin("firehose", &["http.serve", "http.sse"], json!({}), PluginAssets::default(), config()).await;
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
        let n = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), slow.read(&mut buf)).await.unwrap().unwrap();
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
    assert_eq!(ev[0].1["remoteAddr"], "127.0.0.1");
    assert_eq!(ev[0].1["connectionId"], ev[1].1["connectionId"]);
    assert!(events_of("bystander").is_empty());
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
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf)).await.expect("stream did not end").unwrap();
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
    host.load(bundle("inproc", &["http.serve", "http.sse"], json!({"admin": {"pages": [{"title": "A", "path": "admin"}]}}))).await.unwrap();
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
    let user = User { id: "u-1".into(), display_name: "alice".into(), ..Default::default() };
    q.extensions_mut().insert(RequestAuth::user(user));
    let r = server.handle(q, remote).await;
    let j: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(j["authenticated"], true);
    assert_eq!(j["user"]["displayName"], "alice");
    assert_eq!(j["remoteAddr"], "10.1.2.3");

    // Basic credentials in the headers work as on the network.
    let mut q = req("/plugins/inproc/admin");
    q.headers_mut().insert("authorization", basic("admin", PASSWORD).parse().unwrap());
    assert_eq!(server.handle(q, remote).await.status(), 200);

    let q = http::Request::builder().method("POST").uri("/plugins/inproc/echo").body(bytes::Bytes::from_static(b"01234567890")).unwrap();
    let r = server.handle(q, remote).await;
    assert_eq!(r.status(), 413);

    let r = server.handle(req("/plugins/inproc/_sse/c"), remote).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(&r.body()[..], b": connected\n\n");
}

/// Recognizes `X-Viewer: <name>` (a stand-in for Owncast's access tokens).
struct HeaderUsers;
impl owncast_plugin_host::server::UserResolver for HeaderUsers {
    fn resolve(&self, parts: &http::request::Parts) -> Option<User> {
        let name = parts.headers.get("x-viewer")?.to_str().ok()?;
        Some(User { id: format!("u-{name}"), display_name: name.to_string(), authenticated: true, ..Default::default() })
    }
}

#[tokio::test]
async fn a_user_resolver_authenticates_viewers_but_not_for_admin_pages() {
    let host = host();
    host.load(bundle("viewers", SERVE, json!({"admin": {"pages": [{"title": "A", "path": "admin"}]}}))).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host, config()).with_user_resolver(Arc::new(HeaderUsers))).await;
    let a = running.local_addr();
    let j = request(a, "GET", "/plugins/viewers/echo", &[("X-Viewer", "alice")], b"").await.json();
    assert_eq!(j["authenticated"], true);
    assert_eq!(j["user"]["displayName"], "alice");
    let r = request(a, "GET", "/plugins/viewers/admin", &[("X-Viewer", "alice")], b"").await;
    assert_eq!(r.status, 401, "a viewer is not the admin");
    let r = request(a, "GET", "/api/admin/plugins", &[("X-Viewer", "alice")], b"").await;
    assert_eq!(r.status, 401);
}
