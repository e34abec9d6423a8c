//! Security checks over loopback that the other suites leave open: one
//! plugin against another (KV, files, settings, SSE channels), header
//! injection through a plugin's answer, malformed requests.

mod common;

use common::*;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::{Host, PluginContext};
use owncast_plugin_server::PluginServer;
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PERMS: &[&str] = &["storage.kv", "storage.fs", "http.serve", "http.sse"];

async fn two_plugins(data: &std::path::Path) -> Arc<Host> {
    let host = Arc::new(
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .loader(Arc::new(FakeLoader))
            .data_dir(data)
            .build()
            .unwrap(),
    );
    host.load(bundle("alpha", PERMS, json!({"config": {"secret": {"type": "string"}}}))).await.unwrap();
    host.load(bundle("beta", PERMS, json!({"config": {"other": {"type": "string"}}}))).await.unwrap();
    host
}

fn ctx(host: &Host, slug: &str) -> Arc<PluginContext> {
    host.get(slug).unwrap().context().clone()
}

#[tokio::test]
async fn a_plugin_cannot_read_another_plugins_kv_files_or_settings() {
    let data = tempfile::tempdir().unwrap();
    let host = two_plugins(data.path()).await;
    let (a, b) = (ctx(&host, "alpha"), ctx(&host, "beta"));

    // KV: the same key names, different namespaces; no key reaches another's.
    a.kv_set("token", "alpha's").unwrap();
    assert_eq!(b.kv_get("token").unwrap(), None);
    for key in ["../alpha.token", "plugins.kv.alpha.token", "alpha.token", ".alpha.token", "*"] {
        assert_eq!(b.kv_get(key).unwrap(), None, "{key}");
    }
    b.kv_set("token", "beta's").unwrap();
    assert_eq!(a.kv_get("token").unwrap().as_deref(), Some("alpha's"), "not overwritten by beta");

    // Files: each plugin's folder is its own; paths out of it are refused.
    assert!(a.fs_write("secret.txt", b"alpha's file").unwrap().ok);
    assert_eq!(b.fs_read("secret.txt").unwrap(), None);
    assert!(!b.fs_list("").unwrap().contains(&"secret.txt".to_string()));
    for path in ["../alpha/secret.txt", "/alpha/secret.txt", "../../alpha/files/secret.txt", "../db/plugin.db"] {
        assert!(b.fs_read(path).is_err(), "{path}");
        assert!(b.fs_exists(path).is_err(), "{path}");
        assert!(b.fs_delete(path).is_err(), "{path}");
        assert!(b.fs_write(path, b"beta was here").is_err(), "{path}");
    }
    assert!(b.fs_list("..").is_err());
    assert_eq!(a.fs_read("secret.txt").unwrap().as_deref(), Some(&b"alpha's file"[..]));

    // Settings: a plugin reads the keys its own manifest declares, nothing else.
    let config = &host.services().config;
    let values: BTreeMap<String, serde_json::Value> = [("secret".to_string(), json!("alpha-key"))].into();
    config.set(&host.get("alpha").unwrap().manifest, &values).unwrap();
    assert_eq!(a.config_get("secret").as_deref(), Some("\"alpha-key\""));
    assert_eq!(b.config_get("secret"), None, "undeclared for beta");
    // Nor can beta write alpha's settings through its own schema.
    let sneaky: BTreeMap<String, serde_json::Value> = [("secret".to_string(), json!("beta-key"))].into();
    assert!(config.set(&host.get("beta").unwrap().manifest, &sneaky).is_err());
    assert_eq!(a.config_get("secret").as_deref(), Some("\"alpha-key\""));
}

/// What arrives on `s` within `wait`.
async fn read_for(s: &mut TcpStream, wait: Duration) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let end = Instant::now() + wait;
    while let Ok(Ok(n)) = tokio::time::timeout(end.saturating_duration_since(Instant::now()), s.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_plugins_sse_channels_carry_only_its_own_frames() {
    let data = tempfile::tempdir().unwrap();
    let host = two_plugins(data.path()).await;
    let (_s, running) = serve(PluginServer::new(host.clone(), config())).await;
    let addr = running.local_addr();
    let (mut viewer, head) = open_sse(addr, "/plugins/alpha/_sse/live").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // beta sends on a channel of the same name: alpha's viewers see nothing.
    let r = get(addr, "/plugins/beta/sse?ch=live&n=3&size=4").await;
    assert_eq!((r.status, r.text().as_str()), (200, "sent 3"));
    let seen = read_for(&mut viewer, Duration::from_millis(400)).await;
    assert!(!seen.contains("tick"), "beta's frames reached alpha's viewer: {seen:?}");
    // alpha's own frame arrives.
    let r = get(addr, "/plugins/alpha/sse?ch=live&n=1&size=4").await;
    assert_eq!(r.status, 200);
    let seen = read_for(&mut viewer, Duration::from_millis(600)).await;
    assert!(seen.contains("event: tick") && seen.contains("0 pppp"), "{seen:?}");
    // A viewer of beta's channel cannot be opened through alpha's path with `..`.
    let r = get(addr, "/plugins/alpha/_sse/../../beta/_sse/live").await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test]
async fn header_injection_through_a_plugins_answer_is_impossible() {
    let data = tempfile::tempdir().unwrap();
    let host = two_plugins(data.path()).await;
    let (_s, running) = serve(PluginServer::new(host, config())).await;
    let answer = json!({
        "status": 200,
        "headers": {
            "Content-Type": "text/html\r\n\r\n<script>alert(1)</script>",
            "Cache-Control": "no-cache\r\nSet-Cookie: session=injected",
            "Content-Language": "en\nLocation: https://evil.example/",
            "X-Split\r\nSet-Cookie": "header=name",
            "Content-Disposition": "inline\u{0}x",
            "ETag": "\"fine\"",
        },
        "body": "the body",
    });
    let r = request(running.local_addr(), "POST", "/plugins/alpha/respond", &[], answer.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "the body", "the body is the plugin's body, nothing more");
    for (k, v) in &r.headers {
        let line = format!("{k}: {v}").to_ascii_lowercase();
        assert!(
            !line.contains("injected") && !line.contains("evil.example") && !line.contains("<script>"),
            "an injected header: {line}"
        );
        assert!(!k.eq_ignore_ascii_case("set-cookie") && !k.eq_ignore_ascii_case("location"), "{k}");
    }
    // Invalid values are dropped whole; the defaults stand; valid headers pass.
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("cache-control").is_none_or(|v| !v.contains("no-cache")), "{:?}", r.header("cache-control"));
    assert_eq!(r.header("etag"), Some("\"fine\""));
}

/// Sends raw bytes; the status of the answer, or `None` when the server
/// closed the connection without one.
async fn raw_status(addr: SocketAddr, raw: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may close before reading everything (that is an answer too).
    let _ = s.write_all(raw).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => panic!("no answer and no close within 10 s"),
        }
    }
    let text = String::from_utf8_lossy(&got);
    text.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).map(|c| c.parse().unwrap())
}

#[tokio::test]
async fn malformed_and_oversize_requests_are_refused_and_the_server_stays_up() {
    let data = tempfile::tempdir().unwrap();
    let host = two_plugins(data.path()).await;
    let (_s, running) = serve(PluginServer::new(host, config())).await;
    let addr = running.local_addr();
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not HTTP", b"GARBAGE\r\n\r\n".to_vec()),
        ("binary", vec![0u8, 159, 146, 150, 13, 10, 13, 10]),
        ("a header line without a colon", b"GET /plugins/alpha/x HTTP/1.1\r\nHost: x\r\nNo Colon Here\r\n\r\n".to_vec()),
        ("a non-numeric Content-Length", b"POST /plugins/alpha/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec()),
        (
            "two different Content-Lengths",
            b"POST /plugins/alpha/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde".to_vec(),
        ),
        (
            "a broken chunked body",
            b"POST /plugins/alpha/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"
                .to_vec(),
        ),
        ("a 1 MiB header", format!("GET /plugins/alpha/x HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(1 << 20)).into_bytes()),
        ("200 headers", format!("GET /plugins/alpha/x HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes()),
        ("a 1 MiB path", format!("GET /plugins/alpha/{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(1 << 20)).into_bytes()),
        ("an unknown HTTP version", b"GET /plugins/alpha/x HTTP/7.0\r\nHost: x\r\n\r\n".to_vec()),
    ];
    for (what, raw) in cases {
        match raw_status(addr, &raw).await {
            None => {}
            Some(code) => assert!((400..500).contains(&code), "{what}: answered {code}"),
        }
        // Still serving.
        let r = get(addr, "/plugins/alpha/hello").await;
        assert_eq!(r.status, 200, "after {what}");
    }
    // A body over the cap through the plugin route: 413 without reading it.
    let r = request(addr, "POST", "/plugins/alpha/echo", &[("Content-Length", "999999999999")], b"").await;
    assert_eq!(r.status, 413);
}
