//! The attacks of issue 12, each reproduced over loopback against the real
//! server (and manager), asserting the safe outcome: connection caps and
//! timeouts, the request-body budget, SSE caps, login throttling, cross-site
//! admin requests, the plugin sandbox, confined icons and assets, package
//! collisions, config caps, a plugins folder that cannot be listed, and
//! HTTP/2 rapid reset and stream limits.

mod common;

use common::*;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::capabilities::sse::SseHub;
use owncast_plugin_host::Host;
use owncast_plugin_manager::{DirLister, ManagerConfig, PluginManager};
use owncast_plugin_server::{PluginServer, RunningServer, ServerConfig};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

// ---- helpers ------------------------------------------------------------------------------

/// A TCP connection from a chosen loopback address (127.0.0.0/8 is all ours).
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    sock.connect(to).await.unwrap()
}

/// Sends a raw request on `s` and reads the response until the server closes.
async fn exchange(mut s: TcpStream, raw: &[u8]) -> Resp {
    s.write_all(raw).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await.expect("no response").ok();
    parse_response(&out, false)
}

fn get_req(path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut r = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// How long until the server closes `s` (reading and dropping whatever it sends).
async fn closed_after(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

async fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn plugin_server(perms: &[&str], config: ServerConfig) -> (Arc<Host>, Arc<PluginServer>, RunningServer) {
    let host = host();
    host.load(bundle("p", perms, json!({}))).await.unwrap();
    let (server, running) = serve(PluginServer::new(host.clone(), config)).await;
    (host, server, running)
}

#[allow(dead_code)]
struct Managed {
    dir: tempfile::TempDir,
    host: Arc<Host>,
    manager: Arc<PluginManager>,
    server: Arc<PluginServer>,
    running: RunningServer,
}

impl Managed {
    fn addr(&self) -> SocketAddr {
        self.running.local_addr()
    }
}

async fn managed(dir: tempfile::TempDir, tweak: impl FnOnce(&mut ManagerConfig)) -> Managed {
    let host = host();
    let mut mc = ManagerConfig::new(dir.path());
    tweak(&mut mc);
    let manager = PluginManager::new(host.clone(), mc).unwrap();
    manager.rescan().await;
    let (server, running) = serve(PluginServer::new(host.clone(), config()).with_manager(manager.clone())).await;
    Managed { dir, host, manager, server, running }
}

fn write_loose(dir: &Path, slug: &str, perms: &[&str], extra: Value) {
    std::fs::write(dir.join(format!("{slug}.manifest.json")), manifest(slug, "1.0.0", perms, extra)).unwrap();
    std::fs::write(dir.join(format!("{slug}.wasm")), fake_code(slug, "1.0.0", perms)).unwrap();
}

/// An admin API call as the admin UI makes it: Basic credentials and a JSON body type.
async fn admin_json(a: SocketAddr, method: &str, path: &str, body: &[u8]) -> Resp {
    let (k, v) = admin_auth();
    request(a, method, path, &[(k, &v), ("Content-Type", "application/json")], body).await
}

// ---- 3. connections: timeouts and caps ---------------------------------------------------

#[tokio::test]
async fn a_silent_socket_and_a_trickled_header_are_closed() {
    let mut c = config();
    c.limits.header_timeout = Duration::from_millis(400);
    c.limits.idle_timeout = Duration::from_secs(30);
    let (_h, server, running) = plugin_server(&["http.serve"], c).await;
    let a = running.local_addr();

    // Connects and says nothing.
    let mut silent = TcpStream::connect(a).await.unwrap();
    let took = closed_after(&mut silent, Duration::from_secs(5)).await.expect("a silent socket stayed open");
    assert!(took >= Duration::from_millis(300), "closed too early: {took:?}");

    // Sends a header line every 100 ms, forever.
    let s = TcpStream::connect(a).await.unwrap();
    let (mut r, mut w) = s.into_split();
    let trickle = tokio::spawn(async move {
        let _ = w.write_all(b"GET /plugins/p/x HTTP/1.1\r\nHost: x\r\n").await;
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if w.write_all(format!("X-Trickle-{i}: y\r\n").as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), r.read(&mut buf)).await {
            Err(_) => break false,
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(_)) => {}
        }
    };
    assert!(closed, "a trickled header kept its connection");
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    trickle.abort();
    eventually("connections released", Duration::from_secs(5), || server.open_connections() == 0).await;
}

#[tokio::test]
async fn an_idle_keep_alive_is_closed_but_a_live_stream_is_not() {
    let mut c = config();
    c.limits.idle_timeout = Duration::from_millis(400);
    c.sse_keep_alive = Duration::from_secs(60);
    let (_h, _server, running) = plugin_server(&["http.serve", "http.sse"], c).await;
    let a = running.local_addr();

    let mut s = TcpStream::connect(a).await.unwrap();
    s.write_all(b"GET /plugins/p/hello HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("handled GET /hello") {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let took = closed_after(&mut s, Duration::from_secs(5)).await.expect("an idle keep-alive stayed open");
    assert!(took >= Duration::from_millis(300), "{took:?}");

    // An SSE stream is a request in flight: silence on it is not idleness.
    let mut sse = TcpStream::connect(a).await.unwrap();
    sse.write_all(b"GET /plugins/p/_sse/live HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(closed_after(&mut sse, Duration::from_millis(1500)).await, None, "the stream was cut as idle");
}

#[tokio::test]
async fn connections_are_capped_per_client_and_in_total() {
    let mut c = config();
    c.limits.max_connections = 5;
    c.limits.max_connections_per_client = 3;
    let (_h, server, running) = plugin_server(&["http.serve"], c).await;
    let a = running.local_addr();

    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(connect_from("127.0.0.1", a).await);
    }
    eventually("three connections open", Duration::from_secs(5), || server.open_connections() == 3).await;
    // The fourth from the same address is closed at once, unanswered.
    let mut fourth = connect_from("127.0.0.1", a).await;
    let _ = fourth.write_all(&get_req("/plugins/p/x", &[])).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), fourth.read_to_end(&mut out)).await.expect("not closed");
    assert!(out.is_empty(), "answered: {}", String::from_utf8_lossy(&out));
    // Another address is served.
    let r = exchange(connect_from("127.0.0.2", a).await, &get_req("/plugins/p/x", &[])).await;
    assert_eq!(r.status, 200);

    // Two more make five in total: the next client waits for a free place...
    let _theirs = [connect_from("127.0.0.3", a).await, connect_from("127.0.0.3", a).await];
    eventually("five connections open", Duration::from_secs(5), || server.open_connections() == 5).await;
    let waiting =
        tokio::spawn(async move { exchange(connect_from("127.0.0.4", a).await, &get_req("/plugins/p/x", &[])).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "served beyond the total cap");
    // ...and is served once one closes.
    drop(mine.pop());
    let r = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("still waiting").unwrap();
    assert_eq!(r.status, 200);
}

// ---- 4. request bodies: timeouts and the memory budget --------------------------------------

#[tokio::test]
async fn stalled_bodies_time_out_and_cannot_pin_more_than_the_budget() {
    let mut c = config();
    c.max_request_body = 32 * 1024;
    c.limits.body_budget_bytes = 64 * 1024;
    c.limits.body_idle_timeout = Duration::from_millis(800);
    let (_h, server, running) = plugin_server(&["http.serve"], c).await;
    let a = running.local_addr();

    // Two clients each declare 32 KiB, send most of it and stall.
    let mut stalled = Vec::new();
    for from in ["127.0.0.11", "127.0.0.12"] {
        let mut s = connect_from(from, a).await;
        s.write_all(b"POST /plugins/p/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 32768\r\n\r\n").await.unwrap();
        s.write_all(&vec![b'a'; 30000]).await.unwrap();
        stalled.push(s);
    }
    eventually("both bodies reserved", Duration::from_secs(5), || server.body_bytes_in_flight() == 64 * 1024).await;
    // A third body does not fit: 503 at once, nothing more held.
    let start = Instant::now();
    let r = request(a, "POST", "/plugins/p/echo", &[], &[b'b'; 1000]).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(start.elapsed() < Duration::from_millis(500));
    // The stalled bodies time out with 408 and give their memory back.
    for s in stalled {
        let r = exchange(s, b"").await;
        assert_eq!(r.status, 408);
        assert_eq!(r.error(), "the request body did not arrive in time");
    }
    eventually("memory given back", Duration::from_secs(5), || server.body_bytes_in_flight() == 0).await;
    let r = request(a, "POST", "/plugins/p/echo", &[], &[b'b'; 1000]).await;
    assert_eq!(r.status, 200);

    // A chunked body (no Content-Length) is counted as it arrives.
    let mut s = TcpStream::connect(a).await.unwrap();
    s.write_all(b"POST /plugins/p/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\n")
        .await
        .unwrap();
    s.write_all(&vec![b'c'; 0x4000]).await.unwrap();
    s.write_all(b"\r\n").await.unwrap();
    eventually("the chunk is counted", Duration::from_secs(5), || server.body_bytes_in_flight() == 0x4000).await;
    let r = exchange(s, b"").await;
    assert_eq!(r.status, 408);
    assert_eq!(server.body_bytes_in_flight(), 0);
}

// ---- 6. SSE ---------------------------------------------------------------------------------

async fn open_sse_from(from: &str, a: SocketAddr, path: &str) -> (TcpStream, u16) {
    let mut s = connect_from(from, a).await;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    let status = String::from_utf8_lossy(&head).split(' ').nth(1).unwrap().parse().unwrap();
    (s, status)
}

#[tokio::test]
async fn one_client_cannot_take_every_sse_slot_and_channels_are_forgotten() {
    let hub = Arc::new(SseHub::new(100).with_max_per_client(4));
    let host = Arc::new(
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .loader(Arc::new(FakeLoader))
            .sse(hub.clone())
            .build()
            .unwrap(),
    );
    host.load(bundle("p", &["http.sse"], json!({}))).await.unwrap();
    let (_server, running) = serve(PluginServer::new(host.clone(), config())).await;
    let a = running.local_addr();

    let mut mine = Vec::new();
    for i in 0..4 {
        let (s, status) = open_sse_from("127.0.0.1", a, &format!("/plugins/p/_sse/made-up-{i}")).await;
        assert_eq!(status, 200);
        mine.push(s);
    }
    let r = exchange(connect_from("127.0.0.1", a).await, &get_req("/plugins/p/_sse/more", &[])).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.error(), "this address already has 4 SSE connections to plugin `p`, its limit");
    let (_other, status) = open_sse_from("127.0.0.2", a, "/plugins/p/_sse/made-up-0").await;
    assert_eq!(status, 200, "other viewers still get in");
    assert_eq!(hub.channel_count(), 4);

    // Made-up channel names do not accumulate: each goes when its last viewer does.
    drop(mine);
    eventually("the first channels are gone", Duration::from_secs(5), || hub.channel_count() == 1).await;
    for round in 0..25 {
        let mut open = Vec::new();
        for i in 0..4 {
            open.push(open_sse_from("127.0.0.1", a, &format!("/plugins/p/_sse/r{round}-{i}")).await.0);
        }
        drop(open);
        eventually("a round's channels are gone", Duration::from_secs(5), || hub.channel_count() == 1).await;
    }
    assert_eq!(hub.connections("p"), 1);
}

// ---- 7. failed logins ---------------------------------------------------------------------------

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuf {
    type Writer = LogBuf;
    fn make_writer(&'a self) -> LogBuf {
        self.clone()
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_per_address_and_logged() {
    let logs = LogBuf::default();
    let _log =
        tracing::subscriber::set_default(tracing_subscriber::fmt().with_writer(logs.clone()).with_ansi(false).finish());
    let mut c = config();
    c.logins.free_failures = 3;
    c.logins.first_delay = Duration::from_millis(800);
    let (_h, _server, running) = plugin_server(&["http.serve"], c).await;
    let a = running.local_addr();
    let wrong = basic("admin", "guess");
    let right = basic("admin", PASSWORD);
    let from = |ip: &'static str, auth: String| async move {
        exchange(connect_from(ip, a).await, &get_req("/api/admin/plugins", &[("Authorization", &auth)])).await
    };

    for _ in 0..4 {
        assert_eq!(from("127.0.0.1", wrong.clone()).await.status, 401);
    }
    // Locked out now: even the right password is not compared from this address...
    let r = from("127.0.0.1", right.clone()).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert!(r.error().starts_with("too many failed logins from this address"), "{}", r.error());
    // ...while the admin elsewhere gets in, and anonymous pages still work here.
    assert_eq!(from("127.0.0.2", right.clone()).await.status, 404, "no manager: past auth, no such route");
    let r = exchange(connect_from("127.0.0.1", a).await, &get_req("/plugins/p/x", &[])).await;
    assert_eq!(r.status, 200);
    // The delay grows: the next failure after the lock-out locks for longer.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(from("127.0.0.1", wrong.clone()).await.status, 401);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(from("127.0.0.1", right.clone()).await.status, 429, "1.6 s lock-out after the fifth failure");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(from("127.0.0.1", right.clone()).await.status, 404, "the right password works again");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("failed admin login")).collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines.iter().all(|l| l.contains("WARN") && l.contains("client=127.0.0.1")), "{text}");
    assert!(lines[3].contains("refused for"), "{text}");
}

// ---- 8 and 9. cross-site admin requests, the plugin sandbox --------------------------------

#[tokio::test]
async fn cross_site_admin_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pages = json!({"admin": {"pages": [{"title": "Settings", "path": "settings"}]}, "config": {"greeting": {"type": "string"}}});
    write_loose(dir.path(), "victim", &["http.serve"], pages);
    let s = managed(dir, |_| {}).await;
    let a = s.addr();
    assert_eq!(admin_json(a, "POST", "/api/admin/plugins/victim/approve", b"").await.status, 200);
    let (k, v) = admin_auth();
    let origin = format!("http://{a}");

    // (what, method, headers, path)
    type Attack<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);
    let attacks: Vec<Attack> = vec![
        // A form on evil.example posting with the admin's cached credentials.
        (
            "POST",
            "/api/admin/plugins/victim/disable",
            vec![("Origin", "https://evil.example"), ("Content-Type", "application/x-www-form-urlencoded")],
            "a=b",
        ),
        // Even with the JSON type (which needs a preflight a browser never gets through).
        (
            "POST",
            "/api/admin/plugins/victim/disable",
            vec![("Origin", "https://evil.example"), ("Content-Type", "application/json")],
            "",
        ),
        (
            "PUT",
            "/api/admin/plugins/victim/config",
            vec![("Origin", "https://evil.example"), ("Content-Type", "text/plain")],
            r#"{"greeting":"<script>x</script>"}"#,
        ),
        // A sandboxed document (every plugin page) calling the admin API.
        (
            "POST",
            "/api/admin/plugins/victim/disable",
            vec![("Origin", "null"), ("Sec-Fetch-Site", "cross-site"), ("Content-Type", "application/json")],
            "",
        ),
        ("DELETE", "/api/admin/plugins/victim", vec![("Sec-Fetch-Site", "same-site")], ""),
        // No browser headers, but a body type a plain form can send.
        ("POST", "/api/admin/plugins/victim/disable", vec![("Content-Type", "text/plain")], ""),
        ("PUT", "/api/admin/plugins/victim/config", vec![], r#"{"greeting":"x"}"#),
        ("POST", "/api/admin/plugins", vec![("Content-Type", "multipart/form-data; boundary=x")], "--x--"),
        // A plugin's admin page, posted to from another site.
        (
            "POST",
            "/plugins/victim/settings",
            vec![("Origin", "https://evil.example"), ("Content-Type", "application/x-www-form-urlencoded")],
            "a=b",
        ),
    ];
    for (method, path, headers, body) in &attacks {
        let mut h = vec![(k, v.as_str())];
        h.extend(headers.iter().copied());
        let r = request(a, method, path, &h, body.as_bytes()).await;
        assert_eq!(r.status, 403, "{method} {path} {headers:?}: {}", r.text());
    }
    assert!(s.host.get("victim").unwrap().is_enabled(), "a refused request changed nothing");
    assert_eq!(
        admin_json(a, "GET", "/api/admin/plugins/victim/config", b"").await.json()["values"]["greeting"],
        Value::Null
    );

    // The admin's own pages: same origin, JSON.
    let h = [
        (k, v.as_str()),
        ("Origin", origin.as_str()),
        ("Sec-Fetch-Site", "same-origin"),
        ("Content-Type", "application/json"),
    ];
    let r = request(a, "PUT", "/api/admin/plugins/victim/config", &h, br#"{"greeting":"hi"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let h = [(k, v.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json; charset=utf-8")];
    assert_eq!(request(a, "POST", "/api/admin/plugins/victim/disable", &h, b"").await.status, 200);
    // Reading needs no Origin check (a cross-origin page cannot read the answer).
    let r = request(a, "GET", "/api/admin/plugins", &[(k, v.as_str()), ("Origin", "https://evil.example")], b"").await;
    assert_eq!(r.status, 200);
    assert!(!r.has_header("access-control-allow-origin"));
}

#[tokio::test]
async fn plugin_pages_run_sandboxed_away_from_the_admin_origin() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("public")).unwrap();
    std::fs::write(
        d.path().join("public/index.html"),
        "<script>fetch('/api/admin/plugins/p/disable',{method:'POST'})</script>",
    )
    .unwrap();
    let host = host();
    let mut b = bundle("p", &["http.serve", "http.sse"], json!({}));
    b.assets.public_dir = Some(d.path().join("public"));
    host.load(b).await.unwrap();
    let (_server, running) = serve(PluginServer::new(host, config())).await;
    let a = running.local_addr();
    for path in ["/plugins/p/", "/plugins/p/from-the-handler", "/plugins/p/nope/..%2F"] {
        let r = get(a, path).await;
        let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.starts_with("sandbox allow-scripts"), "{path}: {csp}");
        assert!(!csp.contains("allow-same-origin") && !csp.contains("allow-top-navigation"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
    }
    // The page's own requests come from an opaque origin: anonymous reads are allowed...
    let r = request(a, "GET", "/plugins/p/api", &[("Origin", "null")], b"").await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(!r.has_header("access-control-allow-credentials"));
    // ...and what its script sends to the admin API (with the admin's cached credentials) is refused.
    let (k, v) = admin_auth();
    let h =
        [(k, v.as_str()), ("Origin", "null"), ("Sec-Fetch-Site", "cross-site"), ("Content-Type", "application/json")];
    let r = request(a, "POST", "/api/admin/plugins/p/disable", &h, b"").await;
    assert_eq!(r.status, 403);
    assert!(r.error().starts_with("cross-site request refused"), "{}", r.error());
}

// ---- 10. icon, instructions and assets confined --------------------------------------------

#[tokio::test]
async fn icons_instructions_and_assets_do_not_follow_links_out_or_show_for_unapproved_plugins() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "TOP-SECRET").unwrap();
    std::fs::create_dir(outside.path().join("www")).unwrap();
    std::fs::write(outside.path().join("www/index.html"), "TOP-SECRET page").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Dropped in, never approved, with links out.
    write_loose(d, "dropped", &[], json!({}));
    std::os::unix::fs::symlink(outside.path().join("secret"), d.join("dropped.icon.png")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.join("dropped.INSTRUCTIONS.md")).unwrap();
    // Honest files, not enabled yet.
    write_loose(d, "honest", &[], json!({}));
    std::fs::write(d.join("honest.icon.png"), b"\x89PNG honest").unwrap();
    std::fs::write(d.join("honest.INSTRUCTIONS.md"), "# Honest").unwrap();
    // Enabled, but its assets folder is a link out of the plugins folder.
    write_loose(d, "linked", &[], json!({}));
    std::os::unix::fs::symlink(outside.path().join("www"), d.join("linked-assets")).unwrap();
    let s = managed(dir, |_| {}).await;
    let a = s.addr();
    let (k, v) = admin_auth();

    for path in [
        "/plugins/dropped/_icon",
        "/plugins/dropped/_instructions",
        "/plugins/honest/_icon",
        "/plugins/honest/_instructions",
    ] {
        let r = get(a, path).await;
        // Instructions are admin-only (upstream's /api/admin/plugins/<slug>/instructions and its alias).
        let want = if path.ends_with("_instructions") { 401 } else { 404 };
        assert_eq!(r.status, want, "{path}: anonymous clients see nothing of a plugin that is not enabled");
        assert!(!r.text().contains("TOP-SECRET") && !r.text().contains("root:"), "{path}");
    }
    // The admin sees the honest plugin's files before approving it, never the links out.
    let r = request(a, "GET", "/plugins/honest/_instructions", &[(k, &v)], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "# Honest"));
    for path in ["/plugins/dropped/_icon", "/plugins/dropped/_instructions"] {
        let r = request(a, "GET", path, &[(k, &v)], b"").await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("TOP-SECRET") && !r.text().contains("root:"), "{path}");
    }
    // Enabled: anyone gets the honest icon; the dropped plugin's links stay closed.
    for slug in ["honest", "dropped", "linked"] {
        assert_eq!(
            admin_json(a, "POST", &format!("/api/admin/plugins/{slug}/approve"), b"").await.status,
            200,
            "{slug}"
        );
    }
    let r = get(a, "/plugins/honest/_icon").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/png")));
    assert_eq!(get(a, "/plugins/dropped/_icon").await.status, 404);
    assert!(!get(a, "/plugins/dropped/_instructions").await.text().contains("root:"));
    let r = get(a, "/plugins/linked/index.html").await;
    assert_eq!(r.status, 404);
    assert!(!r.text().contains("TOP-SECRET"));
    assert!(
        s.manager.problems().iter().any(|p| p == "linked-assets leads out of the plugins folder; it is not served"),
        "{:?}",
        s.manager.problems()
    );
}

// ---- 11. uploads that collide, temporary folders ------------------------------------------------

#[tokio::test]
async fn colliding_package_entries_get_400_without_host_paths_and_no_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join(".ocpkg-unpacked");
    // What a crash mid-unpack left behind is removed at start-up.
    std::fs::create_dir_all(work.join(".tmp-999-old-0011/public")).unwrap();
    std::fs::write(work.join(".tmp-999-old-0011/public/big"), vec![0u8; 4096]).unwrap();
    std::fs::write(dir.path().join(".old.ocpkg.tmp-999-3"), b"half a package").unwrap();
    let s = managed(dir, |_| {}).await;
    let leftovers = |p: &Path| {
        std::fs::read_dir(p)
            .map(|rd| rd.flatten().filter(|e| e.file_name().to_string_lossy().contains(".tmp-")).count())
            .unwrap_or(0)
    };
    assert_eq!(leftovers(&work), 0);
    assert_eq!(leftovers(s.dir.path()), 0);

    let (k, v) = admin_auth();
    let addr = s.addr();
    let upload = |bytes: Vec<u8>| {
        let v = v.clone();
        async move {
            request(addr, "POST", "/api/admin/plugins", &[(k, &v), ("Content-Type", "application/zip")], &bytes).await
        }
    };
    for files in [
        vec![("public/a", &b"a file"[..]), ("public/a/b", &b"beneath a file"[..])],
        vec![("public/a/b", &b"beneath"[..]), ("public", &b"the folder as a file"[..])],
    ] {
        let pkg = fake_package("clash", "1.0.0", &[], json!({}), &files);
        let r = upload(pkg).await;
        assert_eq!(r.status, 400, "{}", r.text());
        let e = r.error();
        assert!(e.contains("collide") && e.contains("both a file and a folder"), "{e}");
        assert!(!e.contains(&s.dir.path().display().to_string()) && !e.contains("/tmp"), "a host path leaked: {e}");
    }
    assert_eq!(leftovers(&work), 0);
    assert_eq!(leftovers(s.dir.path()), 0);
    assert!(s.manager.list().is_empty());
}

// ---- 12. config sizes --------------------------------------------------------------------------

#[tokio::test]
async fn config_values_are_capped_per_key_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let schema: serde_json::Map<String, Value> = (0..6).map(|i| (format!("k{i}"), json!({"type": "string"}))).collect();
    write_loose(dir.path(), "cfg", &["http.serve"], json!({"config": schema}));
    let s = managed(dir, |_| {}).await;
    let a = s.addr();
    let put =
        |v: Value| async move { admin_json(a, "PUT", "/api/admin/plugins/cfg/config", v.to_string().as_bytes()).await };

    let r = put(json!({"k0": "x".repeat(900_000)})).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.error().contains("config key `k0` is 900002 bytes as JSON; the limit is 16384"), "{}", r.error());
    let r = put(json!({"k0": "<b>fine</b>"})).await;
    assert_eq!(r.status, 200);
    // Each under the per-key cap, together over the total.
    for i in 1..4 {
        assert_eq!(put(json!({format!("k{i}"): "y".repeat(15_000)})).await.status, 200);
    }
    let r = put(json!({"k4": "y".repeat(15_000), "k5": "y".repeat(15_000)})).await;
    assert_eq!(r.status, 413);
    assert!(r.error().contains("its settings would take"), "{}", r.error());
    let values = admin_json(a, "GET", "/api/admin/plugins/cfg/config", b"").await.json();
    assert_eq!(values["values"]["k4"], Value::Null, "all or nothing");
    assert_eq!(values["values"]["k0"], "<b>fine</b>", "stored as given: plugins escape what they render");
}

// ---- 5. a plugins folder that cannot be listed ----------------------------------------------

#[tokio::test]
async fn a_folder_that_cannot_be_listed_is_not_read_as_no_plugins() {
    let dir = tempfile::tempdir().unwrap();
    write_loose(dir.path(), "keeper", &["http.serve"], json!({}));
    let failing = Arc::new(AtomicBool::new(false));
    let f = failing.clone();
    let s = managed(dir, move |mc| {
        let normal = DirLister::default();
        mc.list_dir = DirLister(Arc::new(move |p: &Path| {
            if f.load(Ordering::SeqCst) {
                // What 20,000 idle connections did to the periodic rescan.
                Err(std::io::Error::from_raw_os_error(24))
            } else {
                (normal.0)(p)
            }
        }));
    })
    .await;
    let a = s.addr();
    assert_eq!(admin_json(a, "POST", "/api/admin/plugins/keeper/approve", b"").await.status, 200);
    assert_eq!(get(a, "/plugins/keeper/x").await.status, 200);

    failing.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        s.manager.rescan().await;
    }
    assert!(s.host.get("keeper").is_some_and(|p| p.is_enabled()), "the plugin was unloaded");
    assert_eq!(get(a, "/plugins/keeper/x").await.status, 200);
    let list = admin_json(a, "GET", "/api/admin/plugins", b"").await.json();
    assert_eq!(list["plugins"][0]["slug"], "keeper");
    let problems = s.manager.problems();
    assert!(
        problems.iter().any(|p| p.contains("the last scan of the plugins folder failed") && p.contains("os error 24")),
        "{problems:?}"
    );

    failing.store(false, Ordering::SeqCst);
    s.manager.rescan().await;
    assert!(s.manager.problems().is_empty());
    assert!(s.host.get("keeper").is_some());
}

// ---- HTTP/2 -------------------------------------------------------------------------------------

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let n = payload.len();
    let mut f = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8, ty, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A GET's header block (HPACK, no Huffman): static `:method GET` and
/// `:scheme http`, literal `:path` and `:authority`.
fn get_headers(path: &str) -> Vec<u8> {
    let mut b = vec![0x82, 0x86, 0x04, path.len() as u8];
    b.extend_from_slice(path.as_bytes());
    b.extend_from_slice(&[0x01, 9]);
    b.extend_from_slice(b"localhost");
    b
}

async fn read_frame(s: &mut TcpStream) -> Option<(u8, u8, u32, Vec<u8>)> {
    let mut head = [0u8; 9];
    s.read_exact(&mut head).await.ok()?;
    let len = ((head[0] as usize) << 16) | ((head[1] as usize) << 8) | head[2] as usize;
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).await.ok()?;
    Some((head[3], head[4], u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff, payload))
}

/// Opens an HTTP/2 connection (prior knowledge) and returns the server's settings.
async fn h2_connect(a: SocketAddr) -> (TcpStream, Vec<(u16, u32)>) {
    let mut s = TcpStream::connect(a).await.unwrap();
    s.write_all(PREFACE).await.unwrap();
    s.write_all(&frame(0x4, 0, 0, &[])).await.unwrap();
    let (ty, _, _, payload) =
        tokio::time::timeout(Duration::from_secs(5), read_frame(&mut s)).await.unwrap().expect("no SETTINGS");
    assert_eq!(ty, 0x4, "the server speaks HTTP/2 and opens with SETTINGS");
    let settings = payload
        .chunks(6)
        .map(|c| (u16::from_be_bytes([c[0], c[1]]), u32::from_be_bytes([c[2], c[3], c[4], c[5]])))
        .collect();
    s.write_all(&frame(0x4, 0x1, 0, &[])).await.unwrap();
    (s, settings)
}

#[tokio::test]
async fn http2_rapid_reset_gets_goaway_and_the_server_stays_up() {
    let (_h, _server, running) = plugin_server(&["http.serve"], config()).await;
    let a = running.local_addr();
    let (s, _) = h2_connect(a).await;
    // Open a stream and cancel it at once, thousands of times, in one burst.
    let mut burst = Vec::new();
    for i in 0..5000u32 {
        let id = 2 * i + 1;
        burst.extend(frame(0x1, 0x4 | 0x1, id, &get_headers("/plugins/p/work")));
        burst.extend(frame(0x3, 0, id, &8u32.to_be_bytes()));
    }
    let (mut r, mut w) = s.into_split();
    let writer = tokio::spawn(async move {
        let _ = w.write_all(&burst).await;
        w
    });
    let mut goaway = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sock_frames = 0usize;
    loop {
        let mut head = [0u8; 9];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, r.read_exact(&mut head)).await {
            Ok(Ok(_)) => {}
            _ => break,
        }
        let len = ((head[0] as usize) << 16) | ((head[1] as usize) << 8) | head[2] as usize;
        let mut payload = vec![0u8; len];
        if r.read_exact(&mut payload).await.is_err() {
            break;
        }
        sock_frames += 1;
        if head[3] == 0x7 {
            goaway = Some(u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]));
            break;
        }
    }
    let _ = writer.await;
    assert_eq!(goaway, Some(0xb), "expected GOAWAY ENHANCE_YOUR_CALM after {sock_frames} frames");
    // Everyone else is still served.
    assert_eq!(get(a, "/plugins/p/x").await.status, 200);
}

#[tokio::test]
async fn http2_concurrent_streams_are_capped() {
    let mut c = config();
    c.limits.max_h2_streams = 4;
    let (_h, _server, running) = plugin_server(&["http.sse"], c).await;
    let (mut s, settings) = h2_connect(running.local_addr()).await;
    assert!(settings.contains(&(0x3, 4)), "SETTINGS_MAX_CONCURRENT_STREAMS is not 4: {settings:?}");
    // Five long-lived streams (SSE) at once: the fifth is refused.
    let mut out = Vec::new();
    for i in 0..5u32 {
        out.extend(frame(0x1, 0x4 | 0x1, 2 * i + 1, &get_headers(&format!("/plugins/p/_sse/c{i}"))));
    }
    s.write_all(&out).await.unwrap();
    let mut answered = std::collections::BTreeSet::new();
    let mut refused = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while refused.is_none() || answered.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some((ty, _, id, payload))) = tokio::time::timeout(left, read_frame(&mut s)).await else {
            panic!("answered {answered:?}, refused {refused:?}")
        };
        match ty {
            0x1 => {
                answered.insert(id);
            }
            0x3 => refused = Some((id, u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]))),
            0x7 => panic!("GOAWAY instead of refusing one stream"),
            _ => {}
        }
    }
    assert_eq!(answered.into_iter().collect::<Vec<_>>(), [1, 3, 5, 7]);
    assert_eq!(refused, Some((9, 0x7)), "the fifth stream is refused with REFUSED_STREAM");
}

#[tokio::test]
async fn a_manifest_may_add_harmless_sandbox_tokens_but_never_the_admin_origin() {
    let (_h, _server, running) = {
        let host = host();
        host.load(bundle("p", &["http.serve"], json!({"sandbox": ["allow-pointer-lock"]}))).await.unwrap();
        let (server, running) = serve(PluginServer::new(host.clone(), config())).await;
        (host, server, running)
    };
    let csp = get(running.local_addr(), "/plugins/p/x").await.header("content-security-policy").unwrap().to_string();
    assert!(csp.starts_with("sandbox allow-scripts") && csp.contains(" allow-pointer-lock;"), "{csp}");
    for token in ["allow-same-origin", "allow-top-navigation", "allow-popups-to-escape-sandbox"] {
        let e = host()
            .load(bundle("q", &[], json!({"sandbox": [token]})))
            .await
            .err()
            .unwrap_or_else(|| panic!("{token} accepted"));
        let e = e.to_string();
        assert!(e.contains("sandbox[0]") && e.contains(token), "{e}");
    }
}

// ---- admin pages in the sandbox: capability links ------------------------------------------

#[tokio::test]
async fn a_sandboxed_admin_page_reaches_its_own_plugin_through_a_capability_link() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("public/admin")).unwrap();
    std::fs::write(d.path().join("public/admin/index.html"), "<script>fetch('./echo')</script>").unwrap();
    let host = host();
    let pages = json!({"admin": {"pages": [{"title": "Settings", "path": "admin"}, {"title": "API", "path": "echo"}]}});
    let mut b = bundle("adm", &["http.serve"], pages);
    b.assets.public_dir = Some(d.path().join("public"));
    host.load(b).await.unwrap();
    host.load(bundle("other", &["http.serve"], json!({"admin": {"pages": [{"title": "Settings", "path": "admin"}]}})))
        .await
        .unwrap();
    let (_server, running) = serve(PluginServer::new(host, config())).await;
    let a = running.local_addr();
    let (k, v) = admin_auth();

    // The admin's browser opens the page: it is sent to a capability link.
    let r = request(a, "GET", "/plugins/adm/admin/?tab=1", &[(k, &v), ("Accept", "text/html,*/*")], b"").await;
    assert_eq!(r.status, 307, "{}", r.text());
    let link = r.header("location").unwrap().to_string();
    let token = link.strip_prefix("/plugins/adm/").unwrap().split('/').next().unwrap().to_string();
    assert!(token.starts_with('~') && link.ends_with("/admin/?tab=1"), "{link}");
    // Non-browser clients with credentials are answered directly, as before.
    assert_eq!(request(a, "GET", "/plugins/adm/admin/", &[(k, &v)], b"").await.status, 200);

    // The sandboxed page's own requests: no credentials, Origin null, the token in the path.
    let r = request(a, "GET", &link, &[("Origin", "null")], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<script>fetch('./echo')</script>"));
    let r = request(
        a,
        "POST",
        &format!("/plugins/adm/{token}/echo"),
        &[("Origin", "null"), ("Content-Type", "text/plain")],
        b"{\"greeting\":\"hi\"}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let j = r.json();
    assert_eq!(
        (j["path"].as_str(), j["authenticated"].as_bool()),
        (Some("/echo"), Some(true)),
        "the plugin sees no token and an admin request: {j}"
    );
    // A JSON POST is preflighted; the host answers for the link.
    let r = request(
        a,
        "OPTIONS",
        &format!("/plugins/adm/{token}/echo"),
        &[
            ("Origin", "null"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        (r.header("access-control-allow-origin"), r.header("access-control-allow-headers")),
        (Some("*"), Some("content-type"))
    );

    // The link is worth nothing elsewhere: outside the admin pages, for another plugin, forged.
    let r = request(a, "GET", "/plugins/other/admin/", &[(k, &v), ("Accept", "text/html")], b"").await;
    let other =
        r.header("location").unwrap().strip_prefix("/plugins/other/").unwrap().split('/').next().unwrap().to_string();
    let j = request(a, "GET", &format!("/plugins/other/{other}/echo"), &[], b"").await.json();
    assert_eq!(j["authenticated"], false, "not an admin page: the link does not authenticate it");
    assert_eq!(
        request(a, "GET", &format!("/plugins/other/{token}/admin/"), &[], b"").await.status,
        401,
        "another plugin's link"
    );
    let forged = format!("{}{}", &token[..token.len() - 1], if token.ends_with('0') { '1' } else { '0' });
    let r = request(a, "GET", &format!("/plugins/adm/{forged}/echo"), &[], b"").await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (401, "this admin page link is not valid or has expired; open the page again")
    );
    let r = request(
        a,
        "POST",
        &format!("/api/admin/plugins/adm/{token}/disable"),
        &[("Content-Type", "application/json")],
        b"",
    )
    .await;
    assert_eq!(r.status, 401, "never the admin API");
}
