//! Writes the seed corpus of every fuzz target (`fuzz/seeds/<target>/`) from
//! the repository's own fixtures: the examples' and fixtures' manifests and
//! scenario files, packages of example plugins, the payloads and HTTP steps
//! of their scenarios, the settings they declare, and kernel programs that
//! use each kernel call the way the kernel-tour fixture does.
//!
//!     cargo run -p owncast-plugin-fuzz --bin fuzz-seeds
//!
//! It replaces the folders' contents; the seeds are committed.

use owncast_plugin_fuzz::TARGETS;
use owncast_plugin_host::event::BUILTIN_EVENTS;
use owncast_plugin_manager::package::write_package;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// At most this many seeds of one kind (the corpus stays small).
const MAX_PER_KIND: usize = 40;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Plugin folders of the examples and fixtures, sorted.
fn plugin_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for parent in ["examples/rust", "examples/js", "examples/python", "compat-extism/fixtures"] {
        let Ok(rd) = std::fs::read_dir(repo().join(parent)) else { continue };
        for e in rd.flatten() {
            if e.path().join("plugin.manifest.json").is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn scenario_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in plugin_dirs() {
        let Ok(rd) = std::fs::read_dir(d.join("__tests__")) else { continue };
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().ends_with(".test.json") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

struct Seeds(BTreeMap<String, Vec<(String, Vec<u8>)>>);

impl Seeds {
    fn add(&mut self, target: &str, name: impl Into<String>, data: impl Into<Vec<u8>>) {
        let list = self.0.entry(target.to_string()).or_default();
        let data = data.into();
        if !list.iter().any(|(_, d)| *d == data) {
            list.push((name.into(), data));
        }
    }
}

fn main() {
    let mut seeds = Seeds(BTreeMap::new());
    let scenarios: Vec<(String, Value)> = scenario_files()
        .iter()
        .map(|p| {
            let plugin = name_of(p.parent().unwrap().parent().unwrap());
            let name = format!("{plugin}-{}", p.file_name().unwrap().to_string_lossy().trim_end_matches(".test.json"));
            (name, serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        })
        .collect();

    // manifest: every example's and fixture's manifest.
    for d in plugin_dirs() {
        let kind = name_of(d.parent().unwrap());
        seeds.add(
            "manifest",
            format!("{kind}-{}.json", name_of(&d)),
            std::fs::read(d.join("plugin.manifest.json")).unwrap(),
        );
    }

    // scenario: the scenario files, the smallest first.
    let mut files: Vec<(String, Vec<u8>)> = scenario_files()
        .iter()
        .zip(&scenarios)
        .map(|(p, (name, _))| (format!("{name}.json"), std::fs::read(p).unwrap()))
        .collect();
    files.sort_by_key(|(_, d)| d.len());
    for (name, data) in files.into_iter().take(MAX_PER_KIND) {
        seeds.add("scenario", name, data);
    }

    // package: examples with public/ files or assets, their code replaced by
    // a minimal module (the reader checks the archive, not the code).
    let tmp = tempfile::tempdir().unwrap();
    for d in plugin_dirs().iter().filter(|d| d.join("public").is_dir() || d.join("assets").is_dir()).take(8) {
        let copy = tmp.path().join(name_of(d));
        copy_plugin(d, &copy);
        std::fs::write(copy.join("plugin.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let (slug, bytes) = write_package(&copy).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        seeds.add("package", format!("{slug}.ocpkg"), bytes);
    }

    // events: each scenario step's event type and payload.
    for (name, v) in &scenarios {
        for (i, case) in v.as_array().into_iter().flatten().enumerate() {
            for (j, step) in case["events"].as_array().into_iter().flatten().enumerate() {
                let Some(t) = step["event"].as_str().or(step["filter"].as_str()) else { continue };
                let which = BUILTIN_EVENTS.iter().position(|b| *b == t).unwrap_or(BUILTIN_EVENTS.len());
                let mut data = vec![which as u8];
                data.extend(step["payload"].to_string().into_bytes());
                seeds.add("events", format!("{name}-{i}-{j}"), data);
            }
        }
    }
    let events = seeds.0.get_mut("events").unwrap();
    events.sort_by_key(|(_, d)| (d[0], d.len()));
    // Every event type, then the smallest.
    let mut kept: Vec<(String, Vec<u8>)> = Vec::new();
    for (n, d) in events.drain(..) {
        if kept.len() < MAX_PER_KIND && (kept.iter().filter(|(_, k)| k[0] == d[0]).count() < 3) {
            kept.push((n, d));
        }
    }
    *events = kept;

    // http_server: each scenario `http` step as a request to the fixture,
    // plus its public files, the public APIs and the admin page.
    let mut requests = 0;
    for (name, v) in &scenarios {
        for (i, case) in v.as_array().into_iter().flatten().enumerate() {
            for step in case["events"].as_array().into_iter().flatten() {
                let Some(h) = step.get("http") else { continue };
                if requests >= 16 {
                    break;
                }
                let method = h["method"].as_str().unwrap_or("GET");
                let path = h["path"].as_str().unwrap_or("/").trim_start_matches('/');
                let body = match &h["body"] {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut head = format!("{method} /plugins/kernel-tour/{path} HTTP/1.1\r\nHost: owncast.example\r\n");
                for (k, v) in h["headers"].as_object().into_iter().flatten() {
                    head.push_str(&format!("{k}: {}\r\n", v.as_str().unwrap_or_default()));
                }
                if h["authenticated"].as_bool() == Some(true) {
                    head.push_str("Authorization: Basic YWRtaW46ZnV6eg==\r\n");
                }
                head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
                seeds.add("http_server", format!("{name}-{i}"), head);
                requests += 1;
            }
        }
    }
    let get = |path: &str, extra: &str| format!("GET {path} HTTP/1.1\r\nHost: owncast.example\r\n{extra}\r\n");
    for (name, req) in [
        ("index", get("/plugins/kernel-tour/", "")),
        ("file", get("/plugins/kernel-tour/css/site.css", "If-None-Match: \"x\"\r\nRange: bytes=0-3\r\n")),
        ("traversal", get("/plugins/kernel-tour/%2e%2e/plugin.manifest.json", "")),
        ("link", get("/plugins/kernel-tour/link.txt", "")),
        ("handler", get("/plugins/kernel-tour/api/count?x=1&y=%20", "Accept: application/json\r\n")),
        ("redirect", get("/plugins/kernel-tour?q=1", "")),
        ("actions", get("/api/plugins/actions", "")),
        ("icon", get("/api/plugins/kernel-tour/icon", "")),
        ("admin-page", get("/admin/plugins/", "Authorization: Basic YWRtaW46ZnV6eg==\r\nAccept: text/html\r\n")),
        ("instructions", get("/plugins/kernel-tour/_instructions", "Authorization: Basic YWRtaW46ZnV6eg==\r\n")),
        ("sse", get("/plugins/kernel-tour/_sse/ticks", "")),
        (
            "keep-alive",
            format!(
                "{}{}",
                get("/plugins/kernel-tour/app.js", ""),
                "POST /plugins/kernel-tour/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            ),
        ),
    ] {
        seeds.add("http_server", name, req);
    }
    // HTTP/2 with prior knowledge: the preface and an empty SETTINGS frame.
    let mut h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    h2.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    seeds.add("http_server", "h2-preface", h2);

    // admin_api: approvals and the settings the examples declare.
    let approve = |body: Value| [&[0u8][..], body.to_string().as_bytes()].concat();
    let config = |body: Value| [&[1u8][..], body.to_string().as_bytes()].concat();
    seeds.add("admin_api", "approve-empty", vec![0u8]);
    seeds.add(
        "admin_api",
        "approve-exact",
        approve(json!({"permissions": ["chat.send", "chat.filter", "network.fetch", "http.serve"]})),
    );
    seeds.add("admin_api", "approve-other", approve(json!({"permissions": ["chat.send"]})));
    seeds.add("admin_api", "config-kernel-tour", config(json!({"greeting": "hi", "limit": 5})));
    seeds.add("admin_api", "config-wrong-type", config(json!({"limit": "five"})));
    for d in plugin_dirs() {
        let m: Value = serde_json::from_slice(&std::fs::read(d.join("plugin.manifest.json")).unwrap()).unwrap();
        let Some(c) = m["config"].as_object() else { continue };
        let values: serde_json::Map<String, Value> =
            c.iter().map(|(k, spec)| (k.clone(), spec.get("default").cloned().unwrap_or(Value::Null))).collect();
        seeds.add(
            "admin_api",
            format!("config-{}", name_of(&d)),
            [&[2u8][..], Value::Object(values).to_string().as_bytes()].concat(),
        );
    }

    // extism_kernel: programs (see owncast_plugin_fuzz::KERNEL_WAT).
    for (name, program) in kernel_programs() {
        seeds.add("extism_kernel", name, program);
    }

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
    for (target, _) in TARGETS {
        let dir = out.join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let list = seeds.0.get(*target).unwrap_or_else(|| panic!("no seeds for {target}"));
        for (name, data) in list {
            std::fs::write(dir.join(name), data).unwrap();
        }
        println!("{target}: {} seeds", list.len());
    }
}

fn copy_plugin(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ty = e.file_type().unwrap();
        if ty.is_dir() && ["public", "assets"].contains(&name.as_str()) {
            copy_tree(&e.path(), &to.join(&name));
        } else if ty.is_file() && ["plugin.manifest.json", "icon.png", "INSTRUCTIONS.md"].contains(&name.as_str()) {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Programs for the kernel interpreter, written with its opcodes.
fn kernel_programs() -> Vec<(&'static str, Vec<u8>)> {
    // Slots fill 0, 1, 2... in each call; an offset operand `s` (< 8) is slot s.
    let bytes = |text: &[u8]| [&[18u8, text.len() as u8][..], text].concat();
    let raw = |v: u64| [&[0xf0u8][..], &v.to_le_bytes()[..]].concat();
    let cat = |parts: &[&[u8]]| parts.concat();
    let envelope = br#"{"eventType":"chat.message.received","payload":{"body":"hi"}}"#;
    vec![
        // alloc 16 -> s0; store_u64 s0; load_u64 s0; load_u8 s0+1; output_set(s0, 8)
        ("alloc-store-load-output", cat(&[&[0, 16, 7, 0], &7u64.to_le_bytes(), &[5, 0, 4, 8, 11, 0, 8]])),
        // a filter verdict as output
        ("filter-pass", cat(&[&bytes(br#"{"action":"pass"}"#), &[11, 0, 17]])),
        // error_set with a message, status 1
        ("error", cat(&[&bytes(b"boom"), &[12, 0, 20, 1]])),
        // var_set("count", "42"); var_get("count") -> s2; output; then a second call reads it back
        (
            "vars",
            cat(&[
                &bytes(b"count"),
                &bytes(b"42"),
                &[13, 0, 1, 14, 0, 11, 2, 2, b'|'],
                &bytes(b"count"),
                &[14, 0, 11, 1, 2],
            ]),
        ),
        // config_get("greeting") -> s1; log it; output it
        ("config", cat(&[&bytes(b"greeting"), &[15, 0, 16, 1, 11, 1, 5]])),
        // input_offset -> s0; input bytes; length of the input block
        ("input", cat(&[&[8, 9, 0xc0, 10, 0xc0, 2, 0, 3, 0, 21, 0, 11, 0, 4, 20, 0], envelope])),
        // sizes: small, reused after free, large (5,120), freed, again; free all
        ("alloc-free-reuse", vec![0, 100, 0, 100, 0, 100, 1, 1, 0, 50, 0, 0x94, 1, 4, 0, 0x94, 23, 0, 1]),
        // linear memory grows toward the cap, then a large alloc
        ("grow-then-alloc", cat(&[&[17, 63, 17, 63, 17, 63, 17, 63, 0], &raw(8 << 20)])),
        // out-of-range offsets and a raw length
        ("out-of-range", cat(&[&[4], &raw(u64::MAX - 3), &[11, 0xc8], &raw(1 << 40)])),
        // the host's http state, the log level, and a trap after an error
        ("http-state-trap", cat(&[&[19], &bytes(b"before the trap"), &[12, 1, 22]])),
        // a legacy event envelope copied into a block and returned
        ("envelope-output", cat(&[&bytes(envelope), &[11, 0, envelope.len() as u8]])),
    ]
}
