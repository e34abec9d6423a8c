//! `auth-gate` — permission `auth.gate`; legacy `owncast_auth_grant_session`,
//! `owncast_auth_end_session`, and the optional legacy export
//! `on_auth_check`. The gate plugin runs the login flow and names the user;
//! the host owns the session: it signs the cookie (HMAC-SHA256 with a secret
//! kept in the host's store), sets or clears it on the response of the
//! `on_http_request` call that asked, and strips any cookie of that name a
//! plugin tries to set itself. Sessions are granted only inside
//! `on_http_request`, only to users the same plugin registered through
//! `users.register`, and only one `auth.gate` plugin is loaded at a time.
//! Owncast checks a viewer's cookie with [`Host::session`] and re-validates
//! it with [`Host::auth_check`] on page loads.

use crate::kv::KvStore;
use crate::types::HttpResponse;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "owncast_plugin_session";
/// A grant without a TTL lasts this long (seconds).
pub const DEFAULT_SESSION_TTL: u64 = 7 * 24 * 3600;
/// Granted TTLs are clamped to this range (seconds).
pub const MIN_SESSION_TTL: u64 = 60;
pub const MAX_SESSION_TTL: u64 = 30 * 24 * 3600;
const SECRET_KEY: &str = "host.auth.session-secret";

/// A signed session: who, through which gate plugin, until when (unix s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "u")]
    pub user_id: String,
    #[serde(rename = "p")]
    pub plugin: String,
    #[serde(rename = "e")]
    pub expires: u64,
}

/// Signs and verifies session tokens.
pub struct SessionKeys {
    secret: [u8; 32],
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn hmac(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(key);
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

impl SessionKeys {
    /// The store's secret, created on first use.
    pub fn load(store: &dyn KvStore) -> anyhow::Result<Self> {
        let hex = match store.get(SECRET_KEY)? {
            Some(h) if h.len() == 64 => h,
            _ => {
                let mut b = [0u8; 32];
                getrandom::getrandom(&mut b)
                    .map_err(|e| anyhow::anyhow!("no randomness for the session secret: {e}"))?;
                let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
                store.set(SECRET_KEY, &h)?;
                h
            }
        };
        let mut secret = [0u8; 32];
        for (i, s) in secret.iter_mut().enumerate() {
            *s = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
        }
        Ok(SessionKeys { secret })
    }

    pub fn sign(&self, s: &Session) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = b64.encode(serde_json::to_vec(s).expect("sessions serialize"));
        let mac = b64.encode(hmac(&self.secret, payload.as_bytes()));
        format!("{payload}.{mac}")
    }

    /// The session in `token` if the signature is ours and it has not expired.
    pub fn verify(&self, token: &str) -> Option<Session> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (payload, mac) = token.split_once('.')?;
        let want = hmac(&self.secret, payload.as_bytes());
        let got = b64.decode(mac).ok()?;
        // Constant-time comparison.
        if got.len() != want.len() || got.iter().zip(want).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0 {
            return None;
        }
        let s: Session = serde_json::from_slice(&b64.decode(payload).ok()?).ok()?;
        (s.expires > now()).then_some(s)
    }
}

/// What the gate plugin did to the session during one `on_http_request`.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionChange {
    Granted { token: String, max_age: u64 },
    Ended,
}

/// Puts the host's session cookie on a gate plugin's response, after
/// removing any cookie of that name the plugin set itself.
pub(crate) fn apply_session(resp: &mut HttpResponse, change: Option<SessionChange>) {
    let prefix = format!("{SESSION_COOKIE}=");
    resp.headers.retain(|(k, v)| !(k.eq_ignore_ascii_case("set-cookie") && v.trim_start().starts_with(&prefix)));
    let cookie = match change {
        None => return,
        Some(SessionChange::Granted { token, max_age }) => {
            format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax")
        }
        Some(SessionChange::Ended) => format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    };
    resp.headers.push(("set-cookie".into(), cookie));
}

/// The session cookie [`apply_session`] put on a response, for the server
/// (which passes no other `Set-Cookie` of a plugin's).
pub fn host_cookies(headers: &[(String, String)]) -> Vec<http::HeaderValue> {
    let prefix = format!("{SESSION_COOKIE}=");
    headers
        .iter()
        .filter(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with(&prefix))
        .filter_map(|(_, v)| http::HeaderValue::from_str(v).ok())
        .collect()
}

/// The gate's verdict on a session (`on_auth_check`'s `{action, reason?, ttl?}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthVerdict {
    /// `ok`, `refresh` or `deny`.
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// For `refresh`: the new cookie lifetime (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
}

impl AuthVerdict {
    pub fn ok() -> Self {
        AuthVerdict { action: "ok".into(), reason: String::new(), ttl: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryStore;

    #[test]
    fn tokens_are_signed_and_expire() {
        let store = MemoryStore::default();
        let keys = SessionKeys::load(&store).unwrap();
        let s = Session { user_id: "u-1".into(), plugin: "gate".into(), expires: now() + 60 };
        let t = keys.sign(&s);
        assert_eq!(keys.verify(&t), Some(s.clone()));
        assert_eq!(SessionKeys::load(&store).unwrap().verify(&t), Some(s.clone()), "the secret is kept");
        let (payload, mac) = t.split_once('.').unwrap();
        let forged =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"u":"admin","p":"gate","e":99999999999}"#);
        assert_eq!(keys.verify(&format!("{forged}.{mac}")), None, "a changed payload fails the signature");
        assert_eq!(keys.verify(payload), None);
        assert_eq!(SessionKeys::load(&MemoryStore::default()).unwrap().verify(&t), None, "another host's secret");
        let old = keys.sign(&Session { expires: now() - 1, ..s });
        assert_eq!(keys.verify(&old), None, "expired");
    }

    #[test]
    fn the_host_owns_the_cookie() {
        let mut r = HttpResponse {
            status: 200,
            headers: vec![
                ("set-cookie".into(), format!("{SESSION_COOKIE}=forged")),
                ("set-cookie".into(), "theme=dark".into()),
            ],
            body: String::new(),
        };
        apply_session(&mut r, None);
        assert_eq!(r.headers, vec![("set-cookie".to_string(), "theme=dark".to_string())]);
        apply_session(&mut r, Some(SessionChange::Ended));
        assert!(r.headers[1].1.starts_with(&format!("{SESSION_COOKIE}=; Path=/; Max-Age=0")));
    }
}
