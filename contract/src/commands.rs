//! Chat commands routed by the host, as upstream's Owncast routes them: a
//! plugin declares its commands in `register()` ([`CommandInfo`]); every
//! accepted human chat message (after the filters and the ordinary
//! notification) is matched against every loaded plugin's declarations, and
//! each match is delivered to that plugin's `on_event` as `chat.command`
//! ([`command_payload`]). Duplicate declarations all run; a mod-only command
//! a non-moderator sends, a command cooling down and an unknown command are
//! silent. `!help` (or `!commands`) is answered by the host with a list built
//! from the same declarations ([`help_html`]).

use crate::manifest::{ManifestError, ManifestWarning};
use crate::types::{CommandInfo, Registration};
use serde_json::Value;
use std::collections::HashMap;

/// The event a matched command is delivered as. Plugins neither subscribe to
/// it nor emit it, and need no permission to receive it.
pub const CHAT_COMMAND: &str = "chat.command";
/// The prefix of a command that declares none.
pub const DEFAULT_PREFIX: &str = "!";
/// The user scope of moderators (`modOnly` commands, the `!help` listing).
pub const MODERATOR_SCOPE: &str = "MODERATOR";
/// Most commands one plugin may declare (each chat message is matched
/// against every declaration, so the table is bounded).
pub const MAX_COMMANDS: usize = 100;
/// Most cooldown entries one plugin keeps (users times commands); past it
/// the entry that expires first is forgotten.
pub const MAX_COOLDOWNS: usize = 10_000;
/// How often expired cooldowns are swept (upstream's interval).
const SWEEP_EVERY_MS: i64 = 60_000;

/// The commands a registration declares, checked: more than
/// [`MAX_COMMANDS`] is an error naming the field; a declaration that could
/// never match (an empty name or alias, or one with whitespace) is a warning
/// and is left out (upstream keeps it, silently dead). An empty prefix is the
/// default `!`.
pub fn check(reg: &Registration, file: &str) -> Result<(Vec<CommandInfo>, Vec<ManifestWarning>), ManifestError> {
    let declared = reg.commands.as_deref().unwrap_or_default();
    if declared.len() > MAX_COMMANDS {
        return Err(ManifestError {
            file: file.to_string(),
            field: "commands".into(),
            message: format!(
                "register() declares {} chat commands; at most {MAX_COMMANDS} are allowed",
                declared.len()
            ),
        });
    }
    let mut warnings = Vec::new();
    let mut out = Vec::with_capacity(declared.len());
    let unusable = |s: &str| s.is_empty() || s.chars().any(char::is_whitespace);
    for (i, c) in declared.iter().enumerate() {
        let mut warn = |field: String, message: String| {
            warnings.push(ManifestWarning { file: file.to_string(), field, message });
        };
        if unusable(&c.name) {
            warn(
                format!("commands[{i}].name"),
                format!("register(): {:?} can never match a chat message (empty or with whitespace); the command is left out", c.name),
            );
            continue;
        }
        let mut c = c.clone();
        if let Some(aliases) = &mut c.aliases {
            let before = aliases.len();
            aliases.retain(|a| !unusable(a));
            if aliases.len() != before {
                warn(
                    format!("commands[{i}].aliases"),
                    "register(): empty aliases and aliases with whitespace can never match; they are left out".into(),
                );
            }
        }
        if c.prefix.as_deref().is_none_or(str::is_empty) {
            c.prefix = Some(DEFAULT_PREFIX.to_string());
        }
        out.push(c);
    }
    Ok((out, warnings))
}

/// What a chat message says about its sender and text, read from the payload
/// as given (a legacy plugin's payload may carry anything; what is missing
/// or of another type counts as absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatLine {
    pub body: String,
    pub user_id: Option<String>,
    pub client_id: Option<u64>,
    pub moderator: bool,
    pub bot: bool,
    /// The message's `timestamp` (RFC 3339) in milliseconds since the Unix epoch.
    pub at_ms: Option<i64>,
}

impl ChatLine {
    /// `None` when the payload is not an object with a string `body`.
    pub fn read(payload: &Value) -> Option<ChatLine> {
        let body = payload.get("body")?.as_str()?.to_string();
        let user = payload.get("user").and_then(Value::as_object);
        let scopes = user.and_then(|u| u.get("scopes")).and_then(Value::as_array);
        Some(ChatLine {
            body,
            user_id: user
                .and_then(|u| u.get("id"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            client_id: payload.get("clientId").and_then(Value::as_u64).filter(|c| *c != 0),
            moderator: scopes.is_some_and(|s| s.iter().any(|x| x.as_str() == Some(MODERATOR_SCOPE))),
            bot: user.and_then(|u| u.get("isBot")).and_then(Value::as_bool).unwrap_or(false),
            at_ms: payload.get("timestamp").and_then(Value::as_str).and_then(rfc3339_ms),
        })
    }

    /// Whom a cooldown counts against: the user, else the chat connection.
    pub fn cooldown_key(&self) -> String {
        match (&self.user_id, self.client_id) {
            (Some(id), _) => id.clone(),
            (None, Some(c)) => format!("client:{c}"),
            (None, None) => "anonymous".into(),
        }
    }
}

/// One match of a message against a declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The declaration's name (canonical, whatever alias was typed).
    pub command: String,
    /// The name or alias as the sender typed it.
    pub invoked_as: String,
    pub args: Vec<String>,
    /// Everything after the command word, trimmed.
    pub arg_string: String,
}

/// Whether `body` invokes `command`: the prefix, then the name or an alias
/// as the first word (whitespace after the prefix is allowed, as upstream).
pub fn match_command(body: &str, command: &CommandInfo) -> Option<Invocation> {
    let prefix = command.prefix.as_deref().filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PREFIX);
    let rest = body.strip_prefix(prefix)?.trim();
    let invoked_as = rest.split_whitespace().next()?;
    let cased = command.case_sensitive.unwrap_or(false);
    let same = |declared: &str| {
        if cased {
            invoked_as == declared
        } else {
            invoked_as.to_lowercase() == declared.to_lowercase()
        }
    };
    if !same(command.name.as_str()) && !command.aliases.iter().flatten().any(|a| same(a.as_str())) {
        return None;
    }
    let arg_string = rest[invoked_as.len()..].trim().to_string();
    Some(Invocation {
        command: command.name.clone(),
        invoked_as: invoked_as.to_string(),
        args: arg_string.split_whitespace().map(str::to_string).collect(),
        arg_string,
    })
}

/// Whether the sender may run `command` (mod-only commands need the
/// `MODERATOR` scope).
pub fn allowed(line: &ChatLine, command: &CommandInfo) -> bool {
    !command.mod_only.unwrap_or(false) || line.moderator
}

/// The `chat.command` payload `{message, command, invokedAs, args,
/// argString}` as JSON text, with `message` copied from the chat message's
/// payload text as given.
pub fn command_payload(message_json: &str, inv: &Invocation) -> String {
    let s = |v: &str| Value::String(v.to_string()).to_string();
    let args = Value::Array(inv.args.iter().map(|a| Value::String(a.clone())).collect());
    format!(
        r#"{{"message":{message_json},"command":{},"invokedAs":{},"args":{args},"argString":{}}}"#,
        s(&inv.command),
        s(&inv.invoked_as),
        s(&inv.arg_string)
    )
}

/// One plugin's cooldowns: when each (command, user) may run again.
#[derive(Debug, Default)]
pub struct Cooldowns {
    until: HashMap<(String, String), i64>,
    last_sweep: Option<i64>,
}

impl Cooldowns {
    /// Whether `command` may run for `line`'s sender now, and if so starts
    /// its cooldown. A message without a readable timestamp is not limited
    /// (upstream's rule; Owncast always stamps its messages).
    pub fn ready(&mut self, line: &ChatLine, command: &CommandInfo) -> bool {
        let cooldown = command.cooldown_ms.unwrap_or(0).min(i64::MAX as u64) as i64;
        let Some(now) = line.at_ms.filter(|_| cooldown > 0) else { return true };
        if self.last_sweep.is_none_or(|t| now - t >= SWEEP_EVERY_MS) {
            self.until.retain(|_, until| *until > now);
            self.last_sweep = Some(now);
        }
        let key = (command.name.clone(), line.cooldown_key());
        if self.until.get(&key).is_some_and(|until| now < *until) {
            return false;
        }
        if !self.until.contains_key(&key) && self.until.len() >= MAX_COOLDOWNS {
            if let Some(first) = self.until.iter().min_by_key(|(_, u)| **u).map(|(k, _)| k.clone()) {
                self.until.remove(&first);
            }
        }
        self.until.insert(key, now.saturating_add(cooldown));
        true
    }

    pub fn len(&self) -> usize {
        self.until.len()
    }

    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}

/// Whether a message is the built-in help command: `!help` or `!commands`,
/// in any case, surrounding whitespace ignored.
pub fn is_help(body: &str) -> bool {
    let b = body.trim().to_lowercase();
    b == "!help" || b == "!commands"
}

/// The `!help` answer as the HTML of a system message: per plugin (by name),
/// its commands (by name) with their descriptions; mod-only ones only for a
/// moderator, marked. `None` when there is nothing to list (the host stays
/// silent, as upstream).
pub fn help_html<'a>(
    plugins: impl IntoIterator<Item = (&'a str, &'a [CommandInfo])>,
    moderator: bool,
) -> Option<String> {
    let mut plugins: Vec<(&str, &[CommandInfo])> = plugins.into_iter().collect();
    plugins.sort_by(|a, b| a.0.cmp(b.0));
    let esc = |s: &str| {
        s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
    };
    let mut out = String::new();
    for (name, commands) in plugins {
        let mut commands: Vec<&CommandInfo> =
            commands.iter().filter(|c| moderator || !c.mod_only.unwrap_or(false)).collect();
        if commands.is_empty() {
            continue;
        }
        commands.sort_by(|a, b| a.name.cmp(&b.name));
        out.push_str(&format!("<p><strong>{}</strong></p><ul>", esc(name)));
        for c in commands {
            let prefix = c.prefix.as_deref().filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PREFIX);
            out.push_str(&format!("<li><code>{}{}</code>", esc(prefix), esc(&c.name)));
            if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
                out.push_str(&format!(" — {}", esc(d)));
            }
            if c.mod_only.unwrap_or(false) {
                out.push_str(" <em>(mod)</em>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    (!out.is_empty()).then(|| format!("<p>Available chat commands:</p>{out}"))
}

/// An RFC 3339 timestamp (`2024-01-01T00:00:00.5Z`, `…+02:00`) in
/// milliseconds since the Unix epoch.
pub fn rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes().all(|c| c.is_ascii_digit()).then(|| t.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &s[start..i.min(start + 3)];
        ms = frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32);
    }
    let offset_min = match *b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if c == b'+' {
                m
            } else {
                -m
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, mo) = if mo <= 2 { (y - 1, mo + 9) } else { (y, mo - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmd(name: &str) -> CommandInfo {
        CommandInfo { name: name.into(), ..Default::default() }
    }

    #[test]
    fn matching_as_upstream() {
        let ping = CommandInfo { prefix: Some("?".into()), aliases: Some(vec!["p".into()]), ..cmd("ping") };
        let m = match_command("?PING one  two", &ping).unwrap();
        assert_eq!((m.command.as_str(), m.invoked_as.as_str()), ("ping", "PING"));
        assert_eq!((m.args, m.arg_string.as_str()), (vec!["one".to_string(), "two".to_string()], "one  two"));
        assert_eq!(match_command("?p", &ping).unwrap().invoked_as, "p");
        assert_eq!(match_command("? ping x", &ping).unwrap().arg_string, "x", "space after the prefix");
        assert!(match_command("!ping", &ping).is_none(), "other prefix");
        assert!(match_command(" ?ping", &ping).is_none(), "the prefix starts the body");
        assert!(match_command("?pingx", &ping).is_none());
        assert!(match_command("?", &ping).is_none());
        let cased = CommandInfo { case_sensitive: Some(true), ..ping };
        assert!(match_command("?PING", &cased).is_none());
        assert!(match_command("!ping", &cmd("ping")).is_some(), "default prefix");
    }

    #[test]
    fn register_commands_are_checked() {
        let reg = |c: Vec<CommandInfo>| Registration { commands: Some(c), ..Default::default() };
        let (cs, w) = check(&reg(vec![cmd("ok"), cmd("two words"), cmd("")]), "f").unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].prefix.as_deref(), Some("!"));
        assert_eq!(w.iter().map(|w| w.field.as_str()).collect::<Vec<_>>(), ["commands[1].name", "commands[2].name"]);
        let e = check(&reg((0..=MAX_COMMANDS).map(|i| cmd(&format!("c{i}"))).collect()), "f").unwrap_err();
        assert_eq!(e.field, "commands");
        assert!(check(&Registration::default(), "f").unwrap().0.is_empty());
    }

    #[test]
    fn chat_lines_and_moderators() {
        let line = ChatLine::read(&json!({
            "body": "!x", "clientId": 7, "timestamp": "2026-01-01T00:00:00.5Z",
            "user": {"id": "u1", "displayName": "a", "scopes": ["MODERATOR"]}
        }))
        .unwrap();
        assert!(line.moderator && !line.bot);
        assert_eq!(line.cooldown_key(), "u1");
        assert_eq!(line.at_ms, Some(1_767_225_600_500));
        let anon = ChatLine::read(&json!({"body": "!x", "clientId": 7, "user": "a"})).unwrap();
        assert_eq!((anon.cooldown_key(), anon.moderator), ("client:7".to_string(), false));
        assert!(ChatLine::read(&json!({"body": 5})).is_none());
        let announce = CommandInfo { mod_only: Some(true), ..cmd("announce") };
        assert!(allowed(&line, &announce) && !allowed(&anon, &announce));
    }

    #[test]
    fn cooldowns_per_user_and_command() {
        let c = CommandInfo { cooldown_ms: Some(1000), ..cmd("ping") };
        let other = CommandInfo { cooldown_ms: Some(1000), ..cmd("other") };
        let at =
            |user: &str, ts: &str| ChatLine { user_id: Some(user.into()), at_ms: rfc3339_ms(ts), ..Default::default() };
        let mut cd = Cooldowns::default();
        assert!(cd.ready(&at("u1", "2026-01-01T00:00:00Z"), &c));
        assert!(!cd.ready(&at("u1", "2026-01-01T00:00:00.500Z"), &c));
        assert!(cd.ready(&at("u2", "2026-01-01T00:00:00.500Z"), &c), "per user");
        assert!(cd.ready(&at("u1", "2026-01-01T00:00:00.500Z"), &other), "per command");
        assert!(cd.ready(&at("u1", "2026-01-01T00:00:01Z"), &c), "expired");
        assert!(cd.ready(&at("u3", "2026-01-01T00:02:00Z"), &c));
        assert_eq!(cd.len(), 1, "expired entries are swept");
        let forever = CommandInfo { cooldown_ms: Some(u64::MAX), ..cmd("ping") };
        let mut cd = Cooldowns::default();
        assert!(cd.ready(&at("u1", "2026-01-01T00:00:00Z"), &forever));
        assert!(!cd.ready(&at("u1", "2030-01-01T00:00:00Z"), &forever), "no overflow");
        assert!(cd.ready(&ChatLine { user_id: Some("u1".into()), ..Default::default() }, &forever), "no timestamp");
    }

    #[test]
    fn help_lists_by_plugin_and_name_and_hides_mod_only() {
        let a = [CommandInfo { description: Some("Who is <here>".into()), ..cmd("who") }, cmd("uptime")];
        let b = [CommandInfo { mod_only: Some(true), ..cmd("ban") }];
        let all = || vec![("Timer Bot", &b[..]), ("Stream Tracker", &a[..])];
        let viewer = help_html(all(), false).unwrap();
        assert!(
            viewer.starts_with("<p>Available chat commands:</p><p><strong>Stream Tracker</strong></p>"),
            "{viewer}"
        );
        assert!(viewer.find("!uptime").unwrap() < viewer.find("!who").unwrap(), "{viewer}");
        assert!(viewer.contains("Who is &lt;here&gt;") && !viewer.contains("ban") && !viewer.contains("Timer Bot"));
        let moderator = help_html(all(), true).unwrap();
        assert!(moderator.contains("<code>!ban</code> <em>(mod)</em>"), "{moderator}");
        assert_eq!(help_html(vec![("X", &b[..])], false), None);
        assert!(is_help(" !HELP ") && is_help("!commands") && !is_help("!helpme"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(rfc3339_ms("2024-02-29T12:00:00.123456789Z"), Some(1_709_208_000_123));
        for bad in ["", "2024-13-01T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z"] {
            assert_eq!(rfc3339_ms(bad), None, "{bad}");
        }
    }
}
