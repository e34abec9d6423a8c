//! The scenario file format (`__tests__/*.test.json`), strictly parsed: an
//! unknown key is an error naming the file and the path to the key.

use crate::capabilities::http_outbound::CannedResponse;
use crate::types::{Broadcaster, ChatClient, ChatMessage, ServerInfo, StreamInfo, User, VideoConfig};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub given: Given,
    #[serde(default)]
    pub events: Vec<Step>,
    #[serde(default)]
    pub expect: Expect,
}

/// State before the first step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Given {
    /// The plugin's KV namespace; non-string values are stored as JSON text.
    #[serde(default)]
    pub kv: BTreeMap<String, Value>,
    #[serde(default)]
    pub http_responses: Vec<CannedResponse>,
    pub stream: Option<StreamInfo>,
    pub broadcaster: Option<Broadcaster>,
    pub server: Option<ServerInfo>,
    pub video_config: Option<VideoConfig>,
    #[serde(default)]
    pub chat_history: Vec<ChatMessage>,
    #[serde(default)]
    pub chat_clients: Vec<ChatClient>,
    #[serde(default)]
    pub users: Vec<User>,
    /// Admin-set values of `manifest.config`.
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
}

/// One step: exactly one of `event`, `filter`, `http`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub event: Option<String>,
    pub filter: Option<String>,
    pub http: Option<HttpStep>,
    #[serde(default)]
    pub payload: Value,
    pub expect: Option<FilterExpect>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterExpect {
    pub action: String,
    pub payload: Option<Value>,
    /// Exact, or a regular expression written `/.../`.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpStep {
    #[serde(default = "get")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A string is sent as is; other JSON as JSON text.
    pub body: Option<Value>,
    #[serde(default)]
    pub authenticated: bool,
    pub user: Option<User>,
    pub expect: HttpExpect,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpExpect {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A string must equal the body; other JSON must be contained in the body parsed as JSON.
    pub body: Option<Value>,
}

/// Effects checked after the last step. Lists are exact unless said otherwise.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    pub chat_sends: Option<Vec<String>>,
    pub chat_actions: Option<Vec<String>>,
    pub chat_systems: Option<Vec<String>>,
    pub emits: Option<Vec<Value>>,
    /// Keys that must hold these values (others may exist).
    pub kv: Option<BTreeMap<String, Value>>,
    /// Outbound requests, each matched as a subset (`{url, method, ...}`).
    pub http_requests: Option<Vec<Value>>,
    pub deleted_messages: Option<Vec<String>>,
    pub discord_posts: Option<Vec<String>>,
    pub browser_pushes: Option<Vec<Value>>,
    pub fediverse_outbox: Option<Vec<String>>,
    pub video_config_writes: Option<Vec<Value>>,
}

/// A scenario file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct FormatError {
    pub file: String,
    pub message: String,
}

/// Parses a scenario file.
pub fn parse_file(path: &Path) -> Result<Vec<Case>, FormatError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FormatError { file: file.clone(), message: e.to_string() })?;
    parse(&text, &file)
}

pub fn parse(text: &str, file: &str) -> Result<Vec<Case>, FormatError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let cases: Vec<Case> = serde_path_to_error::deserialize(de).map_err(|e| FormatError {
        file: file.to_string(),
        message: format!("at `{}`: {}", e.path(), e.inner()),
    })?;
    for (i, c) in cases.iter().enumerate() {
        for (j, s) in c.events.iter().enumerate() {
            let kinds = [s.event.is_some(), s.filter.is_some(), s.http.is_some()].iter().filter(|b| **b).count();
            let at = format!("at `[{i}].events[{j}]` (case \"{}\")", c.name);
            if kinds != 1 {
                return Err(FormatError { file: file.into(), message: format!("{at}: a step needs exactly one of `event`, `filter`, `http`") });
            }
            if s.filter.is_some() && s.expect.is_none() {
                return Err(FormatError { file: file.into(), message: format!("{at}: a `filter` step needs `expect`") });
            }
            if s.event.is_some() && s.expect.is_some() {
                return Err(FormatError { file: file.into(), message: format!("{at}: an `event` step has no `expect` (assert effects in the case's `expect`)") });
            }
            if let Some(e) = &s.expect {
                if !["pass", "modify", "drop"].contains(&e.action.as_str()) {
                    return Err(FormatError {
                        file: file.into(),
                        message: format!("{at}.expect.action: \"{}\" is not pass, modify or drop", e.action),
                    });
                }
                if let Some(r) = &e.reason {
                    if let Some(re) = regex_of(r) {
                        regex::Regex::new(re).map_err(|err| FormatError { file: file.into(), message: format!("{at}.expect.reason: {err}") })?;
                    }
                }
            }
        }
    }
    Ok(cases)
}

/// The pattern inside `/.../`, if `s` is written that way.
pub fn regex_of(s: &str) -> Option<&str> {
    (s.len() >= 2 && s.starts_with('/') && s.ends_with('/')).then(|| &s[1..s.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_the_path() {
        let e = parse(r#"[{"name":"a","events":[{"event":"x","payload":{},"expct":1}]}]"#, "t.test.json").unwrap_err();
        assert!(e.to_string().starts_with("t.test.json: at `[0].events[0]"), "{e}");
        assert!(e.to_string().contains("expct"), "{e}");
        let e = parse(r#"[{"name":"a","given":{"kvv":{}}}]"#, "t.test.json").unwrap_err();
        assert!(e.to_string().contains("kvv"), "{e}");
    }

    #[test]
    fn steps_need_one_kind() {
        let e = parse(r#"[{"name":"a","events":[{"payload":{}}]}]"#, "f").unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let e = parse(r#"[{"name":"a","events":[{"filter":"x","payload":{},"expect":{"action":"explode"}}]}]"#, "f").unwrap_err();
        assert!(e.to_string().contains("explode"), "{e}");
    }
}
