//! A legacy module's view of plugin HTTP, through the real server over
//! loopback: the request JSON it receives byte for byte (upstream's envelope:
//! `path` with its leading slash, `query` an object without `accessToken`,
//! canonical header names without cookies), and upstream's response defaults.

mod common;

use common::*;
use owncast_plugin_server::{PluginServer, ServerConfig};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `on_http_request` copies its input into key `req` of its storage
/// (`owncast_kv_set`) and answers `{"status": 201, "body": "stored"}`.
fn recorder() -> Vec<u8> {
    let (key_data, _) = out_text(64, "req");
    let (resp_data, resp_call) = out_text(128, r#"{"status":201,"body":"stored"}"#);
    module(
        r#"(import "extism:host/user" "owncast_kv_set" (func $kv_set (param i64 i64)))"#,
        &format!(
            r#"{key_data} {resp_data}
  (func (export "on_http_request") (result i32)
    (local $n i32) (local $i i32)
    (local.set $n (i32.wrap_i64 (call $input_length)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.const 4096) (local.get $i)) (call $input_load_u8 (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $kv_set (call $to_kernel (i32.const 64) (i32.const 3)) (call $to_kernel (i32.const 4096) (local.get $n)))
    {resp_call}
    (i32.const 0))"#
        ),
    )
}

async fn serve(host: Arc<owncast_plugin_host::Host>) -> (Arc<PluginServer>, owncast_plugin_server::RunningServer) {
    let server = Arc::new(PluginServer::new(host, ServerConfig::default()));
    let running = server.clone().bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (server, running)
}

/// One HTTP/1.1 request; returns the status and the body.
async fn request(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
    (status, raw[split..].to_vec())
}

#[tokio::test]
async fn a_legacy_module_receives_upstreams_request_envelope() {
    let host = Arc::new(host());
    let m = json!({"name": "Recorder", "slug": "recorder", "version": "1.0.0", "permissions": ["http.serve", "storage.kv"]});
    load(&host, &m, recorder()).await.unwrap();
    let (_srv, running) = serve(host.clone()).await;
    let (status, body) = request(
        running.local_addr(),
        "/plugins/recorder/api/me/?accessToken=secret-token&keep=yes&keep=no&q=a+b",
        &[
            ("Cookie", "owncast_chat_token=secret-cookie; theme=dark"),
            ("X-Demo", "hi"),
            ("Authorization", "Bearer secret-bearer"),
        ],
    )
    .await;
    assert_eq!((status, body.as_slice()), (201, b"stored".as_slice()));
    let raw = host.services().kv.get("plugins.kv.recorder.req").unwrap().expect("the module stored its input");
    assert!(!raw.contains("secret"), "a credential reached the plugin: {raw}");
    let env: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(env["method"], "GET");
    assert_eq!(env["path"], "/api/me");
    assert_eq!(env["query"], json!({"keep": "yes", "q": "a b"}));
    assert_eq!(env["headers"]["X-Demo"], "hi");
    assert!(env["headers"].get("Cookie").is_none() && env["headers"].get("Authorization").is_none(), "{env}");
    assert_eq!(env["body"], "");
    assert_eq!(env["remoteAddr"], "127.0.0.1");
    assert_eq!(env["authenticated"], false);
    assert!(env.get("user").is_none());
    // The plugin's root is `/`.
    request(running.local_addr(), "/plugins/recorder/", &[]).await;
    let env: Value =
        serde_json::from_str(&host.services().kv.get("plugins.kv.recorder.req").unwrap().unwrap()).unwrap();
    assert_eq!((env["path"].as_str(), &env["query"]), (Some("/"), &json!({})));
}

#[tokio::test]
async fn legacy_response_defaults_are_upstreams() {
    let host = Arc::new(host());
    // No `on_http_request` export at all: 404 with an empty body, no strike.
    let no_handler = filter_outputting(r#"{"action":"pass"}"#);
    let m = json!({"name": "Quiet", "slug": "quiet", "version": "1.0.0", "permissions": ["http.serve"]});
    load(&host, &m, no_handler).await.unwrap();
    // An answer of nothing (the SDK's `undefined`): 200.
    let silent = module("", r#"(func (export "on_http_request") (result i32) (i32.const 0))"#);
    let m = json!({"name": "Silent", "slug": "silent", "version": "1.0.0", "permissions": ["http.serve"]});
    load(&host, &m, silent).await.unwrap();
    // A JSON answer without a status: 200.
    let (data, call) = out_text(1024, r#"{"body":"no status"}"#);
    let statusless =
        module("", &format!(r#"{data} (func (export "on_http_request") (result i32) {call} (i32.const 0))"#));
    let m = json!({"name": "Statusless", "slug": "statusless", "version": "1.0.0", "permissions": ["http.serve"]});
    load(&host, &m, statusless).await.unwrap();

    let (_srv, running) = serve(host.clone()).await;
    for _ in 0..6 {
        let (status, body) = request(running.local_addr(), "/plugins/quiet/x", &[]).await;
        assert_eq!((status, body.len()), (404, 0));
    }
    assert!(host.get("quiet").unwrap().is_enabled());
    assert_eq!(host.get("quiet").unwrap().health().strikes, 0);
    let (status, body) = request(running.local_addr(), "/plugins/silent/x", &[]).await;
    assert_eq!((status, body.len()), (200, 0));
    let (status, body) = request(running.local_addr(), "/plugins/statusless/x", &[]).await;
    assert_eq!((status, body.as_slice()), (200, b"no status".as_slice()));
}
