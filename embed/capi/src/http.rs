//! Plugin HTTP and the admin API: a request in, a response head out, and the
//! body pulled chunk by chunk (a server-sent-events stream stays open until
//! the client or the plugin goes away).

use crate::{bytes, entry, host_ref, text, Fail, OcpBuf, OcpCancel, OcpHost, OCP_END, OCP_ERROR, OCP_OK, OCP_PENDING};
use bytes::Bytes;
use http_body_util::BodyExt;
use owncast_plugin_host::types::ChatUser;
use owncast_plugin_server::{RequestAuth, ResponseBody};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The request head `ocp_http` reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestHead {
    method: String,
    /// Path and query as the client sent them: `/plugins/overlay/api/messages?n=5`.
    uri: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// `ip:port` or `ip` of the client.
    #[serde(default)]
    remote_addr: Option<String>,
    /// Authentication the embedder established itself (Owncast's own admin
    /// session, a chat user). Absent: the host checks the request's
    /// credentials against `adminPassword`/`adminTokens`.
    #[serde(default)]
    auth: Option<AuthHead>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthHead {
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    user: Option<ChatUser>,
}

fn remote(addr: Option<&str>) -> Result<SocketAddr, Fail> {
    let Some(a) = addr.filter(|a| !a.is_empty()) else {
        return Ok(SocketAddr::from(([0, 0, 0, 0], 0)));
    };
    a.parse::<SocketAddr>()
        .or_else(|_| a.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
        .map_err(|_| Fail::invalid(format!("request: remoteAddr `{a}` is not an IP address (with or without a port)")))
}

fn build_request(head: RequestHead, body: Bytes) -> Result<(http::Request<Bytes>, SocketAddr), Fail> {
    let remote = remote(head.remote_addr.as_deref())?;
    let mut b = http::Request::builder().method(head.method.as_str()).uri(head.uri.as_str());
    for (k, v) in &head.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let mut req = b.body(body).map_err(|e| Fail::invalid(format!("request: {e}")))?;
    if let Some(a) = head.auth {
        req.extensions_mut().insert(RequestAuth { admin: a.admin, user: a.user });
    }
    Ok((req, remote))
}

/// A response whose body is read with [`ocp_response_next`].
pub struct OcpResponse {
    rt: Arc<tokio::runtime::Runtime>,
    body: Mutex<ResponseBody>,
    /// The host's shutdown signal: the body ends when it fires.
    shutdown: Arc<OcpCancel>,
}

/// Routes one request through the host's HTTP router: `/plugins/<slug>/...`
/// (files, the plugin's handler, SSE), `/api/plugins/actions` and the admin
/// API `/api/admin/plugins...`. `head` is JSON `{"method", "uri", "headers":
/// [[name, value]...], "remoteAddr"?, "auth"?: {"admin", "user"?}}`; `body`
/// the request body (the host refuses one over its limit with 413).
///
/// On `OCP_OK`, `*out` is the response head, JSON `{"status", "headers":
/// [[name, value]...]}`, and `*resp_out` the response, whose body is read
/// with [`ocp_response_next`] and which is freed with [`ocp_response_free`].
/// Errors of the plugin are HTTP answers (502, 504...), not failures.
/// `timeout_ms` (0: none) and `cancel` (NULL: none) bound the wait for the
/// head. Thread safe.
///
/// # Safety
/// `host` must be live; `head` and `body` must point to their lengths of
/// readable bytes; `cancel` live or NULL; `resp_out` and `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_http(
    host: *const OcpHost,
    head: *const u8,
    head_len: usize,
    body: *const u8,
    body_len: usize,
    timeout_ms: u32,
    cancel: *const OcpCancel,
    resp_out: *mut *mut OcpResponse,
    out: *mut OcpBuf,
) -> i32 {
    if !resp_out.is_null() {
        resp_out.write(std::ptr::null_mut());
    }
    entry(out, || {
        let h = host_ref(host)?;
        if resp_out.is_null() {
            return Err(Fail::invalid("resp_out is NULL"));
        }
        let head: RequestHead = serde_json::from_slice(text(head, head_len, "request head")?.as_bytes())
            .map_err(|e| Fail::invalid(format!("request head: {e}")))?;
        let body = Bytes::copy_from_slice(bytes(body, body_len, "request body")?);
        let (req, remote) = build_request(head, body)?;
        let server = h.server.clone();
        let resp = h.run(timeout_ms, cancel, async move { server.handle_streaming(req, remote).await })?;
        let (parts, body) = resp.into_parts();
        let headers: Vec<(&str, String)> = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let head = serde_json::json!({ "status": parts.status.as_u16(), "headers": headers });
        resp_out.write(Box::into_raw(Box::new(OcpResponse {
            rt: h.rt.clone(),
            body: Mutex::new(body),
            shutdown: h.shutdown.clone(),
        })));
        Ok(serde_json::to_vec(&head).expect("JSON serializes"))
    })
}

/// Reads the next piece of a response body into `*out`: `OCP_OK` with a
/// chunk, `OCP_END` when the body is complete (also once the host is shut
/// down), `OCP_PENDING` when nothing came within `wait_ms` (call again; lets
/// the caller notice its client went away). One thread at a time per
/// response.
///
/// # Safety
/// `resp` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_response_next(resp: *mut OcpResponse, wait_ms: u32, out: *mut OcpBuf) -> i32 {
    let mut code = OCP_OK;
    let rc = entry(out, || {
        let r = resp.as_ref().ok_or_else(|| Fail::invalid("NULL response"))?;
        let mut body = r.body.lock().map_err(|_| Fail::new(OCP_ERROR, "response body poisoned"))?;
        let wait = Duration::from_millis(wait_ms.into());
        // The body may run plugin code as it is polled: callbacks from it are relayed.
        let _caller = crate::callbacks::CallerThread::enter();
        loop {
            let frame = r.rt.block_on(async {
                tokio::select! {
                    biased;
                    _ = r.shutdown.wait() => Ok(None),
                    f = tokio::time::timeout(wait, body.frame()) => f,
                }
            });
            match frame {
                Err(_) => {
                    code = OCP_PENDING;
                    return Ok(Vec::new());
                }
                Ok(None) => {
                    code = OCP_END;
                    return Ok(Vec::new());
                }
                Ok(Some(Ok(f))) => match f.into_data() {
                    Ok(data) if !data.is_empty() => return Ok(data.to_vec()),
                    _ => continue,
                },
                Ok(Some(Err(never))) => match never {},
            }
        }
    });
    if rc == OCP_OK {
        code
    } else {
        rc
    }
}

/// Frees a response; an SSE stream it carried is closed (the plugin gets its
/// `sse.disconnect`).
///
/// # Safety
/// `resp` must come from [`ocp_http`] and not be freed yet (NULL is allowed).
#[no_mangle]
pub unsafe extern "C" fn ocp_response_free(resp: *mut OcpResponse) {
    if !resp.is_null() {
        let r = Box::from_raw(resp);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let rt = r.rt.clone();
            // Dropping a stream may need the runtime (it wakes the SSE hub).
            let _g = rt.enter();
            drop(r);
        }));
    }
}
