//! The plugin manager and the admin API, driven over loopback: discovery,
//! approvals, persistence, upload with trial load, the `.ocpkg` reader's
//! refusals, typed config.

mod common;

use common::*;
use owncast_plugin_host::Host;
use owncast_plugin_manager::package::{read_package, write_package, PackageLimits};
use owncast_plugin_manager::{ManagerConfig, PluginManager, Status};
use owncast_plugin_server::{admin, admin_page, PluginServer, RunningServer, ServerConfig};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

struct Setup {
    dir: tempfile::TempDir,
    host: Arc<Host>,
    manager: Arc<PluginManager>,
    running: RunningServer,
}

impl Setup {
    fn addr(&self) -> SocketAddr {
        self.running.local_addr()
    }
    fn plugins(&self) -> &Path {
        self.dir.path()
    }
}

async fn setup_with(dir: tempfile::TempDir, limits: Option<PackageLimits>, server_config: ServerConfig) -> Setup {
    let host = host();
    let mut mc = ManagerConfig::new(dir.path());
    if let Some(l) = limits {
        mc.package_limits = l;
    }
    let manager = PluginManager::new(host.clone(), mc).unwrap();
    manager.rescan().await;
    let (_server, running) = serve(PluginServer::new(host.clone(), server_config).with_manager(manager.clone())).await;
    Setup { dir, host, manager, running }
}

async fn setup(dir: tempfile::TempDir) -> Setup {
    setup_with(dir, None, config()).await
}

/// Loose files `<slug>.manifest.json` + `<slug>.wasm` (fake code).
fn write_loose(dir: &Path, slug: &str, version: &str, perms: &[&str], extra: Value) {
    std::fs::write(dir.join(format!("{slug}.manifest.json")), manifest(slug, version, perms, extra)).unwrap();
    std::fs::write(dir.join(format!("{slug}.wasm")), fake_code(slug, version, perms)).unwrap();
}

/// An admin API call as the admin UI makes it: credentials and the body type
/// the admin API requires (a package upload is a zip, everything else JSON).
async fn admin(a: SocketAddr, method: &str, path: &str, body: &[u8]) -> Resp {
    let (k, v) = admin_auth();
    let upload = method == "POST" && path.trim_end_matches('/') == "/api/admin/plugins";
    let ct = if upload { "application/zip" } else { "application/json" };
    request(a, method, path, &[(k, &v), ("Content-Type", ct)], body).await
}

fn plugin_in<'a>(list: &'a Value, slug: &str) -> &'a Value {
    list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} not in {list}"))
}

#[tokio::test]
async fn discovers_loose_files_and_packages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_loose(d, "loose", "1.0.0", &[], json!({"description": "from files"}));
    std::fs::create_dir(d.join("loose-assets")).unwrap();
    std::fs::write(d.join("loose-assets/index.html"), "loose page").unwrap();
    std::fs::write(d.join("loose.icon.png"), "icon").unwrap();
    std::fs::write(
        d.join("packed.ocpkg"),
        fake_package("packed", "2.0.0", &[], json!({}), &[("public/hi.txt", b"packed file")]),
    )
    .unwrap();
    // The same slug twice: the package wins and the admin is told.
    std::fs::write(d.join("dupe.ocpkg"), fake_package("loose", "9.0.0", &[], json!({}), &[])).unwrap();
    std::fs::write(d.join("broken.manifest.json"), "{not json").unwrap();
    std::fs::write(d.join("nocode.manifest.json"), manifest("nocode", "1.0.0", &[], json!({}))).unwrap();
    std::fs::write(d.join("junk.ocpkg"), "not a zip").unwrap();
    let s = setup(dir).await;
    let r = admin(s.addr(), "GET", "/api/admin/plugins", b"").await;
    assert_eq!(r.status, 200);
    let list = r.json();
    let slugs: Vec<&str> = list["plugins"].as_array().unwrap().iter().map(|p| p["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["loose", "packed"]);
    assert_eq!(plugin_in(&list, "loose")["file"], "dupe.ocpkg");
    assert_eq!(plugin_in(&list, "packed")["source"], "package");
    assert_eq!(plugin_in(&list, "packed")["status"], "disabled", "nothing runs until the admin enables it");
    assert_eq!(
        list["problems"],
        json!(["plugin `loose` is in both dupe.ocpkg and loose.manifest.json; using dupe.ocpkg"])
    );
    let invalid: Vec<(String, String)> = list["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["file"].as_str().unwrap().to_string(), i["error"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(invalid.len(), 3, "{invalid:?}");
    assert_eq!(invalid[0].0, "junk.ocpkg");
    assert_eq!(invalid[0].1, "junk.ocpkg: not an .ocpkg package (a zip archive)");
    assert!(invalid[1].1.starts_with("broken.manifest.json: field `(file)`: not valid JSON"), "{}", invalid[1].1);
    assert_eq!(invalid[2].1, "no nocode.wasm (or nocode.js) next to it");

    // Disabled plugins are not served.
    let r = get(s.addr(), "/plugins/packed/hi.txt").await;
    assert_eq!((r.status, r.error().as_str()), (503, "plugin `packed` is not enabled"));
    // Enabling a plugin that asks for nothing needs no approval.
    let r = admin(s.addr(), "POST", "/api/admin/plugins/packed/enable", b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "enabled");
    assert_eq!(r.json()["kind"], "fake");
    assert_eq!(get(s.addr(), "/plugins/packed/hi.txt").await.text(), "packed file");

    std::fs::remove_file(s.plugins().join("dupe.ocpkg")).unwrap();
    s.manager.rescan().await;
    admin(s.addr(), "POST", "/api/admin/plugins/loose/enable", b"").await;
    assert_eq!(get(s.addr(), "/plugins/loose/").await.text(), "loose page");
    assert_eq!(get(s.addr(), "/plugins/loose/_icon").await.text(), "icon");
    assert_eq!(get(s.addr(), "/api/plugins/loose/icon").await.text(), "icon");
}

#[tokio::test]
async fn permissions_need_approval_and_state_persists() {
    let dir = tempfile::tempdir().unwrap();
    write_loose(dir.path(), "chatty", "1.0.0", &["chat.send", "http.serve"], json!({}));
    let s = setup(dir).await;
    let a = s.addr();
    let r = admin(a, "POST", "/api/admin/plugins/chatty/enable", b"").await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error(), "plugin `chatty` asks for permissions the admin has not approved: chat.send, http.serve; approve them to enable it");
    assert!(s.host.get("chatty").is_none());
    let info = admin(a, "GET", "/api/admin/plugins/chatty", b"").await.json();
    assert_eq!(info["unapprovedPermissions"], json!(["chat.send", "http.serve"]));
    assert_eq!(info["permissions"], json!(["chat.send", "http.serve"]));

    // Approving a set other than the one declared is refused.
    let r = admin(a, "POST", "/api/admin/plugins/chatty/approve", br#"{"permissions":["chat.send"]}"#).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.error(),
        "plugin `chatty` 1.0.0 asks for [chat.send, http.serve], not the [chat.send] being approved; review it again"
    );
    let r = admin(a, "POST", "/api/admin/plugins/chatty/approve", br#"{"permissions":["chat.nope"]}"#).await;
    assert_eq!((r.status, r.error().as_str()), (400, "unknown permission `chat.nope`"));
    let r = admin(a, "POST", "/api/admin/plugins/chatty/approve", b"{oops").await;
    assert_eq!(r.status, 400);
    assert!(r.error().starts_with("request body is not valid JSON"), "{}", r.error());

    let r =
        admin(a, "POST", "/api/admin/plugins/chatty/approve", br#"{"permissions":["http.serve","chat.send"]}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "enabled");
    assert_eq!(r.json()["approvedPermissions"], json!(["chat.send", "http.serve"]));
    assert_eq!(get(a, "/plugins/chatty/version").await.text(), "1.0.0");

    let state: Value = serde_json::from_slice(&std::fs::read(s.plugins().join(".enabled.json")).unwrap()).unwrap();
    assert_eq!(
        state["plugins"]["chatty"],
        json!({"enabled": true, "approved": ["chat.send", "http.serve"], "approvedVersion": "1.0.0", "approvedAllowedHosts": []})
    );

    // Its metrics: in the admin API, and as OpenMetrics text for the admin only.
    let r = admin(a, "GET", "/api/admin/plugins/chatty", b"").await;
    assert_eq!(r.json()["metrics"]["calls"]["http"], 1, "{}", r.text());
    assert_eq!(get(a, "/api/admin/metrics").await.status, 401);
    let r = admin(a, "GET", "/api/admin/metrics", b"").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("owncast_plugin_calls_total{plugin=\"chatty\",kind=\"http\"} 1"), "{}", r.text());

    // A restart (new host, new manager, same folder) brings it back.
    let dir = s.dir;
    s.running.shutdown().await;
    let s2 = setup(dir).await;
    assert_eq!(get(s2.addr(), "/plugins/chatty/version").await.text(), "1.0.0");

    // Disable persists too.
    let r = admin(s2.addr(), "POST", "/api/admin/plugins/chatty/disable", b"").await;
    assert_eq!(r.json()["status"], "disabled");
    let r = get(s2.addr(), "/plugins/chatty/version").await;
    assert_eq!((r.status, r.error().as_str()), (503, "plugin `chatty` is not enabled"));
    let dir = s2.dir;
    s2.running.shutdown().await;
    let s3 = setup(dir).await;
    assert!(s3.host.get("chatty").is_none());
    // No temporary files are left in the folder.
    let stray: Vec<_> = std::fs::read_dir(s3.plugins())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[tokio::test]
async fn a_new_version_reaching_more_hosts_stays_disabled_until_approved() {
    let dir = tempfile::tempdir().unwrap();
    let perms = &["http.serve", "network.fetch"];
    let hosts = |h: &[&str]| json!({"network": {"allowedHosts": h}});
    write_loose(dir.path(), "fetcher", "1.0.0", perms, hosts(&["api.example.com"]));
    let s = setup(dir).await;
    let a = s.addr();
    admin(a, "POST", "/api/admin/plugins/fetcher/approve", b"").await;
    assert_eq!(get(a, "/plugins/fetcher/version").await.text(), "1.0.0");

    // Same permissions, one more host: stops until the admin approves the host.
    write_loose(s.plugins(), "fetcher", "1.1.0", perms, hosts(&["api.example.com", "evil.example.net"]));
    admin(a, "POST", "/api/admin/plugins/rescan", b"").await;
    let info = admin(a, "GET", "/api/admin/plugins/fetcher", b"").await.json();
    assert_eq!(info["status"], "needs-approval");
    assert_eq!(info["unapprovedPermissions"], json!([]));
    assert_eq!(info["unapprovedAllowedHosts"], json!(["evil.example.net"]));
    assert_eq!(info["approvedAllowedHosts"], json!(["api.example.com"]));
    assert_eq!(get(a, "/plugins/fetcher/version").await.status, 503);
    let r = admin(a, "POST", "/api/admin/plugins/fetcher/enable", b"").await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (
            409,
            "plugin `fetcher` asks for permissions the admin has not approved: outgoing host evil.example.net; approve them to enable it"
        )
    );

    // Approving hosts other than the ones it asks for is refused.
    let body = json!({"permissions": perms, "allowedHosts": ["api.example.com"]}).to_string();
    let r = admin(a, "POST", "/api/admin/plugins/fetcher/approve", body.as_bytes()).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (
            409,
            "plugin `fetcher` 1.1.0 may reach [api.example.com, evil.example.net], not the [api.example.com] being approved; review it again"
        )
    );
    let r = admin(a, "POST", "/api/admin/plugins/fetcher/approve", br#"{"permissions":[],"allowedHosts":7}"#).await;
    assert_eq!((r.status, r.error().as_str()), (400, "`allowedHosts` must be a list of host names"));
    assert_eq!(get(a, "/plugins/fetcher/version").await.status, 503);

    // Approving what it asks for starts it.
    let body = json!({"permissions": perms, "allowedHosts": ["api.example.com", "evil.example.net"]}).to_string();
    let r = admin(a, "POST", "/api/admin/plugins/fetcher/approve", body.as_bytes()).await;
    assert_eq!(r.json()["status"], "enabled", "{}", r.text());
    assert_eq!(r.json()["unapprovedAllowedHosts"], json!([]));
    assert_eq!(get(a, "/plugins/fetcher/version").await.text(), "1.1.0");

    // Fewer hosts keep running.
    write_loose(s.plugins(), "fetcher", "1.2.0", perms, hosts(&["evil.example.net"]));
    admin(a, "POST", "/api/admin/plugins/fetcher/reload", b"").await;
    assert_eq!(get(a, "/plugins/fetcher/version").await.text(), "1.2.0");
}

#[tokio::test]
async fn a_new_version_asking_for_more_stays_disabled_until_approved() {
    let dir = tempfile::tempdir().unwrap();
    write_loose(dir.path(), "grower", "1.0.0", &["http.serve"], json!({}));
    let s = setup(dir).await;
    let a = s.addr();
    admin(a, "POST", "/api/admin/plugins/grower/approve", b"").await;
    assert_eq!(get(a, "/plugins/grower/version").await.text(), "1.0.0");

    // Same permissions, new version: replaced in place on rescan.
    write_loose(s.plugins(), "grower", "1.1.0", &["http.serve"], json!({}));
    let r = admin(a, "POST", "/api/admin/plugins/rescan", b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(get(a, "/plugins/grower/version").await.text(), "1.1.0");

    // More permissions: stops, and says why.
    write_loose(s.plugins(), "grower", "2.0.0", &["http.serve", "chat.send"], json!({}));
    admin(a, "POST", "/api/admin/plugins/rescan", b"").await;
    let info = admin(a, "GET", "/api/admin/plugins/grower", b"").await.json();
    assert_eq!(info["status"], "needs-approval");
    assert_eq!(info["unapprovedPermissions"], json!(["chat.send"]));
    assert_eq!(info["version"], "2.0.0");
    assert_eq!(get(a, "/plugins/grower/version").await.status, 503);
    let r = admin(a, "POST", "/api/admin/plugins/grower/enable", b"").await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (409, "plugin `grower` asks for permissions the admin has not approved: chat.send; approve them to enable it")
    );
    let r = admin(a, "POST", "/api/admin/plugins/grower/approve", b"").await;
    assert_eq!(r.json()["status"], "enabled");
    assert_eq!(get(a, "/plugins/grower/version").await.text(), "2.0.0");

    // Fewer permissions keep running.
    write_loose(s.plugins(), "grower", "2.1.0", &["http.serve"], json!({}));
    admin(a, "POST", "/api/admin/plugins/grower/reload", b"").await;
    assert_eq!(get(a, "/plugins/grower/version").await.text(), "2.1.0");

    // A register() that reports another version loads (upstream does not
    // compare versions) and the admin API shows the warning.
    std::fs::write(s.plugins().join("grower.wasm"), fake_code("grower", "9.9.9", &["http.serve"])).unwrap();
    let r = admin(a, "POST", "/api/admin/plugins/grower/reload", b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let warnings = r.json()["warnings"].clone();
    assert_eq!(
        warnings,
        json!([format!(
            "{}: field `version`: the plugin registers version \"9.9.9\" but the manifest says \"2.1.0\" (a stale build?)",
            s.plugins().join("grower.manifest.json").display()
        )])
    );

    // A version that no longer loads leaves the running one in place and reports why.
    std::fs::write(s.plugins().join("grower.wasm"), fake_code("other", "2.1.0", &["http.serve"])).unwrap();
    let r = admin(a, "POST", "/api/admin/plugins/grower/reload", b"").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.error(),
        format!(
            "{}: field `slug`: the plugin registers as \"other\" but the manifest says \"grower\"",
            s.plugins().join("grower.manifest.json").display()
        )
    );
    assert_eq!(get(a, "/plugins/grower/version").await.text(), "9.9.9");
    let info = admin(a, "GET", "/api/admin/plugins/grower", b"").await.json();
    assert!(info["lastError"].as_str().unwrap().contains("registers as \"other\""), "{info}");
}

#[tokio::test]
async fn upload_is_validated_before_it_replaces_anything() {
    let s = setup(tempfile::tempdir().unwrap()).await;
    let a = s.addr();
    let pkg = |version: &str, perms: &[&str]| {
        fake_package(
            "up",
            version,
            perms,
            json!({}),
            &[("public/v.txt", version.as_bytes()), ("INSTRUCTIONS.md", b"# up")],
        )
    };

    let r = admin(a, "POST", "/api/admin/plugins", &pkg("1.0.0", &["http.serve"])).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["status"], "disabled");
    assert_eq!(r.json()["instructionsUrl"], "/api/admin/plugins/up/instructions");
    assert!(s.plugins().join("up.ocpkg").is_file());
    // The admin reads the instructions before enabling it (at upstream's path
    // and the alias); anonymous clients see nothing.
    assert_eq!(admin(a, "GET", "/api/admin/plugins/up/instructions", b"").await.text(), "# up");
    assert_eq!(admin(a, "GET", "/plugins/up/_instructions", b"").await.text(), "# up");
    assert_eq!(get(a, "/plugins/up/_instructions").await.status, 401);
    assert_eq!(get(a, "/api/admin/plugins/up/instructions").await.status, 401);
    // The admin page's rendered form is a different route, admin only too.
    assert_eq!(
        admin(a, "GET", "/api/admin/plugins/up/instructions/rendered", b"").await.json()["html"]
            .as_str()
            .map(str::trim),
        Some("<h1>up</h1>")
    );
    assert_eq!(get(a, "/api/admin/plugins/up/instructions/rendered").await.status, 401);
    admin(a, "POST", "/api/admin/plugins/up/approve", b"").await;
    assert_eq!(get(a, "/plugins/up/version").await.text(), "1.0.0");

    // Each broken upload is refused with the reason; 1.0.0 keeps running.
    let mismatch = {
        let m = manifest("up", "1.1.0", &["http.serve"], json!({}));
        let c = fake_code("up", "1.1.0", &["http.serve", "chat.send"]);
        zip_of(&[("plugin.manifest.json", &m), ("plugin.wasm", &c)])
    };
    let failing = {
        let m = manifest("up", "1.1.0", &["http.serve"], json!({}));
        let c = fake_code_with(
            json!({"slug": "up", "version": "1.1.0", "permissions": ["http.serve"], "registerFails": true}),
        );
        zip_of(&[("plugin.manifest.json", &m), ("plugin.wasm", &c)])
    };
    let unknown_code = zip_of(&[
        ("plugin.manifest.json", &manifest("up", "1.1.0", &[], json!({}))),
        ("plugin.wasm", b"\0asm\x01\0\0\0"),
    ]);
    let bad_manifest =
        zip_of(&[("plugin.manifest.json", br#"{"name":"x","slug":"up","version":""}"#), ("plugin.wasm", b"FAKE{}")]);
    let cases: Vec<(Vec<u8>, u16, String)> = vec![
        (mismatch, 422, "uploaded package:plugin.manifest.json: field `permissions`: the plugin registers permissions the manifest does not declare: [chat.send]".into()),
        (failing, 422, "plugin up: register() failed: plugin error: register exploded".into()),
        (unknown_code, 422, "uploaded package:plugin.wasm: not a plugin this host can run (neither a WebAssembly component nor a module of a known kind)".into()),
        (bad_manifest, 400, "uploaded package:plugin.manifest.json: field `version`: must not be empty".into()),
        (b"hello".to_vec(), 400, "uploaded package: not an .ocpkg package (a zip archive)".into()),
    ];
    for (bytes, status, message) in cases {
        let r = admin(a, "POST", "/api/admin/plugins", &bytes).await;
        assert_eq!((r.status, r.error()), (status, message));
        assert_eq!(get(a, "/plugins/up/version").await.text(), "1.0.0");
        assert_eq!(get(a, "/plugins/up/v.txt").await.text(), "1.0.0");
    }
    let r = admin(a, "POST", "/api/admin/plugins", b"").await;
    assert_eq!((r.status, r.error().as_str()), (400, "the request body must be an .ocpkg package"));

    // A good new version replaces the running one without a restart.
    let r = admin(a, "POST", "/api/admin/plugins", &pkg("1.2.0", &["http.serve"])).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "enabled");
    assert_eq!(get(a, "/plugins/up/version").await.text(), "1.2.0");
    assert_eq!(get(a, "/plugins/up/v.txt").await.text(), "1.2.0");

    // A new version asking for more is installed but does not run.
    let r = admin(a, "POST", "/api/admin/plugins", &pkg("2.0.0", &["http.serve", "storage.kv"])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "needs-approval");
    assert_eq!(get(a, "/plugins/up/version").await.status, 503);
    admin(a, "POST", "/api/admin/plugins/up/approve", b"").await;
    assert_eq!(get(a, "/plugins/up/version").await.text(), "2.0.0");
    // Only the current unpacked version is kept.
    let unpacked: Vec<_> = std::fs::read_dir(s.plugins().join(".ocpkg-unpacked")).unwrap().flatten().collect();
    assert_eq!(unpacked.len(), 1, "{unpacked:?}");

    // Loose files of the same slug are not silently shadowed.
    write_loose(s.plugins(), "loosey", "1.0.0", &[], json!({}));
    s.manager.rescan().await;
    let r = admin(a, "POST", "/api/admin/plugins", &fake_package("loosey", "1.0.0", &[], json!({}), &[])).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.error(),
        "plugin `loosey` is installed from loose files (loosey.manifest.json in the plugins folder); remove them before uploading a package"
    );

    // Delete removes it from disk and from service.
    let r = admin(a, "DELETE", "/api/admin/plugins/up", b"").await;
    assert_eq!((r.status, r.json()), (200, json!({"deleted": "up", "dataDeleted": false})));
    assert!(!s.plugins().join("up.ocpkg").exists());
    assert_eq!(get(a, "/plugins/up/version").await.status, 404);
    let r = admin(a, "DELETE", "/api/admin/plugins/up", b"").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no plugin `up`"));
}

/// Deleting with `data=true` removes the plugin's one storage directory
/// (upstream's `<data>/<slug>/` with `files/` and `db/`) and nobody else's.
#[tokio::test]
async fn delete_with_data_removes_the_plugins_storage_directory() {
    let s = setup_with(tempfile::tempdir().unwrap(), None, config()).await;
    let a = s.addr();
    for slug in ["gone", "stays"] {
        write_loose(s.plugins(), slug, "1.0.0", &[], json!({}));
    }
    s.manager.rescan().await;
    let data = s.manager.host().services().data_dir.clone();
    for slug in ["gone", "stays"] {
        std::fs::create_dir_all(data.join(slug).join("files/notes")).unwrap();
        std::fs::write(data.join(slug).join("files/notes/a.txt"), "a").unwrap();
        std::fs::create_dir_all(data.join(slug).join("db")).unwrap();
        std::fs::write(data.join(slug).join("db/plugin.db"), "").unwrap();
    }
    let r = admin(a, "DELETE", "/api/admin/plugins/gone?data=true", b"").await;
    assert_eq!((r.status, r.json()), (200, json!({"deleted": "gone", "dataDeleted": true})));
    assert!(!data.join("gone").exists());
    assert!(data.join("stays/files/notes/a.txt").is_file() && data.join("stays/db/plugin.db").is_file());
}

#[tokio::test]
async fn the_package_reader_refuses_unsafe_archives() {
    let limits = PackageLimits {
        max_package_bytes: 200_000,
        max_entries: 20,
        max_entry_bytes: 100_000,
        max_total_bytes: 150_000,
        max_manifest_bytes: 2_000,
    };
    let s = setup_with(tempfile::tempdir().unwrap(), Some(limits), config()).await;
    let a = s.addr();
    let m = manifest("evil", "1.0.0", &[], json!({}));
    let c = fake_code("evil", "1.0.0", &[]);
    let base = |extra: &[(&str, &[u8])]| -> Vec<u8> {
        let mut e: Vec<(&str, &[u8])> = vec![("plugin.manifest.json", &m), ("plugin.wasm", &c)];
        e.extend_from_slice(extra);
        zip_of(&e)
    };
    let raw = |entries: &[(&str, &[u8], Option<u32>)]| {
        let mut z = RawZip::new();
        for (n, d, mode) in entries {
            z.add(n, d, *mode);
        }
        z.finish()
    };
    let zeros = vec![0u8; 120_000];
    let big_manifest = manifest("evil", "1.0.0", &[], json!({"description": "d".repeat(3000)}));
    let many: Vec<String> = (0..20).map(|i| format!("public/{i}.txt")).collect();
    let many_entries: Vec<(&str, &[u8])> = many.iter().map(|n| (n.as_str(), b"x" as &[u8])).collect();
    let encrypted = {
        let mut z = RawZip::new();
        z.add("plugin.manifest.json", &m, None).add("plugin.wasm", &c, None);
        z.next_flags = 1;
        z.add("public/secret.txt", b"x", None);
        z.finish()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("zip-slip", (base(&[("public/../../evil.txt", b"x")])), 400, "uploaded package: entry `public/../../evil.txt` has an unsafe path (`..` leaves the package)"),
        ("absolute", raw(&[("plugin.manifest.json", &m, None), ("/etc/cron.d/x", b"x", None)]), 400, "uploaded package: entry `/etc/cron.d/x` has an unsafe path (absolute, drive, backslash or control character)"),
        ("backslash", raw(&[("public\\..\\x", b"x", None)]), 400, "uploaded package: entry `public\\\\..\\\\x` has an unsafe path (absolute, drive, backslash or control character)"),
        ("drive", raw(&[("C:/x", b"x", None)]), 400, "uploaded package: entry `C:/x` has an unsafe path (absolute, drive, backslash or control character)"),
        ("duplicate", raw(&[("plugin.manifest.json", &m, None), ("plugin.wasm", &c, None), ("plugin.wasm", b"FAKE{}", None)]), 400, "uploaded package: entry `plugin.wasm` appears more than once"),
        ("duplicate after normalizing", raw(&[("plugin.manifest.json", &m, None), ("public/a", b"1", None), ("./public//a", b"2", None)]), 400, "uploaded package: entry `public/a` appears more than once"),
        ("symlink", raw(&[("plugin.manifest.json", &m, None), ("public/passwd", b"/etc/passwd", Some(0o120777))]), 400, "uploaded package: entry `public/passwd` is a symlink; packages may not contain links"),
        ("encrypted", encrypted, 400, "uploaded package: entry `public/secret.txt` is encrypted"),
        ("bomb entry", (base(&[("public/zeros.bin", &zeros)])), 413, "uploaded package: entry `public/zeros.bin` unpacks to 120000 bytes; the limit is 100000"),
        ("bomb total", (base(&[("public/a.bin", &zeros[..80_000]), ("public/b.bin", &zeros[..80_000])])), 413, "uploaded package: contents unpack to more than 150000 bytes in total"),
        ("manifest too big", zip_of(&[("plugin.manifest.json", &big_manifest), ("plugin.wasm", &c)]), 413, Box::leak(format!("uploaded package: entry `plugin.manifest.json` unpacks to {} bytes; the limit is 2000", big_manifest.len()).into_boxed_str())),
        ("too many entries", (base(&many_entries)), 413, "uploaded package: package has 22 entries; the limit is 20"),
        ("no manifest", zip_of(&[("plugin.wasm", &c)]), 400, "uploaded package: plugin.manifest.json is missing"),
        ("no code", zip_of(&[("plugin.manifest.json", &m)]), 400, "uploaded package: no plugin code (plugin.wasm or plugin.js)"),
        ("two codes", (base(&[("plugin.js", b"x")])), 400, "uploaded package: holds both plugin.wasm and plugin.js; a package has one plugin"),
        ("package too big", raw(&[("public/a", &zeros[..70_000], None), ("public/b", &zeros[..70_000], None), ("public/c", &zeros[..70_000], None)]), 413, "uploaded package: package is 210"),
    ];
    for (what, bytes, status, message) in cases {
        let r = admin(a, "POST", "/api/admin/plugins", &bytes).await;
        assert_eq!(r.status, status, "{what}: {}", r.text());
        assert!(r.error().starts_with(message), "{what}: {}", r.error());
        assert!(!s.plugins().join("evil.ocpkg").exists(), "{what}");
    }
    assert!(!s.dir.path().parent().unwrap().join("evil.txt").exists());
    // A well-formed package with extra files passes; unknown files are not unpacked.
    let ok = base(&[("README.md", b"readme"), ("public/ok.txt", b"ok")]);
    let r = admin(a, "POST", "/api/admin/plugins", &ok).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let unpacked = std::fs::read_dir(s.plugins().join(".ocpkg-unpacked")).unwrap().next().unwrap().unwrap().path();
    assert!(unpacked.join("public/ok.txt").is_file());
    assert!(!unpacked.join("README.md").exists());
}

#[tokio::test]
async fn uploads_over_the_server_cap_get_413_and_unauthenticated_ones_401() {
    let mut c = config();
    c.max_upload_bytes = 1000;
    let s = setup_with(tempfile::tempdir().unwrap(), None, c).await;
    let r = admin(s.addr(), "POST", "/api/admin/plugins", &vec![b'P'; 1001]).await;
    assert_eq!((r.status, r.error().as_str()), (413, "request body is over the 1000-byte limit"));
    // Without credentials the body is never read: 401 at once, even for a huge declared length.
    let r = request(s.addr(), "POST", "/api/admin/plugins", &[("Content-Length", "999999999")], b"").await;
    assert_eq!((r.status, r.error().as_str()), (401, "admin authentication required"));
}

#[tokio::test]
async fn every_admin_route_needs_admin_auth() {
    let dir = tempfile::tempdir().unwrap();
    write_loose(dir.path(), "p", "1.0.0", &[], json!({}));
    // Two dozen wrong logins on purpose: no lock-out for this one.
    let mut c = config();
    c.logins.free_failures = 1000;
    let c_metrics = c.metrics_path.clone().expect("metrics are served");
    let s = setup_with(dir, None, c).await;
    // Every route of the admin API, from the router's own table, plus the
    // admin page and the metrics.
    let mut routes: Vec<(&str, String)> =
        admin::ROUTES.iter().map(|r| (r.method, r.path.replace("{slug}", "p"))).collect();
    assert!(routes.len() >= 16, "the table lists every route: {routes:?}");
    routes.push(("GET", "/api/admin/anything".into()));
    routes.push(("GET", admin_page::PAGE_PATH.into()));
    routes.push(("GET", format!("{}app.js", admin_page::PAGE_PATH)));
    routes.push(("GET", c_metrics.clone()));
    for (method, path) in &routes {
        for auth in [None, Some(basic("admin", "wrong")), Some("Bearer nope".to_string())] {
            let h: Vec<(&str, &str)> = auth.as_deref().map(|v| vec![("Authorization", v)]).unwrap_or_default();
            let r = request(s.addr(), method, path, &h, b"").await;
            assert_eq!(r.status, 401, "{method} {path} {auth:?}");
            if *method != "HEAD" {
                assert_eq!(r.error(), "admin authentication required");
            }
            assert!(r.header("www-authenticate").is_some());
        }
    }
    assert!(s.plugins().join("p.manifest.json").exists(), "nothing was deleted");
    // The bearer token works as well as the password.
    let r = request(s.addr(), "GET", "/api/admin/plugins", &[("Authorization", &format!("Bearer {TOKEN}"))], b"").await;
    assert_eq!(r.status, 200);
    // Unknown routes and methods.
    let r = admin(s.addr(), "GET", "/api/admin/plugins/p/explode", b"").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no admin route /api/admin/plugins/p/explode"));
    let r = admin(s.addr(), "GET", "/api/admin/plugins/p/enable", b"").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    let r = admin(s.addr(), "GET", "/api/admin/plugins/nope", b"").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no plugin `nope`"));
    let r = admin(s.addr(), "POST", "/api/admin/plugins/nope/enable", b"").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no plugin `nope`"));
}

#[tokio::test]
async fn admin_list_shows_health_strikes_and_last_error() {
    let dir = tempfile::tempdir().unwrap();
    write_loose(
        dir.path(),
        "fragile",
        "1.0.0",
        &["http.serve", "network.fetch"],
        json!({
            "network": {"allowedHosts": ["api.example.com"]},
            "admin": {"pages": [{"title": "Admin", "path": "admin"}]},
            "subscriptions": {"notify": [{"event": "fail"}]}
        }),
    );
    let s = setup(dir).await;
    let a = s.addr();
    admin(a, "POST", "/api/admin/plugins/fragile/approve", b"").await;
    get(a, "/plugins/fragile/fail").await;
    get(a, "/plugins/fragile/fail").await;
    let p = plugin_in(&admin(a, "GET", "/api/admin/plugins", b"").await.json(), "fragile").clone();
    assert_eq!(p["status"], "enabled");
    assert_eq!(p["strikes"], 0, "HTTP failures never strike");
    assert_eq!(p["health"]["httpFailures"], 2);
    assert_eq!(p["lastError"], "on_http_request: trapped: unreachable executed");
    assert_eq!(p["allowedHosts"], json!(["api.example.com"]));
    assert_eq!(p["permissions"], json!(["network.fetch", "http.serve"]));
    assert_eq!(p["manifest"]["adminPages"][0]["path"], "admin");
    assert_eq!(p["manifest"]["slug"], "fragile");
    let fail = owncast_plugin_host::event::Event::from_json("fail", json!({})).unwrap();
    for _ in 0..5 {
        s.host.notify(&fail).await;
    }
    let p = admin(a, "GET", "/api/admin/plugins/fragile", b"").await.json();
    assert_eq!(p["status"], "auto-disabled");
    assert_eq!(p["strikes"], 5);
    assert_eq!(p["lastError"], "disabled after 5 consecutive failures; last: on_event: trapped: notification failed");
    // Enabling gives it a fresh start.
    let p = admin(a, "POST", "/api/admin/plugins/fragile/enable", b"").await.json();
    assert_eq!((p["status"].as_str(), p["strikes"].as_u64()), (Some("enabled"), Some(0)));
    assert_eq!(get(a, "/plugins/fragile/version").await.status, 200);
    assert_eq!(s.manager.info("fragile").unwrap().status, Status::Enabled);
}

#[tokio::test]
async fn typed_config_is_validated_and_readable_by_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let schema = json!({"config": {
        "greeting": {"type": "string", "default": "hi", "description": "What to say"},
        "limit": {"type": "integer"},
        "loud": {"type": "boolean", "default": false}
    }});
    write_loose(dir.path(), "conf", "1.0.0", &["http.serve"], schema);
    let s = setup(dir).await;
    let a = s.addr();
    admin(a, "POST", "/api/admin/plugins/conf/approve", b"").await;
    let r = admin(a, "GET", "/api/admin/plugins/conf/config", b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["values"], json!({"greeting": "hi", "limit": null, "loud": false}));
    assert_eq!(
        r.json()["schema"]["greeting"],
        json!({"type": "string", "default": "hi", "description": "What to say"})
    );
    assert_eq!(get(a, "/plugins/conf/config?key=greeting").await.text(), "\"hi\"");

    let bad: Vec<(&[u8], &str)> = vec![
        (br#"{"limit": "ten"}"#, "plugin conf: config key `limit` must be a integer, got \"ten\""),
        (br#"{"limit": 1.5}"#, "plugin conf: config key `limit` must be a integer, got 1.5"),
        (br#"{"nope": 1}"#, "plugin conf: config key `nope` is not declared in the manifest"),
        (br#"[1]"#, "config must be a JSON object of setting names to values"),
        (b"{", "request body is not valid JSON: EOF while parsing an object at line 1 column 1"),
    ];
    for (body, message) in bad {
        let r = admin(a, "PUT", "/api/admin/plugins/conf/config", body).await;
        assert_eq!((r.status, r.error().as_str()), (400, message));
    }
    // All or none: a bad value leaves the good one unset.
    let r = admin(a, "PUT", "/api/admin/plugins/conf/config", br#"{"greeting": "hello", "loud": "yes"}"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(get(a, "/plugins/conf/config?key=greeting").await.text(), "\"hi\"");

    let r = admin(a, "PUT", "/api/admin/plugins/conf/config", br#"{"greeting": "hello", "limit": 3}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["values"], json!({"greeting": "hello", "limit": 3, "loud": false}));
    assert_eq!(get(a, "/plugins/conf/config?key=limit").await.text(), "3");
    assert_eq!(get(a, "/plugins/conf/config?key=greeting").await.text(), "\"hello\"");
    assert_eq!(get(a, "/plugins/conf/config?key=other").await.text(), "undeclared");
    let r = admin(a, "GET", "/api/admin/plugins/ghost/config", b"").await;
    assert_eq!((r.status, r.error().as_str()), (404, "no plugin `ghost`"));
}

#[test]
fn packages_written_from_a_directory_read_back() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("plugin.manifest.json"), manifest("packme", "1.0.0", &[], json!({}))).unwrap();
    std::fs::write(d.path().join("packme.wasm"), fake_code("packme", "1.0.0", &[])).unwrap();
    std::fs::create_dir_all(d.path().join("public/css")).unwrap();
    std::fs::write(d.path().join("public/index.html"), "hi").unwrap();
    std::fs::write(d.path().join("public/css/a.css"), "a").unwrap();
    std::fs::write(d.path().join("public/.hidden"), "no").unwrap();
    std::fs::write(d.path().join("icon.png"), "png").unwrap();
    std::fs::write(d.path().join("INSTRUCTIONS.md"), "# hi").unwrap();
    let (slug, bytes) = write_package(d.path()).unwrap();
    assert_eq!(slug, "packme");
    let pkg = read_package(&bytes, "packme.ocpkg", &PackageLimits::default()).unwrap();
    assert_eq!(pkg.code_name, "plugin.wasm");
    assert!(pkg.code.starts_with(b"FAKE"));
    let names: Vec<&str> = pkg.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["icon.png", "INSTRUCTIONS.md", "public/css/a.css", "public/index.html"]);
}

#[tokio::test]
async fn a_real_component_installed_as_a_package() {
    let Some(echo) = common::example("echo-bot") else { return };
    let dir = Path::new(&echo.code_file).parent().unwrap().to_path_buf();
    let (_, bytes) = write_package(&dir).unwrap();
    let s = setup(tempfile::tempdir().unwrap()).await;
    let a = s.addr();
    let r = admin(a, "POST", "/api/admin/plugins", &bytes).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = admin(a, "POST", "/api/admin/plugins/echo-bot/enable", b"").await;
    assert_eq!(r.status, 409, "chat.send needs approval");
    let r = admin(a, "POST", "/api/admin/plugins/echo-bot/approve", b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["status"].as_str(), r.json()["kind"].as_str()), (Some("enabled"), Some("component")));
    let r = get(a, "/plugins/echo-bot/anything").await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (404, "plugin `echo-bot` has no file /anything and does not serve HTTP (permission http.serve)")
    );
}

#[tokio::test]
async fn plugin_directories_are_discovered_but_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("devplug");
    std::fs::create_dir_all(p.join("public")).unwrap();
    std::fs::write(p.join("plugin.manifest.json"), manifest("devplug", "1.0.0", &["http.serve"], json!({}))).unwrap();
    std::fs::write(p.join("plugin.wasm"), fake_code("devplug", "1.0.0", &["http.serve"])).unwrap();
    std::fs::write(p.join("public/index.html"), "dir page").unwrap();
    std::fs::create_dir_all(dir.path().join("empty-dir")).unwrap();
    let s = setup(dir).await;
    let a = s.addr();
    let info = admin(a, "GET", "/api/admin/plugins/devplug", b"").await.json();
    assert_eq!((info["source"].as_str(), info["file"].as_str()), (Some("directory"), Some("devplug/")));
    admin(a, "POST", "/api/admin/plugins/devplug/approve", b"").await;
    assert_eq!(get(a, "/plugins/devplug/").await.text(), "dir page");
    assert_eq!(get(a, "/plugins/devplug/version").await.text(), "1.0.0");
    // A new build in the directory is picked up by a rescan.
    std::fs::write(p.join("plugin.manifest.json"), manifest("devplug", "1.1.0", &["http.serve"], json!({}))).unwrap();
    std::fs::write(p.join("plugin.wasm"), fake_code("devplug", "1.1.0", &["http.serve"])).unwrap();
    s.manager.rescan().await;
    assert_eq!(get(a, "/plugins/devplug/version").await.text(), "1.1.0");
    let r = admin(a, "DELETE", "/api/admin/plugins/devplug", b"").await;
    assert_eq!(r.status, 409);
    // No host paths in what the client is told.
    assert_eq!(r.error(), "plugin `devplug` is a directory (devplug/ in the plugins folder); the host does not delete directories, remove it yourself");
    assert!(p.join("plugin.wasm").exists());
    let r = admin(a, "POST", "/api/admin/plugins", &fake_package("devplug", "2.0.0", &["http.serve"], json!({}), &[]))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error(), "plugin `devplug` is installed as a directory (devplug/ in the plugins folder); remove it before uploading a package");
}

/// A Rust component that panics: what the admin sees as the plugin's last
/// error is the panic's message, its place and the guest function it
/// happened in (what the guest wrote to stderr during the failing call, and
/// the component's name section), not `wasm trap: wasm \`unreachable\`
/// instruction executed` at `<wasm function N>`.
#[tokio::test]
async fn a_panicking_components_last_error_names_its_message_and_function() {
    let Some(hostile) = test_guest("hostile") else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.manifest.json"), &hostile.manifest).unwrap();
    std::fs::write(dir.path().join("hostile.wasm"), &hostile.code).unwrap();
    let s = setup(dir).await;
    let a = s.addr();
    let r = admin(a, "POST", "/api/admin/plugins/hostile/approve", b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let chat = |body: &str| {
        owncast_plugin_host::event::Event::from_json(
            "chat.message.received",
            json!({"id": "m", "user": {"id": "u-eve", "displayName": "eve"}, "body": body, "timestamp": "2024-01-01T00:00:00Z"}),
        )
        .unwrap()
    };
    // Output of an earlier call is not this call's.
    let out = s.host.filter(chat("hello")).await;
    assert!(out.dropped.is_none(), "{:?}", out.steps);
    let out = s.host.filter(chat("panic")).await;
    let failed: Vec<&str> = out
        .steps
        .iter()
        .filter_map(|st| match &st.result {
            owncast_plugin_host::dispatcher::StepResult::Failed(e) => Some(e.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", out.steps);
    let p = admin(a, "GET", "/api/admin/plugins/hostile", b"").await.json();
    let last = p["lastError"].as_str().unwrap_or_else(|| panic!("no lastError in {p}"));
    assert!(last.starts_with("on_filter: trapped: panicked at hostile/src/lib.rs:"), "{last}");
    assert!(last.contains(r#"hostile exploded on "panic" (1 parts)"#), "the panic message: {last}");
    assert!(last.ends_with(" at hostile::explode"), "the guest function: {last}");
    assert!(!last.contains("wasm function") && !last.contains("unreachable"), "{last}");
    assert!(failed[0].contains(r#"hostile exploded on "panic""#), "the filter step's error: {}", failed[0]);
}
