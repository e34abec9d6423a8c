//! Files from a plugin's `public/` folder: content types, strong ETags from
//! the content, `If-None-Match` → 304, and no way out of the folder (no `..`,
//! no absolute paths, no dotfiles, and a symlink must resolve inside it).
//! The folder itself (`public/`, `<base>-assets/`) must resolve inside the
//! folder it sits in, and so must a plugin's icon and instructions: a link
//! leading out of the plugin's files is never followed.

use super::error_response;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use owncast_plugin_host::bundle::confined;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The content type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// The file `rel` names inside `dir`, if it is a regular file that really is
/// inside (after resolving symlinks). Directories mean their `index.html`.
fn resolve(dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        if seg.starts_with('.') {
            return None;
        }
        path.push(seg);
    }
    let Some(root) = confined(dir) else {
        tracing::warn!(folder = %dir.display(), "a plugin's public folder leads out of the folder it is in; it is not served");
        return None;
    };
    let mut real = path.canonicalize().ok()?;
    if real.is_dir() {
        real = real.join("index.html").canonicalize().ok()?;
    }
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// Serves `rel` from `dir`, or `None` when there is no such file (the request
/// then goes to the plugin).
pub(super) fn serve_public(dir: &Path, rel: &str, req: &HeaderMap, cap: u64) -> Option<Response<Bytes>> {
    let file = resolve(dir, rel)?;
    Some(serve_file(&file, req, cap))
}

/// Serves a file of a plugin's own (its icon, its instructions) only if it
/// is a regular file that does not lead out of the folder it is in.
pub(super) fn serve_confined(file: &Path, req: &HeaderMap, cap: u64) -> Option<Response<Bytes>> {
    match confined(file) {
        Some(real) if real.is_file() => Some(serve_file(&real, req, cap)),
        _ => {
            tracing::warn!(file = %file.display(), "not served: not a regular file inside its plugin's folder");
            None
        }
    }
}

/// Serves one file with its content type and ETag.
pub(super) fn serve_file(file: &Path, req: &HeaderMap, cap: u64) -> Response<Bytes> {
    let len = match std::fs::metadata(file) {
        Ok(m) => m.len(),
        Err(_) => return error_response(StatusCode::NOT_FOUND, "file not found"),
    };
    if len > cap {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("file is {len} bytes; the host serves files up to {cap} bytes"),
        );
    }
    let data = match std::fs::read(file) {
        Ok(d) => d,
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, format!("reading the file: {e}")),
    };
    let digest = Sha256::digest(&data);
    let etag = format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let mut r = if if_none_match(req, &etag) {
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Bytes::from(data));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(file)));
        r
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// Whether `If-None-Match` lists `etag` (weak comparison, or `*`).
fn if_none_match(req: &HeaderMap, etag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || t.trim_start_matches("W/") == etag
    })
}
