//! The admin API's JSON bodies: an approval's `{"permissions": [...]}` and a
//! settings write, sent as the admin through [`PluginServer::handle`] (the
//! router the live server uses) to a manager that runs the `kernel-tour`
//! fixture (it declares settings). Bad input must get a 4xx: a 5xx or a
//! panic is a bug, and the plugin must stay known afterwards.

use crate::fixtures::{legacy_host, plugins_dir, FIXTURE};
use bytes::Bytes;
use http::{header, Method, Request, StatusCode};
use owncast_plugin_manager::{ManagerConfig, PluginManager};
use owncast_plugin_server::{PluginServer, RequestAuth, ServerConfig};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// What the first byte selects: the method and path the rest is the body of.
const ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/api/admin/plugins/kernel-tour/approve"),
    (Method::PUT, "/api/admin/plugins/kernel-tour/config"),
    (Method::POST, "/api/admin/plugins/kernel-tour/config"),
    (Method::PUT, "/api/admin/plugins/no-such-plugin/config"),
];

fn server() -> &'static PluginServer {
    static S: OnceLock<PluginServer> = OnceLock::new();
    S.get_or_init(|| {
        super::runtime().block_on(async {
            let host = legacy_host();
            let host = Arc::new(host);
            // Its own copy of the plugins folder: approvals write its state file.
            let dir = plugins_dir().with_file_name("admin-plugins");
            copy_dir(&plugins_dir().join(FIXTURE), &dir.join(FIXTURE));
            let m = PluginManager::new(host.clone(), ManagerConfig::new(&dir)).expect("a manager");
            m.rescan().await;
            m.approve(FIXTURE, None).await.expect("the fixture is approved and starts");
            PluginServer::new(host, ServerConfig::default()).with_manager(m)
        })
    })
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else if ty.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn admin_request(method: Method, path: &str, body: Bytes) -> Request<Bytes> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "owncast.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap();
    req.extensions_mut().insert(RequestAuth { admin: true, user: None });
    req
}

pub fn admin_api(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else { return };
    let (method, path) = &ROUTES[which as usize % ROUTES.len()];
    let server = server();
    let remote: SocketAddr = "192.0.2.8:40000".parse().unwrap();
    super::runtime().block_on(async {
        let r = server.handle(admin_request(method.clone(), path, Bytes::copy_from_slice(body)), remote).await;
        let status = r.status();
        assert!(!status.is_server_error(), "{method} {path} answered {status}: {}", String::from_utf8_lossy(r.body()));
        let info =
            server.handle(admin_request(Method::GET, "/api/admin/plugins/kernel-tour", Bytes::new()), remote).await;
        assert_eq!(info.status(), StatusCode::OK, "the plugin is no longer known: {:?}", info.body());
    });
}
