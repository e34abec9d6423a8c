//! The `package`, `run` and `serve` commands, driven as a user would: the
//! real binary, real built plugins, HTTP over loopback.

mod common;

use common::*;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

fn package(dir: &std::path::Path, out: &std::path::Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_owncast-plugin"))
        .args(["package", dir.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("packaged "), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn package_refuses_a_directory_without_a_plugin() {
    let d = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_owncast-plugin"))
        .args(["package", d.path().to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("plugin.manifest.json"), "{err}");
}

#[test]
fn run_serves_real_plugins_from_the_plugins_folder() {
    let overlay = repo().join("examples/js/overlay");
    let echo = repo().join("examples/rust/echo-bot");
    if !built(&overlay.join("overlay.wasm")) || !built(&echo.join("echo-bot.wasm")) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&plugins).unwrap();
    package(&overlay, &plugins.join("overlay.ocpkg"));
    copy_plugin(&echo, &plugins.join("echo-bot"));
    let args = |listen: &str| -> Vec<String> {
        [
            "run",
            "--plugins",
            plugins.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--listen",
            listen,
            "--rescan",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let argv = args("127.0.0.1:0");
    let env = [("OWNCAST_ADMIN_PASSWORD", "pw")];
    let mut p = Proc::start_with_env(&argv.iter().map(String::as_str).collect::<Vec<_>>(), &env);
    let a = p.address("Owncast plugin host on");
    let admin = basic("admin", "pw");
    let auth = [("Authorization", admin.as_str())];

    let r = get(a, "/plugins/overlay/");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json()["error"], "plugin `overlay` is not enabled");
    let list = request(a, "GET", "/api/admin/plugins", &auth, b"").json();
    let sources: Vec<(String, String, String)> = list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["slug"].as_str().unwrap().into(),
                p["source"].as_str().unwrap().into(),
                p["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            ("echo-bot".into(), "directory".into(), "disabled".into()),
            ("overlay".into(), "package".into(), "disabled".into())
        ]
    );

    let r =
        request(a, "POST", "/api/admin/plugins/overlay/approve", &[auth[0], ("Content-Type", "application/json")], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "enabled");
    // public/ is served as files; other paths reach the plugin's handler.
    let r = get(a, "/plugins/overlay/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = get(a, "/plugins/overlay/overlay.css");
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/css; charset=utf-8")));
    let r = get(a, "/plugins/overlay/api/messages");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"messages": [], "total": 0}));
    let r = request(a, "POST", "/plugins/overlay/api/messages", &[], b"{}");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET")));

    // A package dropped into the folder shows up on the next scan.
    package(&echo, &tmp.path().join("echo.ocpkg"));
    std::fs::remove_dir_all(plugins.join("echo-bot")).unwrap();
    std::fs::rename(tmp.path().join("echo.ocpkg"), plugins.join("echo-bot.ocpkg")).unwrap();
    eventually(Duration::from_secs(20), "the dropped package", || {
        let list = request(a, "GET", "/api/admin/plugins", &auth, b"").json();
        list["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["slug"] == "echo-bot" && p["source"] == "package")
            .then_some(())
    });

    // A restart keeps what the admin enabled.
    drop(p);
    let mut p = Proc::start_with_env(&argv.iter().map(String::as_str).collect::<Vec<_>>(), &env);
    let a = p.address("Owncast plugin host on");
    p.wait_for("overlay", Duration::from_secs(60));
    let r = get(a, "/plugins/overlay/api/messages");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(std::fs::read_to_string(data.join("plugins.json")).unwrap().contains("\"overlay\""));
}

#[test]
fn serve_runs_one_plugin_with_a_dev_page_and_reloads_on_change() {
    let echo = repo().join("examples/rust/echo-bot");
    if !built(&echo.join("echo-bot.wasm")) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("echo-bot");
    copy_plugin(&echo, &dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "// source").unwrap();
    std::fs::copy(dir.join("echo-bot.wasm"), dir.join("good.bin")).unwrap();
    std::fs::write(dir.join("build.sh"), "cp good.bin echo-bot.wasm\n").unwrap();
    let mut p = Proc::start(&[
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--build",
        "sh build.sh",
        "--admin-password",
        "dev",
    ]);
    let a = p.address("dev page");

    let r = get(a, "/");
    assert_eq!((r.status, r.header("location")), (302, Some("/_dev/")));
    let r = get(a, "/_dev/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("id=\"chat-form\""));
    let state = get(a, "/_dev/api/state").json();
    assert_eq!(state["plugin"]["slug"], "echo-bot");
    assert_eq!(state["plugin"]["kind"], "component");
    assert_eq!(state["generation"], 1);
    assert_eq!(state["admin"], json!({"user": "admin", "password": "dev"}));

    // Chat as a viewer; the plugin's answer shows in the chat output.
    let r = post_json(a, "/_dev/api/chat", json!({"user": "bob", "body": "hi there"}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["action"], "pass");
    let lines = get(a, "/_dev/api/state").json()["lines"].clone();
    let texts: Vec<(String, String)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap().into(), l["text"].as_str().unwrap().into()))
        .collect();
    assert!(texts.contains(&("viewer".into(), "hi there".into())), "{texts:?}");
    assert!(texts.contains(&("plugin".into(), "bob said: hi there".into())), "{texts:?}");
    // `since` returns only newer lines.
    let seq = get(a, "/_dev/api/state").json()["seq"].as_u64().unwrap();
    assert_eq!(get(a, &format!("/_dev/api/state?since={seq}")).json()["lines"], json!([]));

    // Any event, with a payload checked against the event's type.
    let payload = json!({"id": "x1", "user": {"id": "u-c", "displayName": "carol"}, "body": "from the event form", "timestamp": "2024-01-01T00:00:00Z"});
    let r = post_json(a, "/_dev/api/event", json!({"eventType": "chat.message.received", "payload": payload}));
    assert_eq!((r.status, r.json()["delivered"].as_str()), (200, Some("chat.message.received")));
    let r = post_json(a, "/_dev/api/event", json!({"eventType": "stream.started", "payload": {"title": 5}}));
    assert_eq!(r.status, 400);
    let error = r.json()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("payload of event `stream.started` does not fit its record: at `title`"), "{error}");
    let r = post_json(a, "/_dev/api/event", json!({"payload": {}}));
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("`eventType` is required")));
    let r = post_json(a, "/_dev/api/chat", json!({"user": "bob", "body": "  "}));
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("say something: `body` is empty")));
    let r = request(a, "POST", "/_dev/api/chat", &[], b"nope");
    assert_eq!(r.status, 400);
    let r = get(a, "/_dev/nope");
    assert_eq!((r.status, r.json()["error"].as_str()), (404, Some("no dev route GET /_dev/nope")));
    // The plugin's own URL space is the real server.
    let r = get(a, "/plugins/echo-bot/page");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"],
        "plugin `echo-bot` has no file /page and does not serve HTTP (permission http.serve)"
    );

    // A source change runs the build; the new build is loaded.
    std::fs::write(dir.join("src/lib.rs"), "// changed").unwrap();
    eventually(Duration::from_secs(30), "a reload after the build", || {
        (get(a, "/_dev/api/state").json()["generation"] == 2).then_some(())
    });
    // A failing build is shown, and the running version stays.
    std::fs::write(dir.join("build.sh"), "echo 'syntax error in lib.rs' >&2\nexit 3\n").unwrap();
    let err = eventually(Duration::from_secs(30), "the build error", || {
        get(a, "/_dev/api/state").json()["buildError"].as_str().map(str::to_string)
    });
    assert!(err.starts_with("`sh build.sh` failed (exit status: 3)"), "{err}");
    assert!(err.contains("syntax error in lib.rs"), "{err}");
    let r = post_json(a, "/_dev/api/chat", json!({"user": "dan", "body": "still here?"}));
    assert_eq!(r.status, 200);
    // A build that does not load keeps the previous version too.
    std::fs::write(dir.join("build.sh"), "cp good.bin echo-bot.wasm\n").unwrap();
    eventually(Duration::from_secs(30), "the build error to clear", || {
        get(a, "/_dev/api/state").json()["buildError"].is_null().then_some(())
    });
    std::fs::write(dir.join("echo-bot.wasm"), b"\0asm\x0d\0\x01\0garbage").unwrap();
    let err = eventually(Duration::from_secs(30), "the load error", || {
        get(a, "/_dev/api/state").json()["loadError"].as_str().map(str::to_string)
    });
    assert!(err.contains("echo-bot.wasm"), "{err}");
    let s = get(a, "/_dev/api/state").json();
    assert_eq!(s["plugin"]["enabled"], true, "the previous version still runs");
    let r = request(a, "POST", "/_dev/api/reload", &[], b"");
    assert_eq!(r.status, 422);
    assert!(r.json()["error"].as_str().unwrap().contains("echo-bot.wasm"));
}

/// The echo-bot example packaged into a temporary folder (kept while the
/// `TempDir` lives), or `None` when the example is not built.
fn packaged_echo_bot() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    let echo = repo().join("examples/rust/echo-bot");
    if !built(&echo.join("echo-bot.wasm")) {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("echo-bot.ocpkg");
    package(&echo, &pkg);
    Some((tmp, pkg))
}

#[test]
fn serve_takes_a_package_honours_port_and_answers_upstream_dev_routes() {
    let Some((_tmp, pkg)) = packaged_echo_bot() else { return };
    // A port that was free a moment ago, given the way upstream's dev server takes it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let mut p = Proc::start_with_env(&["serve", pkg.to_str().unwrap()], &[("PORT", port.as_str())]);
    let a = p.address("dev page");
    assert_eq!(a.port().to_string(), port);
    p.wait_for("serving a package: not watching files", Duration::from_secs(10));
    assert_eq!(get(a, "/_dev/api/state").json()["plugin"]["slug"], "echo-bot");

    // POST /_dev/chat runs the filter chain and the handlers: {allowed, reason, message}.
    let r = post_json(a, "/_dev/chat", json!({"user": "alice", "body": "hi"}));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!((v["allowed"].as_bool(), v["message"]["body"].as_str()), (Some(true), Some("hi")), "{v}");
    // GET /_dev/chat: the chat so far, the plugin's answer included.
    let log = get(a, "/_dev/chat").json();
    let said: Vec<(String, String)> = log["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"].as_str().unwrap().into(), m["body"].as_str().unwrap().into()))
        .collect();
    assert!(said.contains(&("alice".into(), "hi".into())), "{said:?}");
    assert!(said.iter().any(|(_, b)| b == "alice said: hi"), "{said:?}");
    // POST /_dev/event {type, payload} -> {dispatched}.
    let payload = json!({"id": "e1", "user": {"id": "u-bo", "displayName": "bo"}, "body": "via event", "timestamp": "2024-01-01T00:00:00Z"});
    let r = post_json(a, "/_dev/event", json!({"type": "chat.message.received", "payload": payload}));
    assert_eq!((r.status, r.json()["dispatched"].as_str()), (200, Some("chat.message.received")), "{}", r.text());
    let r = post_json(a, "/_dev/event", json!({"payload": {}}));
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("`type` is required")));
    eventually(Duration::from_secs(10), "the event's answer", || {
        let log = get(a, "/_dev/chat").json();
        log["messages"].as_array().unwrap().iter().any(|m| m["body"] == "bo said: via event").then_some(())
    });
}

#[test]
fn serve_removes_its_data_folder_when_it_cannot_listen() {
    let Some((_tmp, pkg)) = packaged_echo_bot() else { return };
    // The package is unpacked into the data folder before the port is
    // taken; the port is in use, so the server stops with an error there.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_owncast-plugin"))
        .args(["serve", pkg.to_str().unwrap()])
        .env("PORT", &port)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!("owncast-plugin-serve-{}", child.id()));
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("listening on 127.0.0.1:{port}")), "{err}");
    assert!(!data_dir.exists(), "{} was left behind", data_dir.display());
}

#[test]
fn serve_refuses_a_bad_port() {
    let o = Command::new(env!("CARGO_BIN_EXE_owncast-plugin"))
        .args(["serve", "."])
        .env("PORT", "eighty")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("PORT=\"eighty\" is not a port number"), "{err}");
}

/// The admin password comes from a file or the environment (the flag still
/// works, with a warning); it is never printed, and without one a generated
/// password is kept in a file only the owner can read.
#[test]
fn run_takes_the_admin_password_from_a_file_or_the_environment_and_never_prints_it() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let data = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    let check = |p: &mut Proc, password: &str| {
        let a = p.address("Owncast plugin host on");
        let line = p.wait_for("admin: user", Duration::from_secs(30));
        assert!(!p.seen.iter().any(|l| l.contains(password)), "the password was printed: {line}");
        let ok = request(a, "GET", "/api/admin/plugins", &[("Authorization", &basic("admin", password))], b"");
        assert_eq!(ok.status, 200, "{}", ok.text());
        let wrong = request(a, "GET", "/api/admin/plugins", &[("Authorization", &basic("admin", "not-it"))], b"");
        assert_eq!(wrong.status, 401);
        line
    };
    let base = |d: &str| -> Vec<String> {
        ["run", "--plugins", plugins.to_str().unwrap(), "--data", d, "--listen", "127.0.0.1:0", "--rescan", "0"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let strs = |v: &[String]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // A file.
    let file = tmp.path().join("pw.txt");
    std::fs::write(&file, "from-a-file-Zq9\n").unwrap();
    let mut argv = base(&data("d1"));
    argv.extend(["--admin-password-file".to_string(), file.to_str().unwrap().to_string()]);
    let argv = strs(&argv);
    let mut p = Proc::start(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    let line = check(&mut p, "from-a-file-Zq9");
    assert!(line.contains("password from ") && line.contains("pw.txt"), "{line}");
    drop(p);

    // The environment.
    let argv = base(&data("d2"));
    let mut p = Proc::start_with_env(
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
        &[("OWNCAST_ADMIN_PASSWORD", "from-the-env-Kx7")],
    );
    let line = check(&mut p, "from-the-env-Kx7");
    assert!(line.contains("password from OWNCAST_ADMIN_PASSWORD"), "{line}");
    drop(p);

    // The flag, for development: it works and warns.
    let mut argv = base(&data("d3"));
    argv.extend(["--admin-password".to_string(), "from-the-flag-Wm3".to_string()]);
    let mut p = Proc::start(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    let a = p.address("Owncast plugin host on");
    let warning = p.wait_for("warning: --admin-password", Duration::from_secs(30));
    assert!(warning.contains("OWNCAST_ADMIN_PASSWORD"), "{warning}");
    let ok = request(a, "GET", "/api/admin/plugins", &[("Authorization", &basic("admin", "from-the-flag-Wm3"))], b"");
    assert_eq!(ok.status, 200);
    drop(p);

    // None: generated once, kept in <data>/admin-password (owner-only), reused after a restart.
    let argv = base(&data("d4"));
    let mut p = Proc::start(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    p.address("Owncast plugin host on");
    let kept = tmp.path().join("d4/admin-password");
    let generated = std::fs::read_to_string(&kept).unwrap().trim().to_string();
    assert!(generated.len() >= 16, "{generated}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let line = check(&mut p, &generated);
    assert!(line.contains("generated, in ") && line.contains("admin-password"), "{line}");
    drop(p);
    let mut p = Proc::start(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    check(&mut p, &generated);
}
