//! The admin API (JSON; every route needs admin authentication, 401 otherwise).
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /api/admin/plugins` | `{plugins: [PluginInfo], invalid: [{file, error}], problems: [..]}` |
//! | `POST /api/admin/plugins` | upload an `.ocpkg` (the body); 201 new, 200 replaced |
//! | `POST /api/admin/plugins/rescan` | read the plugins folder again |
//! | `GET /api/admin/plugins/_events` | server-sent events of the list (see [`admin_page`](super::admin_page)) |
//! | `GET /api/admin/plugins/<slug>` | one plugin |
//! | `GET /api/admin/plugins/<slug>/instructions` | `{html}`: `INSTRUCTIONS.md` rendered and sanitized |
//! | `DELETE /api/admin/plugins/<slug>` | unload it and remove its files; `?data=true` also its KV data, settings, files and metrics |
//! | `POST /api/admin/plugins/<slug>/enable` | start it (409 if permissions need approval) |
//! | `POST /api/admin/plugins/<slug>/approve` | approve its permission set and start it; optional body `{"permissions": [...]}` must equal that set |
//! | `POST /api/admin/plugins/<slug>/disable` | stop it |
//! | `POST /api/admin/plugins/<slug>/reload` | read its files again and restart it |
//! | `GET /api/admin/plugins/<slug>/config` | `{schema, values}` of `manifest.config` |
//! | `PUT /api/admin/plugins/<slug>/config` | set values (object); validated against the schema, all or none |
//!
//! Every plugin in a list or answer carries `metrics` (see
//! [`crate::metrics::PluginSnapshot`]; null before its first load).
//! Errors are `{"error": "<message>"}` with the status of
//! [`ManagerError::status`](crate::manager::ManagerError::status); a config
//! value that does not fit the schema adds `field`, the key.

use super::{error_response, json_response, method_not_allowed, PluginServer};
use crate::capabilities::config::ConfigError;
use crate::manager::{ManagerError, PluginInfo, PluginManager};
use crate::permissions::{Permission, Permissions};
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const PLUGINS_PATH: &str = "/api/admin/plugins";

pub fn is_admin_path(path: &str) -> bool {
    path == "/api/admin" || path.starts_with("/api/admin/")
}

/// The error as the client sees it. A server-side failure (500) is logged
/// in full and answered without its details (they name host paths).
fn fail(e: ManagerError) -> Response<Bytes> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!("admin request failed: {e}");
        return error_response(status, "the server could not complete this request; its log has the details");
    }
    let field = match &e {
        ManagerError::Config(ConfigError::UnknownKey { key, .. } | ConfigError::WrongType { key, .. }) => {
            Some(key.clone())
        }
        _ => None,
    };
    match field {
        Some(f) => json_response(status, &json!({ "error": e.to_string(), "field": f })),
        None => error_response(status, e),
    }
}

fn ok<T: serde::Serialize>(status: StatusCode, v: &T) -> Response<Bytes> {
    json_response(status, &serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A plugin as the admin API shows it: its [`PluginInfo`] plus `metrics`.
fn plugin_value(m: &PluginManager, info: &PluginInfo) -> Value {
    let mut v = serde_json::to_value(info).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("metrics".into(), serde_json::to_value(m.host().metrics_snapshot(&info.slug)).unwrap_or(Value::Null));
    }
    v
}

fn info_reply(m: &PluginManager, r: Result<PluginInfo, ManagerError>) -> Response<Bytes> {
    match r {
        Ok(i) => json_response(StatusCode::OK, &plugin_value(m, &i)),
        Err(e) => fail(e),
    }
}

/// `GET /api/admin/plugins`'s answer.
pub(crate) fn list_value(m: &PluginManager) -> Value {
    let plugins: Vec<Value> = m.list().iter().map(|i| plugin_value(m, i)).collect();
    json!({ "plugins": plugins, "invalid": m.invalid(), "problems": m.problems() })
}

fn parse_json(body: &Bytes) -> Result<Option<Value>, Response<Bytes>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| error_response(StatusCode::BAD_REQUEST, format!("request body is not valid JSON: {e}")))
}

pub(super) async fn handle(server: &PluginServer, parts: &http::request::Parts, body: Bytes) -> Response<Bytes> {
    let path = parts.uri.path().trim_end_matches('/');
    let Some(rest) = path.strip_prefix(PLUGINS_PATH) else {
        return error_response(StatusCode::NOT_FOUND, format!("no admin route {path}"));
    };
    let Some(m) = server.manager() else {
        return error_response(StatusCode::NOT_FOUND, "this host has no plugin manager");
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = &parts.method;
    match segments.as_slice() {
        [] => match *method {
            Method::GET => list(m),
            Method::POST => upload(m, &body).await,
            _ => method_not_allowed("GET, POST"),
        },
        ["rescan"] => match *method {
            Method::POST => {
                m.rescan().await;
                list(m)
            }
            _ => method_not_allowed("POST"),
        },
        [slug] => match *method {
            Method::GET => info_reply(m, m.info(slug)),
            Method::DELETE => {
                let with_data =
                    parts.uri.query().is_some_and(|q| q.split('&').any(|p| p == "data=true" || p == "data=1"));
                match m.delete(slug).await {
                    Ok(()) => {
                        let purged = with_data.then(|| m.purge_data(slug));
                        match purged {
                            Some(Err(e)) => fail(e),
                            _ => ok(StatusCode::OK, &json!({ "deleted": slug, "dataDeleted": with_data })),
                        }
                    }
                    Err(e) => fail(e),
                }
            }
            _ => method_not_allowed("GET, DELETE"),
        },
        [slug, action @ ("enable" | "disable" | "reload" | "approve")] => {
            if *method != Method::POST {
                return method_not_allowed("POST");
            }
            let result = match *action {
                "enable" => m.enable(slug).await,
                "disable" => m.disable(slug).await,
                "reload" => m.reload(slug).await,
                _ => match approval(&body) {
                    Ok(expected) => m.approve(slug, expected).await,
                    Err(r) => return r,
                },
            };
            info_reply(m, result)
        }
        // The raw `.../instructions` (upstream's path) is answered by the
        // server before the admin API; this is the page's rendered form.
        [slug, "instructions", "rendered"] => match *method {
            Method::GET => super::admin_page::instructions(m, slug),
            _ => method_not_allowed("GET"),
        },
        [slug, "config"] => match *method {
            Method::GET => m.config_values(slug).map(|c| ok(StatusCode::OK, &c)).unwrap_or_else(fail),
            Method::PUT | Method::POST => {
                let values: BTreeMap<String, Value> = match parse_json(&body) {
                    Ok(Some(Value::Object(o))) => o.into_iter().collect(),
                    Ok(_) => {
                        return error_response(
                            StatusCode::BAD_REQUEST,
                            "config must be a JSON object of setting names to values",
                        )
                    }
                    Err(r) => return r,
                };
                m.set_config(slug, &values).map(|c| ok(StatusCode::OK, &c)).unwrap_or_else(fail)
            }
            _ => method_not_allowed("GET, PUT"),
        },
        _ => error_response(StatusCode::NOT_FOUND, format!("no admin route {path}")),
    }
}

fn list(m: &PluginManager) -> Response<Bytes> {
    json_response(StatusCode::OK, &list_value(m))
}

async fn upload(m: &PluginManager, body: &Bytes) -> Response<Bytes> {
    if body.is_empty() {
        return error_response(StatusCode::BAD_REQUEST, "the request body must be an .ocpkg package");
    }
    match m.upload(body).await {
        Ok((info, new)) => {
            json_response(if new { StatusCode::CREATED } else { StatusCode::OK }, &plugin_value(m, &info))
        }
        Err(e) => fail(e),
    }
}

/// The optional `{"permissions": [...]}` of an approval.
fn approval(body: &Bytes) -> Result<Option<Permissions>, Response<Bytes>> {
    let Some(v) = parse_json(body)? else { return Ok(None) };
    let Some(list) = v.get("permissions") else { return Ok(None) };
    let items = list
        .as_array()
        .ok_or_else(|| error_response(StatusCode::BAD_REQUEST, "`permissions` must be a list of permission names"))?;
    let mut perms = Vec::new();
    for i in items {
        let p: Permission = i
            .as_str()
            .ok_or_else(|| error_response(StatusCode::BAD_REQUEST, "`permissions` must be a list of permission names"))?
            .parse()
            .map_err(|e: crate::permissions::UnknownPermission| error_response(StatusCode::BAD_REQUEST, e))?;
        perms.push(p);
    }
    Ok(Some(Permissions::new(perms)))
}
