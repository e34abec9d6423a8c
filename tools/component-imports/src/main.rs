//! Lists what a plugin component imports and checks it against the plugin's
//! manifest, the way the host's loader gates imports:
//!
//!     component-imports <plugin.wasm> [<plugin.manifest.json>]
//!     component-imports slug <plugin.manifest.json>
//!
//! Prints one line per imported interface with the functions the component
//! actually uses. With a manifest, exits 1 when the file is not a component
//! (`\0asm` + version 0x0d 0x00, layer 0x01 0x00) or imports an interface or
//! function whose permission the manifest does not list.

use anyhow::{bail, Context, Result};
use wit_parser::decoding::{decode, DecodedWasm};
use wit_parser::WorldItem;

/// `owncast:plugin` interfaces every plugin may import.
const UNGATED: &[&str] = &["types", "log", "config", "timer", "assets"];

/// WASI a plugin may import without a permission: the host links a
/// sandboxed WASI (no preopens, no environment, stdout/stderr to its log).
const SANDBOXED_WASI: &[&str] = &["wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:cli/", "wasi:filesystem/"];

/// The permission an `owncast:plugin/<interface>#<function>` import needs.
fn permission_for(interface: &str, function: &str) -> Option<&'static str> {
    Some(match (interface, function) {
        ("chat", _) => "chat.send",
        ("chat-history", _) => "chat.history",
        ("chat-moderate", _) => "chat.moderate",
        ("kv", _) => "storage.kv",
        ("upload", _) => "storage.upload",
        ("fs", _) => "storage.fs",
        ("sql", _) => "storage.sql",
        ("events", _) => "events.emit",
        ("server", _) => "server.read",
        ("video-config", "read") => "videoconfig.read",
        ("video-config", "write") => "videoconfig.write",
        ("notifications", _) => "notifications.send",
        ("users", _) => "users.read",
        ("users-moderate", _) => "users.moderate",
        ("users-register", _) => "users.register",
        ("auth-gate", _) => "auth.gate",
        ("fediverse", _) => "fediverse.post",
        ("sse", _) => "http.sse",
        ("ui", _) => "ui.modify",
        _ => return None,
    })
}

fn read_manifest(path: &str) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {path}"))
}

fn main() {
    if let Err(err) = run() {
        eprintln!("component-imports: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, manifest] if cmd == "slug" => {
            let m = read_manifest(manifest)?;
            let slug = m["slug"].as_str().with_context(|| format!("{manifest}: no `slug`"))?;
            println!("{slug}");
            Ok(())
        }
        [wasm] => check(wasm, None),
        [wasm, manifest] => check(wasm, Some(manifest)),
        _ => bail!("usage: component-imports <plugin.wasm> [<plugin.manifest.json>] | slug <plugin.manifest.json>"),
    }
}

fn check(wasm: &str, manifest: Option<&String>) -> Result<()> {
    let bytes = std::fs::read(wasm).with_context(|| format!("reading {wasm}"))?;
    if bytes.len() < 8 || bytes[..8] != *b"\0asm\x0d\x00\x01\x00" {
        bail!("{wasm}: not a WebAssembly component (header {:02x?})", &bytes[..bytes.len().min(8)]);
    }
    let permissions: Option<Vec<String>> = match manifest {
        Some(path) => Some(
            read_manifest(path)?["permissions"]
                .as_array()
                .map(|a| a.iter().filter_map(|p| p.as_str().map(String::from)).collect())
                .unwrap_or_default(),
        ),
        None => None,
    };
    let granted = |p: &str| permissions.as_ref().is_none_or(|ps| ps.iter().any(|g| g == p));

    let (resolve, world) = match decode(&bytes).with_context(|| format!("decoding {wasm}"))? {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => bail!("{wasm}: a WIT package, not a component"),
    };
    let mut problems = Vec::new();
    for (key, item) in &resolve.worlds[world].imports {
        let name = resolve.name_world_key(key);
        let WorldItem::Interface { id, .. } = item else {
            // Types the world uses (`use types.{...}`) are not imports of note.
            if let WorldItem::Function(f) = item {
                problems.push(format!("unexpected world-level function import `{}`", f.name));
            }
            continue;
        };
        let functions: Vec<&str> = resolve.interfaces[*id].functions.keys().map(String::as_str).collect();
        println!("  import {name}: {}", if functions.is_empty() { "(types only)".to_string() } else { functions.join(", ") });
        let bare = name.split('@').next().unwrap_or(&name);
        if let Some(interface) = bare.strip_prefix("owncast:plugin/") {
            if UNGATED.contains(&interface) {
                continue;
            }
            if functions.is_empty() && permission_for(interface, "").is_none() {
                problems.push(format!("{bare}: not an interface of the contract"));
            }
            for f in &functions {
                match permission_for(interface, f) {
                    Some(p) if granted(p) => {}
                    Some(p) => problems.push(format!("{bare}#{f} needs permission `{p}`, which the manifest does not list")),
                    None => problems.push(format!("{bare}#{f}: not a function of the contract")),
                }
            }
        } else if bare.starts_with("wasi:http/") {
            if !granted("network.fetch") {
                problems.push(format!("{bare} needs permission `network.fetch`, which the manifest does not list"));
            }
        } else if !SANDBOXED_WASI.iter().any(|p| bare.starts_with(p)) {
            problems.push(format!("{name}: an import the host does not provide"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        for p in &problems {
            eprintln!("  error: {p}");
        }
        bail!("{wasm}: {} import problem(s)", problems.len())
    }
}
