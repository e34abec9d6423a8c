//! Event names and the legacy JSON form of [`Event`] and [`FilterResult`].

use crate::types::{self, CustomEvent};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// The built-in event types, in the order of the WIT `event` variant.
pub const BUILTIN_EVENTS: &[&str] = &[
    "chat.message.received",
    "chat.user.joined",
    "chat.user.parted",
    "chat.user.renamed",
    "chat.message.moderated",
    "stream.started",
    "stream.stopped",
    "stream.title.changed",
    "sse.connect",
    "sse.disconnect",
    "fediverse.follow",
    "fediverse.like",
    "fediverse.repost",
    "fediverse.mention",
    "fediverse.reply",
    "fediverse.quote",
];

/// Owncast's events without a WIT record of their own: components get them
/// as `custom` (`fediverse.activity` is the verified inbound activity, a raw
/// JSON object).
pub const RECORDLESS_EVENTS: &[&str] = &["fediverse.activity"];

/// The JS SDK's `definePlugin` handlers of the built-in events whose
/// notification handler is not `on` + the event type in PascalCase
/// (`stream.started` is `onStreamStarted`), and those it filters: `(event
/// type, notification handler, filter handler)`. The compat-extism
/// declarations test checks them against sdks/js/index.js.
pub const JS_HANDLERS: &[(&str, &str, Option<&str>)] = &[
    ("chat.message.received", "onChatMessage", Some("filterChatMessage")),
    ("chat.message.moderated", "onMessageModerated", None),
];

/// The JS SDK's notification handler of built-in event `event` (see [`JS_HANDLERS`]).
pub fn js_handler(event: &str) -> String {
    match JS_HANDLERS.iter().find(|(e, _, _)| *e == event) {
        Some((_, handler, _)) => handler.to_string(),
        None => format!("on{}", crate::contract::pascal(&event.replace('.', "-"))),
    }
}

/// The JS SDK's filter handler of built-in event `event`, if it has one.
pub fn js_filter_handler(event: &str) -> Option<&'static str> {
    JS_HANDLERS.iter().find(|(e, _, _)| *e == event).and_then(|(_, _, f)| *f)
}

/// Whether `name` is one of Owncast's events (plugins may not emit these).
pub fn is_builtin(name: &str) -> bool {
    BUILTIN_EVENTS.contains(&name) || RECORDLESS_EVENTS.contains(&name)
}

/// A payload that does not fit the record its event type needs: names the
/// event, the field (a JSON path) and what was expected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("payload of event `{event_type}` does not fit its record: at `{path}`: {message}")]
pub struct PayloadError {
    pub event_type: String,
    /// The field, e.g. `user.displayName`; `.` for the payload itself.
    pub path: String,
    /// serde's account of the mismatch, e.g. `invalid type: integer `5`, expected a string`.
    pub message: String,
}

/// An event as it travels through the host: its type and its payload exactly
/// as Owncast, a scenario or the emitting plugin gave it (every field kept,
/// unknown ones included). Legacy plugins get the payload as given; a
/// component gets the typed WIT record, parsed when it needs it
/// ([`Event::typed`]).
#[derive(Debug, Clone)]
pub struct Event {
    event_type: Arc<str>,
    /// The payload's JSON text; for an event built from a typed record
    /// (a component's `modify`), written when first asked for.
    payload: Arc<OnceLock<Arc<str>>>,
    /// The typed record, parsed at most once for all the components a
    /// chain or fan-out hands this event (and its clones) to.
    typed: Arc<OnceLock<Result<types::Event, PayloadError>>>,
}

/// Events are equal when their type and payload text are.
impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.event_type == other.event_type && self.payload_text() == other.payload_text()
    }
}

impl Event {
    fn with_text(event_type: Arc<str>, payload: Arc<str>) -> Event {
        Event { event_type, payload: Arc::new(OnceLock::from(payload)), typed: Arc::default() }
    }

    /// An event with `payload` as given.
    pub fn new(event_type: &str, payload: &Value) -> Event {
        Event::with_text(event_type.into(), payload.to_string().into())
    }

    /// An event whose payload is JSON text, kept byte for byte; text that is
    /// not JSON becomes a JSON string. "JSON" is what serde_json reads back
    /// into a value: the syntax alone is not enough (a number out of range
    /// such as `1e999`, or a `\udc00` without its pair, passes a syntax
    /// check, but [`payload_json`](Self::payload_json) and every parser of
    /// the legacy envelope would then fail on it).
    pub fn from_text(event_type: &str, payload: &str) -> Event {
        let payload: Arc<str> = if serde_json::from_str::<Value>(payload).is_ok() {
            payload.into()
        } else {
            Value::String(payload.to_string()).to_string().into()
        };
        Event::with_text(event_type.into(), payload)
    }

    /// [`Event::new`], checking that a built-in event's payload fits its record.
    pub fn from_json(event_type: &str, payload: Value) -> Result<Event, PayloadError> {
        let e = Event::new(event_type, &payload);
        e.typed()?;
        Ok(e)
    }

    /// The event type, e.g. `chat.message.received`, or a custom event's name.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// Whether this is one of Owncast's own events.
    pub fn is_builtin(&self) -> bool {
        is_builtin(&self.event_type)
    }

    /// The payload's JSON text, as given.
    pub fn payload_text(&self) -> &str {
        self.payload.get_or_init(|| match self.typed.get() {
            Some(Ok(e)) => typed_payload_text(e),
            _ => unreachable!("an event has its payload text or its typed record"),
        })
    }

    /// The payload as JSON.
    pub fn payload_json(&self) -> Value {
        serde_json::from_str(self.payload_text()).expect("payloads are JSON")
    }

    /// The legacy envelope `{eventType, payload}`.
    pub fn to_envelope(&self) -> Value {
        serde_json::from_slice(&self.envelope_bytes()).expect("envelopes are JSON")
    }

    /// The legacy envelope as JSON bytes, the payload copied as given: what a
    /// legacy plugin's `on_event` and `on_filter` read from their input.
    pub fn envelope_bytes(&self) -> Vec<u8> {
        let payload = self.payload_text();
        let mut out = Vec::with_capacity(payload.len() + self.event_type.len() + 32);
        out.extend_from_slice(b"{\"eventType\":");
        serde_json::to_writer(&mut out, &*self.event_type).expect("strings serialize");
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(payload.as_bytes());
        out.push(b'}');
        out
    }

    /// Replaces the payload, keeping the event type (a filter's `modify`).
    pub fn with_payload(&self, payload: &Value) -> Event {
        Event::new(&self.event_type, payload)
    }

    /// The WIT record a component receives. A built-in event whose payload
    /// does not fit its record is an error naming the event, the field and
    /// the expected type; fields the record does not have are ignored, and
    /// fields it has that are missing take their defaults.
    pub fn typed(&self) -> Result<types::Event, PayloadError> {
        self.typed_ref().cloned()
    }

    /// [`Event::typed`] without a copy: parsed on first use, then kept.
    pub fn typed_ref(&self) -> Result<&types::Event, PayloadError> {
        self.typed.get_or_init(|| self.parse_typed()).as_ref().map_err(Clone::clone)
    }

    fn parse_typed(&self) -> Result<types::Event, PayloadError> {
        fn parse<T: serde::de::DeserializeOwned>(t: &str, text: &str) -> Result<T, PayloadError> {
            let text = if text.trim() == "null" { "{}" } else { text };
            // Plain serde first (most payloads fit); the path-tracking
            // deserializer, which costs on every field, only to say where
            // one does not.
            if let Ok(v) = serde_json::from_str(text) {
                return Ok(v);
            }
            let de = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| PayloadError {
                event_type: t.to_string(),
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })
        }
        let (t, p) = (&*self.event_type, self.payload_text());
        Ok(match t {
            "chat.message.received" => types::Event::ChatMessageReceived(parse(t, p)?),
            "chat.user.joined" => types::Event::ChatUserJoined(parse(t, p)?),
            "chat.user.parted" => types::Event::ChatUserParted(parse(t, p)?),
            "chat.user.renamed" => types::Event::ChatUserRenamed(parse(t, p)?),
            "chat.message.moderated" => types::Event::ChatMessageModerated(parse(t, p)?),
            "stream.started" => types::Event::StreamStarted(parse(t, p)?),
            "stream.stopped" => types::Event::StreamStopped(parse(t, p)?),
            "stream.title.changed" => types::Event::StreamTitleChanged(parse(t, p)?),
            "sse.connect" => types::Event::SseConnect(parse(t, p)?),
            "sse.disconnect" => types::Event::SseDisconnect(parse(t, p)?),
            "fediverse.follow" => types::Event::FediverseFollow(parse(t, p)?),
            "fediverse.like" => types::Event::FediverseLike(parse(t, p)?),
            "fediverse.repost" => types::Event::FediverseRepost(parse(t, p)?),
            "fediverse.mention" => types::Event::FediverseMention(parse(t, p)?),
            "fediverse.reply" => types::Event::FediverseReply(parse(t, p)?),
            "fediverse.quote" => types::Event::FediverseQuote(parse(t, p)?),
            _ => types::Event::Custom(CustomEvent { event_type: t.to_string(), payload_json: p.to_string() }),
        })
    }
}

impl From<types::Event> for Event {
    /// A typed event (from a component's `modify`, or built by the host):
    /// kept typed; its JSON text is written when first asked for.
    fn from(e: types::Event) -> Event {
        if let types::Event::Custom(c) = &e {
            return Event::from_text(&c.event_type, &c.payload_json);
        }
        Event { event_type: wit_event_type(&e).into(), payload: Arc::default(), typed: Arc::new(OnceLock::from(Ok(e))) }
    }
}

/// The JSON text of a built-in event's record.
fn typed_payload_text(e: &types::Event) -> Arc<str> {
    fn text<T: serde::Serialize>(t: &T) -> Arc<str> {
        serde_json::to_string(t).expect("event payloads serialize").into()
    }
    match e {
        types::Event::ChatMessageReceived(p) => text(p),
        types::Event::ChatUserJoined(p) | types::Event::ChatUserParted(p) => text(p),
        types::Event::ChatUserRenamed(p) => text(p),
        types::Event::ChatMessageModerated(p) => text(p),
        types::Event::StreamStarted(p) | types::Event::StreamStopped(p) => text(p),
        types::Event::StreamTitleChanged(p) => text(p),
        types::Event::SseConnect(p) | types::Event::SseDisconnect(p) => text(p),
        types::Event::FediverseFollow(p) | types::Event::FediverseLike(p) | types::Event::FediverseRepost(p) => text(p),
        types::Event::FediverseMention(p) | types::Event::FediverseReply(p) => text(p),
        types::Event::FediverseQuote(p) => text(p),
        types::Event::Custom(c) => c.payload_json.as_str().into(),
    }
}

/// The event type of a WIT event.
pub fn wit_event_type(e: &types::Event) -> &str {
    match e {
        types::Event::ChatMessageReceived(_) => BUILTIN_EVENTS[0],
        types::Event::ChatUserJoined(_) => BUILTIN_EVENTS[1],
        types::Event::ChatUserParted(_) => BUILTIN_EVENTS[2],
        types::Event::ChatUserRenamed(_) => BUILTIN_EVENTS[3],
        types::Event::ChatMessageModerated(_) => BUILTIN_EVENTS[4],
        types::Event::StreamStarted(_) => BUILTIN_EVENTS[5],
        types::Event::StreamStopped(_) => BUILTIN_EVENTS[6],
        types::Event::StreamTitleChanged(_) => BUILTIN_EVENTS[7],
        types::Event::SseConnect(_) => BUILTIN_EVENTS[8],
        types::Event::SseDisconnect(_) => BUILTIN_EVENTS[9],
        types::Event::FediverseFollow(_) => BUILTIN_EVENTS[10],
        types::Event::FediverseLike(_) => BUILTIN_EVENTS[11],
        types::Event::FediverseRepost(_) => BUILTIN_EVENTS[12],
        types::Event::FediverseMention(_) => BUILTIN_EVENTS[13],
        types::Event::FediverseReply(_) => BUILTIN_EVENTS[14],
        types::Event::FediverseQuote(_) => BUILTIN_EVENTS[15],
        types::Event::Custom(c) => &c.event_type,
    }
}

/// What a filter decided, at the host: the WIT `filter-result` with the
/// modified event as given (a legacy filter's payload is kept whole).
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    Modify(Event),
    Drop(String),
}

impl From<types::FilterResult> for Verdict {
    fn from(r: types::FilterResult) -> Verdict {
        match r {
            types::FilterResult::Pass => Verdict::Pass,
            types::FilterResult::Modify(e) => Verdict::Modify(e.into()),
            types::FilterResult::Drop(reason) => Verdict::Drop(reason),
        }
    }
}

/// A filter result that is not `{action: "pass"|"modify"|"drop", payload?, reason?}`.
#[derive(Debug, thiserror::Error)]
pub enum FilterJsonError {
    #[error("filter result is not a JSON object with `action`")]
    NotAnObject,
    #[error("filter result has unknown action `{0}` (expected pass, modify or drop)")]
    UnknownAction(String),
    #[error("filter result `modify` has no `payload`")]
    MissingPayload,
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

impl Verdict {
    /// Reads a legacy filter result for `input`. A `modify` payload keeps the
    /// input's event type and is kept as given; for a built-in event it must
    /// still fit the event's record (Owncast applies it).
    pub fn from_json(value: &Value, input: &Event) -> Result<Verdict, FilterJsonError> {
        let obj = value.as_object().ok_or(FilterJsonError::NotAnObject)?;
        let action = obj.get("action").and_then(Value::as_str).ok_or(FilterJsonError::NotAnObject)?;
        match action {
            "pass" => Ok(Verdict::Pass),
            "drop" => Ok(Verdict::Drop(obj.get("reason").and_then(Value::as_str).unwrap_or_default().to_string())),
            "modify" => {
                let payload = obj.get("payload").ok_or(FilterJsonError::MissingPayload)?;
                let modified = input.with_payload(payload);
                modified.typed_ref()?;
                Ok(Verdict::Modify(modified))
            }
            other => Err(FilterJsonError::UnknownAction(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_typed_record_is_parsed_once_and_a_typed_event_written_only_when_asked() {
        let e = Event::new("chat.message.received", &json!({"id": "m1", "body": "hi", "user": {"id": "u1"}}));
        let first = e.typed_ref().unwrap() as *const types::Event;
        let clone = e.clone();
        assert_eq!(clone.typed_ref().unwrap() as *const types::Event, first, "parsed once, shared by clones");

        let typed = e.typed().unwrap();
        let back = Event::from(typed.clone());
        assert!(back.payload.get().is_none(), "not written yet");
        assert_eq!(back.typed_ref().unwrap(), &typed);
        assert_eq!(back.payload_json()["body"], "hi");
        assert_eq!(back, Event::from_text("chat.message.received", back.payload_text()));
        let bad = Event::new("chat.message.received", &json!({"body": 5}));
        assert!(bad.typed_ref().is_err() && bad.typed().is_err(), "a payload that does not fit stays an error");
    }

    #[test]
    fn builtin_names_are_variant_case_names() {
        // The WIT case name with '-' for '.' is the event type.
        let wit = include_str!("../../wit/types.wit");
        let body = wit.split("variant event {").nth(1).unwrap().split('}').next().unwrap();
        let cases: Vec<String> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .map(|l| l.split('(').next().unwrap().replace('-', "."))
            .filter(|c| c != "custom")
            .collect();
        assert_eq!(cases, BUILTIN_EVENTS);
    }

    #[test]
    fn fediverse_quotes_are_typed_and_raw_activities_come_as_custom() {
        let quote = json!({"actor": {"name": "A", "handle": "@a@x.example"}, "target": {"url": "https://me/p/1"},
                           "url": "https://x.example/q/9", "contentText": "so true", "extra": 1});
        let Ok(types::Event::FediverseQuote(q)) = Event::new("fediverse.quote", &quote).typed() else { panic!() };
        assert_eq!((q.target.url.as_str(), q.url.as_str()), ("https://me/p/1", "https://x.example/q/9"));
        assert_eq!((q.content_text.as_deref(), q.content.as_deref()), (Some("so true"), None));
        let e = Event::new("fediverse.quote", &json!({"url": 5})).typed().unwrap_err();
        assert!(e.to_string().contains("fediverse.quote"), "{e}");

        let activity = json!({"type": "Announce", "actor": "https://x.example/u/a", "object": {"id": 7}});
        let Ok(types::Event::Custom(c)) = Event::new("fediverse.activity", &activity).typed() else { panic!() };
        assert_eq!(c.event_type, "fediverse.activity");
        assert_eq!(serde_json::from_str::<Value>(&c.payload_json).unwrap(), activity);
        assert!(is_builtin("fediverse.activity") && is_builtin("fediverse.quote"), "plugins cannot emit them");
    }

    #[test]
    fn chat_message_types_with_defaults() {
        let e = Event::from_json(
            "chat.message.received",
            json!({"user": {"id": "u1", "displayName": "alice"}, "body": "hi"}),
        )
        .unwrap();
        let types::Event::ChatMessageReceived(m) = e.typed().unwrap() else { panic!() };
        assert_eq!((m.user.unwrap().display_name.as_str(), m.body.as_str(), m.id.as_str()), ("alice", "hi", ""));
        assert_eq!(e.to_envelope()["payload"]["user"]["displayName"], "alice");
        assert_eq!(e.event_type(), "chat.message.received");
    }

    #[test]
    fn the_envelope_carries_the_payload_as_given() {
        // Unknown fields, odd spacing and key order: all reach a legacy plugin unchanged.
        let text = r#"{"user":{"id":"u1","displayName":"alice"}, "cmd":{"repeat":3},"body":"hi","zz":[1,2]}"#;
        let e = Event::from_text("chat.message.received", text);
        let bytes = e.envelope_bytes();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            format!(r#"{{"eventType":"chat.message.received","payload":{text}}}"#)
        );
        // A component still gets its record.
        let types::Event::ChatMessageReceived(m) = e.typed().unwrap() else { panic!() };
        assert_eq!(m.body, "hi");
        // A typed event round-trips through the envelope.
        let back = Event::from(types::Event::ChatMessageReceived(m.clone()));
        assert_eq!(back.typed().unwrap(), types::Event::ChatMessageReceived(m));
        // Custom events keep their JSON; text that is not JSON becomes a string.
        assert_eq!(Event::from_text("x.y", "not json").payload_json(), json!("not json"));
        assert_eq!(Event::new("announcement.broadcast", &json!({"by": "a"})).payload_json(), json!({"by": "a"}));
    }

    #[test]
    fn payload_text_that_only_looks_like_json_becomes_a_string() {
        // Found by the `events` fuzz target (fuzz/regressions/events): these
        // passed a syntax check, then `payload_json`, `to_envelope` and every
        // legacy plugin's parse of the envelope failed on them.
        for text in [r#"{"body": "hey \udc4b"}"#, "1e999", r#"[1, -1e400]"#] {
            let e = Event::from_text("x.y", text);
            assert_eq!(e.payload_json(), json!(text), "{text}");
            let envelope: Value = serde_json::from_slice(&e.envelope_bytes()).unwrap();
            assert_eq!(envelope["payload"], json!(text));
        }
        // A surrogate pair is fine and kept as given.
        let pair = r#"{"body":"\ud83d\udc4b"}"#;
        assert_eq!(Event::from_text("x.y", pair).payload_text(), pair);
    }

    #[test]
    fn filter_results_parse_and_name_bad_actions() {
        let input = Event::from_json("chat.message.received", json!({"body": "x"})).unwrap();
        let r =
            Verdict::from_json(&json!({"action": "modify", "payload": {"body": "y", "extra": true}}), &input).unwrap();
        let Verdict::Modify(e) = r else { panic!() };
        assert_eq!(e.payload_json(), json!({"body": "y", "extra": true}));
        let err = Verdict::from_json(&json!({"action": "explode"}), &input).unwrap_err();
        assert!(err.to_string().contains("explode"));
        let err = Verdict::from_json(&json!({"action": "modify", "payload": {"body": 5}}), &input).unwrap_err();
        assert!(err.to_string().contains("`body`"), "{err}");
    }

    #[test]
    fn wrong_payload_types_name_the_event_the_field_and_the_expected_type() {
        // A legacy plugin would get this as given; a component needs the record.
        let e = Event::new("chat.user.renamed", &json!({"user": {"id": "u1", "displayName": 7}, "previousName": "a"}));
        let err = e.typed().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("chat.user.renamed")
                && text.contains("user.displayName")
                && text.contains("expected a string"),
            "{text}"
        );
        assert!(Event::from_json("chat.message.received", json!({"body": 5})).is_err());
    }
}
