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
//! | `POST /api/admin/plugins/<slug>/approve` | approve its permission set and allowed hosts and start it; optional body `{"permissions": [...], "allowedHosts": [...]}` must equal what it asks for |
//! | `POST /api/admin/plugins/<slug>/disable` | stop it |
//! | `POST /api/admin/plugins/<slug>/reload` | read its files again and restart it |
//! | `GET /api/admin/plugins/<slug>/config` | `{schema, values}` of `manifest.config` |
//! | `PUT /api/admin/plugins/<slug>/config` | set values (object); validated against the schema, all or none |
//!
//! Every plugin in a list or answer carries `metrics` (see
//! [`owncast_plugin_host::metrics::PluginSnapshot`]; null before its first load).
//! Errors are `{"error": "<message>"}` with the status of
//! [`ManagerError::status`](owncast_plugin_manager::ManagerError::status); a config
//! value that does not fit the schema adds `field`, the key.

use super::{error_response, json_response, PluginServer, Reply};
use bytes::Bytes;
use http::{Response, StatusCode};
use owncast_plugin_host::capabilities::config::ConfigError;
use owncast_plugin_host::permissions::{Permission, Permissions};
use owncast_plugin_manager::{ManagerError, PluginInfo, PluginManager, Review};
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

/// What an admin route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOp {
    List,
    Upload,
    Rescan,
    Events,
    Info,
    Delete,
    Enable,
    Disable,
    Reload,
    Approve,
    Instructions,
    InstructionsRendered,
    ConfigGet,
    ConfigSet,
}

/// One admin route: a method and a path pattern (`{slug}` stands for a plugin).
#[derive(Debug, Clone, Copy)]
pub struct AdminRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub op: AdminOp,
}

const fn route(method: &'static str, path: &'static str, op: AdminOp) -> AdminRoute {
    AdminRoute { method, path, op }
}

/// Every route of the admin API. [`handle`] routes by this table (and
/// answers 405 with `Allow` from it); tests walk it to prove each route
/// needs admin authentication.
pub const ROUTES: &[AdminRoute] = &[
    route("GET", "/api/admin/plugins", AdminOp::List),
    route("POST", "/api/admin/plugins", AdminOp::Upload),
    route("POST", "/api/admin/plugins/rescan", AdminOp::Rescan),
    route("GET", "/api/admin/plugins/_events", AdminOp::Events),
    route("GET", "/api/admin/plugins/{slug}", AdminOp::Info),
    route("DELETE", "/api/admin/plugins/{slug}", AdminOp::Delete),
    route("POST", "/api/admin/plugins/{slug}/enable", AdminOp::Enable),
    route("POST", "/api/admin/plugins/{slug}/disable", AdminOp::Disable),
    route("POST", "/api/admin/plugins/{slug}/reload", AdminOp::Reload),
    route("POST", "/api/admin/plugins/{slug}/approve", AdminOp::Approve),
    route("GET", "/api/admin/plugins/{slug}/instructions", AdminOp::Instructions),
    route("HEAD", "/api/admin/plugins/{slug}/instructions", AdminOp::Instructions),
    route("GET", "/api/admin/plugins/{slug}/instructions/rendered", AdminOp::InstructionsRendered),
    route("GET", "/api/admin/plugins/{slug}/config", AdminOp::ConfigGet),
    route("PUT", "/api/admin/plugins/{slug}/config", AdminOp::ConfigSet),
    route("POST", "/api/admin/plugins/{slug}/config", AdminOp::ConfigSet),
];

/// The slug `pattern` binds when it matches `path` (`Some("")` for a pattern
/// without one); `None` when it does not match.
fn matches<'a>(pattern: &str, path: &'a str) -> Option<&'a str> {
    let mut want = pattern.split('/').filter(|s| !s.is_empty());
    let mut have = path.split('/').filter(|s| !s.is_empty());
    let mut slug = "";
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(slug),
            (Some("{slug}"), Some(s)) => slug = s,
            (Some(w), Some(h)) if w == h => {}
            _ => return None,
        }
    }
}

/// The routes of the most specific pattern `path` matches (literal segments
/// win over `{slug}`: `rescan` is the route, not a plugin), and the slug.
fn routes_for(path: &str) -> Option<(Vec<&'static AdminRoute>, &str)> {
    let specificity = |r: &AdminRoute| r.path.matches("{slug}").count();
    let best = ROUTES.iter().filter(|r| matches(r.path, path).is_some()).min_by_key(|r| specificity(r))?;
    let slug = matches(best.path, path)?;
    Some((ROUTES.iter().filter(|r| r.path == best.path).collect(), slug))
}

pub(super) async fn handle(server: &PluginServer, parts: &http::request::Parts, body: Bytes) -> Reply {
    let path = parts.uri.path().trim_end_matches('/');
    let Some((routes, slug)) = routes_for(path) else {
        return error_response(StatusCode::NOT_FOUND, format!("no admin route {}", super::truncate(path, 200))).into();
    };
    let method = parts.method.as_str();
    let Some(op) = routes.iter().find(|r| r.method == method).map(|r| r.op) else {
        let allow: Vec<&str> = routes.iter().map(|r| r.method).collect();
        let mut r = error_response(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed here"));
        if let Ok(v) = http::HeaderValue::from_str(&allow.join(", ")) {
            r.headers_mut().insert(http::header::ALLOW, v);
        }
        return r.into();
    };
    if op == AdminOp::Instructions {
        // The raw file, from the host's assets (a host without a manager has them too).
        return server.host_file(parts, slug, super::HostFile::Instructions, true).into();
    }
    let Some(m) = server.manager() else {
        return error_response(StatusCode::NOT_FOUND, "this host has no plugin manager").into();
    };
    match op {
        AdminOp::List => list(m),
        AdminOp::Upload => upload(m, &body).await,
        AdminOp::Rescan => {
            m.rescan().await;
            list(m)
        }
        AdminOp::Events => return super::admin_page::events(m.clone()),
        AdminOp::Info => info_reply(m, m.info(slug)),
        AdminOp::Delete => {
            let with_data = parts.uri.query().is_some_and(|q| q.split('&').any(|p| p == "data=true" || p == "data=1"));
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
        AdminOp::Enable => info_reply(m, m.enable(slug).await),
        AdminOp::Disable => info_reply(m, m.disable(slug).await),
        AdminOp::Reload => info_reply(m, m.reload(slug).await),
        AdminOp::Approve => match approval(&body) {
            Ok(expected) => info_reply(m, m.approve(slug, expected).await),
            Err(r) => r,
        },
        // The page's rendered form of `.../instructions` (upstream's path, the raw file).
        AdminOp::InstructionsRendered => super::admin_page::instructions(m, slug),
        AdminOp::ConfigGet => m.config_values(slug).map(|c| ok(StatusCode::OK, &c)).unwrap_or_else(fail),
        AdminOp::ConfigSet => {
            let values: BTreeMap<String, Value> = match parse_json(&body) {
                Ok(Some(Value::Object(o))) => o.into_iter().collect(),
                Ok(_) => {
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        "config must be a JSON object of setting names to values",
                    )
                    .into()
                }
                Err(r) => return r.into(),
            };
            m.set_config(slug, &values).map(|c| ok(StatusCode::OK, &c)).unwrap_or_else(fail)
        }
        AdminOp::Instructions => unreachable!("answered above"),
    }
    .into()
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
fn approval(body: &Bytes) -> Result<Option<Review>, Response<Bytes>> {
    let Some(v) = parse_json(body)? else { return Ok(None) };
    let Some(list) = v.get("permissions") else { return Ok(None) };
    let names = string_list(list, "`permissions` must be a list of permission names")?;
    let mut perms = Vec::new();
    for name in names {
        let p: Permission = name.parse().map_err(|e: owncast_plugin_host::permissions::UnknownPermission| {
            error_response(StatusCode::BAD_REQUEST, e)
        })?;
        perms.push(p);
    }
    let allowed_hosts = match v.get("allowedHosts") {
        None => None,
        Some(list) => Some(string_list(list, "`allowedHosts` must be a list of host names")?),
    };
    Ok(Some(Review { permissions: Permissions::new(perms), allowed_hosts }))
}

fn string_list(v: &Value, complaint: &str) -> Result<Vec<String>, Response<Bytes>> {
    let bad = || error_response(StatusCode::BAD_REQUEST, complaint);
    v.as_array().ok_or_else(bad)?.iter().map(|i| i.as_str().map(str::to_string).ok_or_else(bad)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_router() {
        for r in ROUTES {
            let path = r.path.replace("{slug}", "some-plugin");
            let (routes, slug) = routes_for(&path).unwrap_or_else(|| panic!("{} is not routed", r.path));
            assert!(routes.iter().any(|x| x.method == r.method && x.op == r.op), "{} {}", r.method, r.path);
            assert_eq!(slug, if r.path.contains("{slug}") { "some-plugin" } else { "" });
        }
        // Literal segments win over a slug; unknown paths are not routed.
        assert_eq!(routes_for("/api/admin/plugins/rescan").unwrap().0[0].op, AdminOp::Rescan);
        assert_eq!(routes_for("/api/admin/plugins/_events/").unwrap().0[0].op, AdminOp::Events);
        assert!(routes_for("/api/admin/plugins/p/explode").is_none());
        assert!(routes_for("/api/admin/other").is_none());
    }
}
