//! File manager: the `storage.fs` permission from Rust, the same routes and
//! behaviour as the JavaScript `file-manager` example.
//!
//! | route | |
//! | --- | --- |
//! | `GET /admin/api/files` | `{"files": [...]}` |
//! | `POST /admin/api/files` `{name, dataBase64}` | `{"ok": true, "replaced": bool}` |
//! | `POST /admin/api/files/delete` `{name}` | `{"ok": true}` |
//! | `GET /admin/api/files/download?name=<n>` | `{name, dataBase64}`, 404 when missing |
//!
//! The host confines every `fs` path to the plugin's own directory and lets
//! only admins reach `/admin/*`; names with `/`, `\`, `.` or `..` are refused
//! here before that.

use owncast_plugin::{export_plugin, fs, http, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse, Registration};
use serde_json::{json, Value};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn to_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= chunk.len() { ALPHABET[(n >> shift) as usize & 63] as char } else { '=' });
        }
    }
    out
}

fn from_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut value, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let Some(d) = ALPHABET.iter().position(|&a| a == c) else { continue };
        value = (value << 6) | d as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
        }
    }
    out
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

fn reply(status: u16, body: Value) -> HttpResponse {
    http::response(status, "application/json", body.to_string())
}

fn refuse(status: u16, error: &str) -> HttpResponse {
    reply(status, json!({"ok": false, "error": error}))
}

/// The `name` field of a JSON body, or the response refusing the request.
fn body_name(req: &HttpRequest) -> Result<(String, Value), HttpResponse> {
    let body: Value = serde_json::from_str(&req.body).map_err(|_| refuse(400, "invalid JSON"))?;
    let name = body["name"].as_str().unwrap_or_default().to_string();
    if !valid_name(&name) {
        return Err(refuse(400, "invalid file name"));
    }
    Ok((name, body))
}

fn upload(req: &HttpRequest) -> HttpResponse {
    let (name, body) = match body_name(req) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let replaced = fs::exists(&name);
    let r = fs::write(&name, &from_base64(body["dataBase64"].as_str().unwrap_or_default()));
    if r.ok {
        reply(200, json!({"ok": true, "replaced": replaced}))
    } else {
        refuse(500, r.error.as_deref().unwrap_or("write failed"))
    }
}

fn delete(req: &HttpRequest) -> HttpResponse {
    let name = match body_name(req) {
        Ok((name, _)) => name,
        Err(r) => return r,
    };
    let r = fs::delete(&name);
    if r.ok {
        reply(200, json!({"ok": true}))
    } else {
        refuse(500, r.error.as_deref().unwrap_or("delete failed"))
    }
}

/// A query parameter (the host hands them over decoded, first value of each).
fn query_param(query: &[(String, String)], key: &str) -> Option<String> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn download(req: &HttpRequest) -> HttpResponse {
    let name = query_param(&req.query, "name").unwrap_or_default();
    if !valid_name(&name) {
        return refuse(400, "invalid file name");
    }
    match fs::read(&name) {
        // fields in upstream's order: name, then dataBase64
        Some(bytes) => http::response(
            200,
            "application/json",
            format!(r#"{{"name":{},"dataBase64":"{}"}}"#, Value::from(name), to_base64(&bytes)),
        ),
        None => refuse(404, "not found"),
    }
}

struct FileManager;

impl Guest for FileManager {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(_event: Event) {}

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(req: HttpRequest) -> HttpResponse {
        let path = req.path.trim_start_matches('/');
        match (req.method.as_str(), path) {
            ("GET", "admin/api/files") => reply(200, json!({"files": fs::list("")})),
            ("POST", "admin/api/files") => upload(&req),
            ("POST", "admin/api/files/delete") => delete(&req),
            ("GET", "admin/api/files/download") => download(&req),
            (_, "admin/api/files") => http::response(405, "text/plain; charset=utf-8", "method not allowed"),
            _ => http::not_found(),
        }
    }
}

export_plugin!(FileManager);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for bytes in [&b""[..], b"a", b"ab", b"abc", b"synths\n", &[0, 255, 1, 128, 127]] {
            assert_eq!(from_base64(&to_base64(bytes)), bytes);
        }
        assert_eq!(to_base64(b"synths\n"), "c3ludGhzCg==");
    }

    #[test]
    fn names_and_queries() {
        assert!(valid_name("notes.txt"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b"] {
            assert!(!valid_name(bad), "{bad}");
        }
        let q = vec![("name".to_string(), "a b.txt".to_string()), ("x".to_string(), "1".to_string())];
        assert_eq!(query_param(&q, "name").as_deref(), Some("a b.txt"));
        assert_eq!(query_param(&q[1..], "name"), None);
    }
}
