//! Who is asking: Owncast admin credentials (HTTP Basic `admin:<password>`
//! or a bearer token) and, through a [`UserResolver`], a viewer's own login.

use super::ServerConfig;
use base64::Engine;
use http::{header, HeaderMap};
use owncast_plugin_host::types::ChatUser;

/// The authentication a request carries. The server computes it from the
/// request's credentials; in-process callers of
/// [`PluginServer::handle`](super::PluginServer::handle) (the scenario runner,
/// tests) may put one in the request's extensions instead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestAuth {
    /// Carries Owncast admin authentication.
    pub admin: bool,
    /// The Owncast user the request is from, if it says.
    pub user: Option<ChatUser>,
}

impl RequestAuth {
    pub fn anonymous() -> Self {
        Self::default()
    }
    pub fn admin() -> Self {
        RequestAuth { admin: true, user: None }
    }
    pub fn user(user: ChatUser) -> Self {
        RequestAuth { admin: false, user: Some(user) }
    }
    /// What a plugin sees as `authenticated`: Owncast admin authentication,
    /// as upstream (a known viewer is `user`, not `authenticated`).
    pub fn authenticated(&self) -> bool {
        self.admin
    }
}

/// Recognizes a viewer's Owncast authentication (Owncast wires its chat
/// access tokens here).
pub trait UserResolver: Send + Sync + 'static {
    fn resolve(&self, parts: &http::request::Parts) -> Option<ChatUser>;
}

/// Compares without leaking where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Admin credentials in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Presented {
    /// No `Authorization` header, or a scheme the host does not use.
    None,
    /// The admin's password or an admin token.
    Admin,
    /// Basic credentials that are not the admin's.
    WrongBasic,
    /// A bearer token that is not an admin token (it may still be a viewer's).
    WrongBearer,
}

/// What admin credentials the headers carry.
pub(super) fn presented(config: &ServerConfig, headers: &HeaderMap) -> Presented {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Presented::None;
    };
    let value = String::from_utf8_lossy(value.as_bytes());
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((&value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let Some(password) = &config.admin_password else { return Presented::WrongBasic };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else { return Presented::WrongBasic };
        let Some(colon) = decoded.iter().position(|b| *b == b':') else { return Presented::WrongBasic };
        let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
        // Both compared every time.
        let user_ok = same(user, b"admin");
        let pass_ok = same(pass, password.as_bytes());
        if user_ok & pass_ok & !password.is_empty() {
            Presented::Admin
        } else {
            Presented::WrongBasic
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        let mut ok = false;
        for t in &config.admin_tokens {
            ok |= !t.is_empty() & same(rest.as_bytes(), t.as_bytes());
        }
        if ok {
            Presented::Admin
        } else {
            Presented::WrongBearer
        }
    } else {
        Presented::None
    }
}

/// Whether the headers carry the admin's credentials.
#[cfg(test)]
fn is_admin(config: &ServerConfig, headers: &HeaderMap) -> bool {
    presented(config, headers) == Presented::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::AUTHORIZATION, v.parse().unwrap());
        m
    }

    #[test]
    fn basic_and_bearer() {
        let c = ServerConfig::default().admin_password("abc123").admin_token("tok");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(is_admin(&c, &h(&format!("Basic {}", b64("admin:abc123")))));
        assert!(is_admin(&c, &h(&format!("basic {}", b64("admin:abc123")))));
        assert!(!is_admin(&c, &h(&format!("Basic {}", b64("admin:wrong")))));
        assert!(!is_admin(&c, &h(&format!("Basic {}", b64("root:abc123")))));
        assert!(!is_admin(&c, &h("Basic !!!")));
        assert!(is_admin(&c, &h("Bearer tok")));
        assert!(!is_admin(&c, &h("Bearer to")));
        assert!(!is_admin(&c, &HeaderMap::new()));
        let none = ServerConfig::default();
        assert!(!is_admin(&none, &h(&format!("Basic {}", b64("admin:")))));
    }
}
