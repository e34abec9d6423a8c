//! The scenario file format (`__tests__/*.test.json`): upstream's (Owncast
//! plugin SDK, `testing/scenario.go`), strictly parsed: an unknown key is an
//! error naming the file and the path to the key.
//!
//! Project extensions, each optional and never needed by an upstream file:
//! a JSON (non-string) `http.body`, `http.expect.body` or
//! `httpResponses[].body` (sent or compared as JSON, the expected body as a
//! subset of the actual one), a filter `reason` written `/regex/`, the
//! step `{"advanceTimers": ms}` (the host's timers run on a clock only these
//! steps move) and `given.emotes` (what `owncast.server.emotes()` returns).

use owncast_plugin_host::types::{
    Broadcaster, ChatClient, ChatMessage, ChatUser, Emote, FederationInfo, KnownKeys, ServerInfo, SocialHandle,
    StreamInfo, User, VideoConfig, VideoConfigUpdate,
};
use owncast_plugin_testing::CannedResponse;
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
    /// The plugin's KV namespace, stored as given.
    #[serde(default)]
    pub kv: BTreeMap<String, String>,
    /// Admin-set values of `manifest.config`.
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
    /// Canned answers for outbound requests: the first whose `url` glob and
    /// `method` (if set) match; a request none matches fails.
    #[serde(default)]
    pub http_responses: Vec<CannedResponse>,
    pub stream: Option<StreamInfo>,
    pub server: Option<ServerInfo>,
    #[serde(default)]
    pub chat_history: Vec<ChatMessage>,
    #[serde(default)]
    pub chat_clients: Vec<ChatClient>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub socials: Vec<SocialHandle>,
    /// `owncast.server.emotes()` (extension: upstream's runner has no emotes fixture).
    #[serde(default)]
    pub emotes: Vec<Emote>,
    pub federation: Option<FederationInfo>,
    pub broadcaster: Option<Broadcaster>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub video_config: Option<VideoConfig>,
}

/// One step: exactly one of `event`, `filter`, `http`, `tabContent`,
/// `pageContent`, `pageStyles`, `pageScripts`, `authCheck`, `advanceTimers`.
/// A `chat.message.received` event also runs the plugin's chat commands (and
/// the host's `!help`), as Owncast does after notifying a message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Step {
    /// A `timer.fire` event goes to the plugin whether it subscribes or not,
    /// as the host's timers deliver it.
    pub event: Option<String>,
    pub filter: Option<String>,
    pub http: Option<HttpStep>,
    /// Calls the plugin's `on_tab_content` with `{slug, user?}`.
    pub tab_content: Option<ContentStep>,
    /// Calls the plugin's `on_page_content` with `{slug, user?}`.
    pub page_content: Option<ContentStep>,
    /// Calls the plugin's `on_page_styles` (`slug` and `user` unused).
    pub page_styles: Option<ContentStep>,
    /// Calls the plugin's `on_page_scripts` (`slug` and `user` unused).
    pub page_scripts: Option<ContentStep>,
    /// Calls the gate plugin's `on_auth_check`.
    pub auth_check: Option<AuthCheckStep>,
    /// Moves the timers' clock this many ms, firing what falls due (extension).
    pub advance_timers: Option<u64>,
    #[serde(default)]
    pub payload: Value,
    /// Only on `filter` steps; without it the filter runs unchecked.
    pub expect: Option<FilterExpect>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterExpect {
    /// `pass` (allowed, payload unchanged), `modify` (allowed; `payload`, if
    /// given, contained in the result) or `drop` (`reason`, if given, equal).
    pub action: String,
    pub payload: Option<Value>,
    /// Exact, or a regular expression written `/.../` (extension).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpStep {
    #[serde(default = "get")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A string is sent as is; other JSON as JSON text (extension).
    pub body: Option<Value>,
    /// An authenticated Owncast admin.
    #[serde(default)]
    pub authenticated: bool,
    /// A viewer with a user token (counts as authenticated too).
    pub user: Option<ChatUser>,
    pub expect: Option<HttpExpect>,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpExpect {
    /// Unchecked when absent (or 0).
    pub status: Option<u16>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A string must equal the body; other JSON must be contained in the
    /// body parsed as JSON (extension).
    pub body: Option<Value>,
    pub body_contains: Option<String>,
}

/// Calls one of the plugin's content exports directly (whatever its
/// manifest declares); a missing export returns `""`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentStep {
    #[serde(default)]
    pub slug: String,
    pub user: Option<ChatUser>,
    pub expect: Option<ContentExpect>,
}

/// What the export returned, as returned (not yet sanitized): each field
/// checked when non-empty, as upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContentExpect {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_contains: String,
}

/// Calls the gate plugin's `on_auth_check` with `{user}` and checks the verdict.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthCheckStep {
    pub user: Option<User>,
    pub expect: Option<AuthCheckExpect>,
}

/// Each field checked when non-empty, as upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthCheckExpect {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

/// Effects checked after the last step. A list is compared whole and in
/// order (`[]` = none happened); inside an entry, a field that is optional
/// upstream is checked only when given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    pub chat_sends: Option<Vec<String>>,
    pub chat_actions: Option<Vec<String>>,
    pub chat_systems: Option<Vec<String>>,
    pub chat_to: Option<Vec<ChatToExpect>>,
    pub deleted_messages: Option<Vec<String>>,
    pub kicked_clients: Option<Vec<u64>>,
    pub discord_posts: Option<Vec<String>>,
    pub browser_pushes: Option<Vec<BrowserPushExpect>>,
    pub fediverse_posts: Option<Vec<FediversePostExpect>>,
    pub fediverse_outbox: Option<Vec<String>>,
    pub user_moderations: Option<Vec<UserModerationExpect>>,
    #[serde(rename = "bannedIPs")]
    pub banned_ips: Option<Vec<String>>,
    pub user_registrations: Option<Vec<UserRegistrationExpect>>,
    pub session_grants: Option<Vec<SessionGrantExpect>>,
    /// `owncast.auth.endSession` calls; checked when non-zero, as upstream.
    #[serde(default)]
    pub session_clears: u32,
    pub uploads: Option<Vec<UploadExpect>>,
    /// Lines the plugin wrote to the server log (`owncast.log.*`).
    pub logs: Option<Vec<LogExpect>>,
    pub video_config_writes: Option<Vec<VideoConfigUpdate>>,
    pub emits: Option<Vec<EmitExpect>>,
    /// Keys that must hold these values; a missing key equals `""`.
    pub kv: Option<BTreeMap<String, String>>,
    pub http_requests: Option<Vec<HttpRequestExpect>>,
    pub sse_sends: Option<Vec<SseSendExpect>>,
    /// Chat commands the plugin registered, matched by name in any order.
    pub commands: Option<Vec<CommandExpect>>,
}

/// One registered chat command: `prefix`, `description` and `usage` are
/// checked when non-empty, `aliases` when given; `modOnly`, `caseSensitive`
/// and `cooldownMs` always (absent = `false`/`0`), as upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CommandExpect {
    pub name: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub usage: String,
    pub aliases: Option<Vec<String>>,
    #[serde(default)]
    pub mod_only: bool,
    #[serde(default)]
    pub case_sensitive: bool,
    #[serde(default)]
    pub cooldown_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChatToExpect {
    pub client_id: u64,
    pub text: String,
}

/// All three fields compared (absent = `""`), as upstream.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserPushExpect {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub url: String,
}

/// All four fields compared (absent = `""`), as upstream.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FediversePostExpect {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub link: String,
}

/// `reason` compared too (absent = `""`), as upstream.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserModerationExpect {
    pub user_id: String,
    pub enabled: bool,
    #[serde(default)]
    pub reason: String,
}

/// `authId` always compared; the other fields when given (`""`, `[]` and
/// `false` included), as upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserRegistrationExpect {
    pub auth_id: String,
    pub display_name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub profile_url: Option<String>,
    pub handle: Option<String>,
    pub public: Option<bool>,
}

/// `userId` always compared; `ttl` (seconds) when non-zero.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SessionGrantExpect {
    pub user_id: String,
    #[serde(default)]
    pub ttl: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UploadExpect {
    pub name: String,
    /// The uploaded bytes as text; checked when non-empty.
    #[serde(default)]
    pub body: String,
    /// The uploaded bytes in standard base64; checked when given (`""` too).
    pub body_base64: Option<String>,
}

/// Every field compared, as upstream.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    /// The plugin's slug.
    pub plugin: String,
    /// `info`, `warning` or `error`.
    pub level: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmitExpect {
    pub event_type: String,
    /// Contained in the emitted payload, when given.
    pub payload: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRequestExpect {
    /// Exact.
    pub url: String,
    /// Checked when non-empty.
    #[serde(default)]
    pub method: String,
    /// Checked when non-empty.
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SseSendExpect {
    pub channel: String,
    /// Checked when non-empty.
    #[serde(default)]
    pub event: String,
    /// Checked when non-empty.
    #[serde(default)]
    pub data: String,
}

/// Every object of the scenario format and the keys it accepts, read from
/// the (strict) deserializers of the types above, so the wire-protocol
/// document cannot drift from them: `(path, keys)`, e.g.
/// `("case.events[].http", ["method", "path", ...])`. An object whose type
/// accepts any key (a map, a record of the contract) is not listed.
pub fn keys() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    probe_keys(&mut Vec::new(), &mut out);
    out
}

/// A key no type has: the deserializers name the keys they expected instead.
const PROBE: &str = "?probe";

/// The path of a probed object: keys, each `true` when its value is an array.
type ProbePath = Vec<(String, bool)>;

fn probe_keys(path: &mut ProbePath, out: &mut Vec<(String, Vec<String>)>) {
    let Some(keys) = expected_keys(path) else { return };
    let at = std::iter::once("case".to_string())
        .chain(path.iter().map(|(k, array)| format!("{k}{}", if *array { "[]" } else { "" })))
        .collect::<Vec<_>>()
        .join(".");
    out.push((at, keys.clone()));
    if path.len() >= 4 {
        return;
    }
    for key in keys {
        for array in [false, true] {
            path.push((key.clone(), array));
            let found = expected_keys(path).is_some();
            if found {
                probe_keys(path, out);
            }
            path.pop();
            if found {
                break;
            }
        }
    }
}

/// The keys the object at `path` of a case accepts, when its type rejects unknown ones.
fn expected_keys(path: &ProbePath) -> Option<Vec<String>> {
    let mut value = serde_json::json!({ PROBE: 0 });
    for (key, array) in path.iter().rev() {
        if *array {
            value = Value::Array(vec![value]);
        }
        value = serde_json::json!({ key.as_str(): value });
    }
    let message = serde_json::from_value::<Case>(value).err()?.to_string();
    let rest = message.strip_prefix(&format!("unknown field `{PROBE}`, "))?;
    if rest.starts_with("there are no fields") {
        return Some(Vec::new());
    }
    let listed = rest.strip_prefix("expected ")?;
    Some(listed.split('`').skip(1).step_by(2).map(str::to_string).collect())
}

/// A scenario file that could not be read./// A scenario file that could not be read.
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
    let cases: Vec<Case> = serde_path_to_error::deserialize(de)
        .map_err(|e| FormatError { file: file.to_string(), message: format!("at `{}`: {}", e.path(), e.inner()) })?;
    let fail = |message: String| FormatError { file: file.to_string(), message };
    if let Some(at) = unknown_record_key(&serde_json::from_str(text).unwrap_or_default()) {
        let key = at.rsplit('.').next().unwrap_or(&at).split('[').next().unwrap_or_default().to_string();
        return Err(fail(format!("at `{at}`: unknown field `{key}`")));
    }
    for (i, c) in cases.iter().enumerate() {
        if c.name.is_empty() {
            return Err(fail(format!("at `[{i}].name`: a scenario needs a name")));
        }
        for (j, s) in c.events.iter().enumerate() {
            let at = format!("at `[{i}].events[{j}]` (case \"{}\")", c.name);
            let kinds = [
                s.event.is_some(),
                s.filter.is_some(),
                s.http.is_some(),
                s.tab_content.is_some(),
                s.page_content.is_some(),
                s.page_styles.is_some(),
                s.page_scripts.is_some(),
                s.auth_check.is_some(),
                s.advance_timers.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if kinds != 1 {
                return Err(fail(format!(
                    "{at}: a step needs exactly one of `event`, `filter`, `http`, `tabContent`, `pageContent`, `pageStyles`, `pageScripts`, `authCheck`, `advanceTimers`"
                )));
            }
            if s.filter.is_none() && s.expect.is_some() {
                return Err(fail(format!("{at}.expect: only a `filter` step has `expect` (an `http` step has `http.expect`; assert an event's effects in the case's `expect`)")));
            }
            if let Some(h) = &s.http {
                if h.path.is_empty() {
                    return Err(fail(format!("{at}.http.path: an `http` step needs a path")));
                }
            }
            if let Some(e) = &s.expect {
                if !["pass", "modify", "drop"].contains(&e.action.as_str()) {
                    return Err(fail(format!("{at}.expect.action: \"{}\" is not pass, modify or drop", e.action)));
                }
                if let Some(re) = e.reason.as_deref().and_then(regex_of) {
                    regex::Regex::new(re).map_err(|err| fail(format!("{at}.expect.reason: {err}")))?;
                }
            }
        }
    }
    Ok(cases)
}

/// The first key of a record-typed value (users, stream info, an HTTP step's
/// `user`, ...) that its record does not have: the records themselves
/// accept any key (a legacy plugin's payloads keep theirs), a scenario may not.
/// Event and filter `payload`s go to the plugin as written and are not checked.
fn unknown_record_key(file: &Value) -> Option<String> {
    fn field<T: KnownKeys>(v: &Value, key: &str, at: &str) -> Option<String> {
        v.get(key).and_then(|f| T::unknown_key(f, &format!("{at}.{key}")))
    }
    for (i, case) in file.as_array()?.iter().enumerate() {
        let at = format!("[{i}].given");
        if let Some(g) = case.get("given") {
            let found = field::<StreamInfo>(g, "stream", &at)
                .or_else(|| field::<ServerInfo>(g, "server", &at))
                .or_else(|| field::<Vec<ChatMessage>>(g, "chatHistory", &at))
                .or_else(|| field::<Vec<ChatClient>>(g, "chatClients", &at))
                .or_else(|| field::<Vec<User>>(g, "users", &at))
                .or_else(|| field::<Vec<SocialHandle>>(g, "socials", &at))
                .or_else(|| field::<FederationInfo>(g, "federation", &at))
                .or_else(|| field::<Broadcaster>(g, "broadcaster", &at))
                .or_else(|| field::<VideoConfig>(g, "videoConfig", &at));
            if found.is_some() {
                return found;
            }
        }
        for (j, step) in case.get("events").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let at = format!("[{i}].events[{j}]");
            for kind in ["http", "tabContent", "pageContent", "pageStyles", "pageScripts"] {
                if let Some(s) = step.get(kind) {
                    if let Some(found) = field::<ChatUser>(s, "user", &format!("{at}.{kind}")) {
                        return Some(found);
                    }
                }
            }
            if let Some(found) =
                step.get("authCheck").and_then(|s| field::<User>(s, "user", &format!("{at}.authCheck")))
            {
                return Some(found);
            }
        }
        if let Some(found) = case
            .get("expect")
            .and_then(|e| field::<Vec<VideoConfigUpdate>>(e, "videoConfigWrites", &format!("[{i}].expect")))
        {
            return Some(found);
        }
    }
    None
}

/// The pattern inside `/.../`, if `s` is written that way.
pub fn regex_of(s: &str) -> Option<&str> {
    (s.len() >= 2 && s.starts_with('/') && s.ends_with('/')).then(|| &s[1..s.len() - 1])
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_read_from_the_types() {
        let keys = super::keys();
        let at = |path: &str| keys.iter().find(|(p, _)| p == path).map(|(_, k)| k.clone()).unwrap_or_default();
        assert_eq!(at("case"), ["name", "given", "events", "expect"]);
        assert!(at("case.events[]").contains(&"tabContent".to_string()), "{keys:?}");
        assert_eq!(at("case.events[].http")[..3], ["method", "path", "headers"]);
        assert!(at("case.events[].tabContent").contains(&"slug".to_string()), "{keys:?}");
        assert!(at("case.given").contains(&"httpResponses".to_string()), "{keys:?}");
        assert!(at("case.expect").contains(&"chatSends".to_string()), "{keys:?}");
        // A map (given.kv) or a string (events[].event) is not an object of the format.
        assert!(keys.iter().all(|(p, _)| p != "case.given.kv" && p != "case.events[].event"));
    }

    use super::*;

    fn err(text: &str) -> String {
        parse(text, "t.test.json").unwrap_err().to_string()
    }

    #[test]
    fn unknown_keys_name_the_key_and_its_path() {
        let e = err(r#"[{"name":"a","events":[{"event":"x","payload":{},"expct":1}]}]"#);
        assert!(e.starts_with("t.test.json: at `[0].events[0]"), "{e}");
        assert!(e.contains("expct"), "{e}");
        let e = err(r#"[{"name":"a","given":{"kvv":{}}}]"#);
        assert!(e.contains("at `[0].given.kvv`: unknown field `kvv`"), "{e}");
        let e = err(r#"[{"name":"a","expect":{"kickedClients":[1],"bannedIps":["1.2.3.4"]}}]"#);
        assert!(e.contains("at `[0].expect.bannedIps`: unknown field `bannedIps`"), "{e}");
        let e = err(r#"[{"name":"a","expect":{"fediversePosts":[{"type":"follow","bdy":"x"}]}}]"#);
        assert!(e.contains("at `[0].expect.fediversePosts[0].bdy`"), "{e}");
        let e = err(r#"[{"name":"a","given":{"httpResponses":[{"url":"*","methd":"GET"}]}}]"#);
        assert!(e.contains("at `[0].given.httpResponses[0].methd`"), "{e}");
        let e = err(r#"[{"name":"a","expect":{"logs":[{"plugin":"p","level":"info","msg":"x"}]}}]"#);
        assert!(e.contains("at `[0].expect.logs[0].msg`"), "{e}");
        let e = err(r#"[{"name":"a","events":[{"http":{"path":"/","expect":{"statuss":200}}}]}]"#);
        assert!(e.contains("at `[0].events[0].http.expect.statuss`"), "{e}");
    }

    /// Upstream's newest `User` (every chat identity, the HTTP and content
    /// steps' `user` included), `StreamVariant.cpuUsageLevel` and
    /// `VideoConfig.autoplay` parse and keep their values; a key no record has
    /// is an error naming its path, however deep in a record it is.
    #[test]
    fn record_values_take_upstreams_newest_keys_and_refuse_others() {
        let user = r#"{"id":"u1","displayName":"kim","displayColor":3,"previousNames":["k"],"createdAt":"2024-01-01T00:00:00Z","disabledAt":"2024-02-01T00:00:00Z","scopes":["MODERATOR"],"isBot":false,"isAuthenticated":true}"#;
        let text = format!(
            r#"[{{"name":"a","given":{{"users":[{user}],"chatHistory":[{{"id":"m","user":{user},"body":"b","timestamp":"t"}}],
                "videoConfig":{{"latencyLevel":1,"codec":"libx264","autoplay":"sound-only","variants":[{{"width":1,"height":1,"framerate":30,"videoBitrate":1200,"cpuUsageLevel":3,"isPassthrough":false}}]}}}},
              "events":[{{"http":{{"path":"/me","user":{user}}}}},{{"tabContent":{{"slug":"t","user":{user}}}}},{{"authCheck":{{"user":{user}}}}},
                        {{"event":"x","payload":{{"anything":{{"goes":1}}}}}}],
              "expect":{{"videoConfigWrites":[{{"autoplay":"off","variants":[{{"width":1,"height":1,"framerate":1,"videoBitrate":1,"cpuUsageLevel":0,"isPassthrough":true}}]}}]}}}}]"#
        );
        let c = &parse(&text, "t.test.json").unwrap()[0];
        let u = c.events[0].http.as_ref().unwrap().user.as_ref().unwrap();
        assert_eq!((u.display_color, u.previous_names.as_deref()), (Some(3), Some(&["k".to_string()][..])));
        assert_eq!(u.disabled_at.as_deref(), Some("2024-02-01T00:00:00Z"));
        assert_eq!(c.given.users[0].display_color, Some(3));
        assert_eq!(c.given.chat_history[0].user.as_ref().unwrap().display_color, Some(3));
        let vc = c.given.video_config.as_ref().unwrap();
        assert_eq!((vc.autoplay.as_deref(), vc.variants[0].cpu_usage_level), (Some("sound-only"), Some(3)));
        assert_eq!(vc.variants[0].audio_bitrate, None);
        for (bad, at) in [
            (
                r#""http":{"path":"/me","user":{"id":"u","displayName":"k","displayColour":3}}"#,
                "[0].events[0].http.user.displayColour",
            ),
            (
                r#""pageContent":{"slug":"s","user":{"id":"u","displayName":"k","nick":"x"}}"#,
                "[0].events[0].pageContent.user.nick",
            ),
            (r#""authCheck":{"user":{"id":"u","displayName":"k","colour":1}}"#, "[0].events[0].authCheck.user.colour"),
        ] {
            let e = err(&format!(r#"[{{"name":"a","events":[{{{bad}}}]}}]"#));
            assert!(e.contains(&format!("at `{at}`: unknown field `{}`", at.rsplit('.').next().unwrap())), "{e}");
        }
        let e = err(
            r#"[{"name":"a","given":{"chatHistory":[{"id":"m","user":{"id":"u","displayName":"k","color":2},"body":"b","timestamp":"t"}]}}]"#,
        );
        assert!(e.contains("at `[0].given.chatHistory[0].user.color`: unknown field `color`"), "{e}");
        let e = err(
            r#"[{"name":"a","given":{"videoConfig":{"latencyLevel":1,"codec":"c","variants":[{"width":1,"height":1,"framerate":1,"videoBitrate":1,"isPassthrough":false,"cpu":2}]}}}]"#,
        );
        assert!(e.contains("at `[0].given.videoConfig.variants[0].cpu`"), "{e}");
        let e = err(r#"[{"name":"a","expect":{"videoConfigWrites":[{"autoPlay":"off"}]}}]"#);
        assert!(e.contains("at `[0].expect.videoConfigWrites[0].autoPlay`"), "{e}");
    }

    /// Every scenario file of the repository (examples, legacy fixtures, test
    /// guests) parses, record-valued keys included.
    #[test]
    fn every_scenario_file_in_the_repository_parses() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["examples/js", "examples/rust", "examples/python", "compat-extism/fixtures", "host/tests/guests"] {
            for plugin in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                for f in std::fs::read_dir(plugin.path().join("__tests__")).into_iter().flatten().flatten() {
                    if f.file_name().to_string_lossy().ends_with(".test.json") {
                        files.push(f.path());
                    }
                }
            }
        }
        assert!(files.len() > 50, "{} scenario files found", files.len());
        let bad: Vec<String> = files.iter().filter_map(|f| parse_file(f).err().map(|e| e.to_string())).collect();
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn every_upstream_key_parses() {
        let text = r#"[{
            "name": "all keys",
            "given": {
                "kv": {"k": "v"}, "config": {"c": 1},
                "httpResponses": [{"url": "https://a.example/*", "method": "POST", "status": 201, "headers": {"x": "y"}, "body": "b"}],
                "stream": {}, "server": {}, "chatHistory": [], "chatClients": [], "users": [],
                "socials": [{"platform": "mastodon", "url": "https://m.example/@me"}],
                "federation": {"enabled": true}, "broadcaster": {}, "tags": ["t"], "videoConfig": {}
            },
            "events": [
                {"event": "stream.started", "payload": {}},
                {"filter": "chat.message.received", "payload": {}},
                {"filter": "chat.message.received", "payload": {}, "expect": {"action": "drop", "reason": "r"}},
                {"http": {"path": "/x"}},
                {"advanceTimers": 1500},
                {"authCheck": {"user": {"id": "u"}, "expect": {"action": "deny"}}},
                {"tabContent": {"slug": "t", "user": {"id": "u", "displayName": "U"}, "expect": {"body": "b", "bodyContains": "c"}}},
                {"pageContent": {"slug": "p"}}, {"pageStyles": {}}, {"pageScripts": {"expect": {"bodyContains": "x"}}},
                {"http": {"method": "POST", "path": "/x", "headers": {}, "body": "b", "authenticated": true, "expect": {"headers": {}, "body": "", "bodyContains": "o"}}}
            ],
            "expect": {
                "chatSends": [], "chatActions": [], "chatSystems": [], "chatTo": [{"clientId": 1, "text": "t"}],
                "deletedMessages": [], "kickedClients": [7], "discordPosts": [],
                "browserPushes": [{"title": "t"}], "fediversePosts": [{"type": "follow", "body": "b", "image": "i", "link": "l"}],
                "fediverseOutbox": [], "userModerations": [{"userId": "u", "enabled": false, "reason": "r"}],
                "bannedIPs": ["1.2.3.4"], "userRegistrations": [{"authId": "a"}], "sessionGrants": [{"userId": "u", "ttl": 60}],
                "sessionClears": 1, "uploads": [{"name": "n", "body": "b"}, {"name": "m", "bodyBase64": ""}],
                "logs": [{"plugin": "p", "level": "warning", "message": "m"}], "videoConfigWrites": [{"latencyLevel": 3}],
                "emits": [{"eventType": "e"}], "kv": {"k": ""}, "httpRequests": [{"url": "u"}], "sseSends": [{"channel": "c"}],
                "commands": [{"name": "ping", "prefix": "?", "description": "d", "usage": "u", "aliases": ["p"], "modOnly": true, "caseSensitive": true, "cooldownMs": 5}]
            }
        }]"#;
        let cases = parse(text, "t").unwrap();
        let c = &cases[0];
        assert_eq!(c.given.http_responses[0].method.as_deref(), Some("POST"));
        assert_eq!(c.given.tags, ["t"]);
        assert!(c.given.federation.as_ref().unwrap().enabled);
        assert!(c.events[1].expect.is_none());
        assert!(c.events[3].http.as_ref().unwrap().expect.is_none());
        let he = c.events[10].http.as_ref().unwrap().expect.as_ref().unwrap();
        assert_eq!(c.events[6].tab_content.as_ref().unwrap().expect.as_ref().unwrap().body_contains, "c");
        assert!(c.events[8].page_styles.as_ref().unwrap().slug.is_empty());
        let cmd = &c.expect.commands.as_ref().unwrap()[0];
        assert_eq!((cmd.name.as_str(), cmd.mod_only, cmd.cooldown_ms), ("ping", true, 5));
        assert_eq!((he.status, he.body_contains.as_deref()), (None, Some("o")));
        assert_eq!(c.expect.kicked_clients, Some(vec![7]));
        assert_eq!(c.expect.banned_ips, Some(vec!["1.2.3.4".to_string()]));
        assert_eq!(c.expect.session_clears, 1);
        assert_eq!(c.expect.uploads.as_ref().unwrap()[1].body_base64.as_deref(), Some(""));
        assert_eq!(c.expect.logs.as_ref().unwrap()[0].level, "warning");
        assert_eq!(
            c.expect.browser_pushes.as_ref().unwrap()[0],
            BrowserPushExpect { title: "t".into(), body: String::new(), url: String::new() }
        );
    }

    #[test]
    fn steps_are_checked() {
        assert!(err(r#"[{"name":"a","events":[{"payload":{}}]}]"#).contains("exactly one"));
        assert!(err(r#"[{"name":"a","events":[{"event":"x","http":{"path":"/"}}]}]"#).contains("exactly one"));
        assert!(err(r#"[{"name":"a","events":[{"filter":"x","payload":{},"expect":{"action":"explode"}}]}]"#)
            .contains("explode"));
        assert!(err(r#"[{"name":"a","events":[{"event":"x","expect":{"action":"pass"}}]}]"#)
            .contains("only a `filter` step"));
        assert!(err(r#"[{"name":"a","events":[{"http":{"path":""}}]}]"#).contains("needs a path"));
        assert!(err(r#"[{"name":"","events":[]}]"#).contains("needs a name"));
        assert!(err(r#"[{"name":"a","given":{"kv":{"n":3}}}]"#).contains("at `[0].given.kv.n`"));
    }
}
