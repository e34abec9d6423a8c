//! Event names and the legacy JSON form of [`Event`] and [`FilterResult`].

use crate::types::{CustomEvent, Event, FilterResult};
use serde_json::{json, Value};

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
];

/// Whether `name` is a built-in event type (plugins may not emit these).
pub fn is_builtin(name: &str) -> bool {
    BUILTIN_EVENTS.contains(&name)
}

/// A payload that does not fit its event type.
#[derive(Debug, thiserror::Error)]
#[error("payload of event `{event_type}` is not valid: {source}")]
pub struct PayloadError {
    pub event_type: String,
    #[source]
    pub source: serde_json::Error,
}

impl Event {
    /// The event type, e.g. `chat.message.received`, or a custom event's name.
    pub fn event_type(&self) -> &str {
        match self {
            Event::ChatMessageReceived(_) => BUILTIN_EVENTS[0],
            Event::ChatUserJoined(_) => BUILTIN_EVENTS[1],
            Event::ChatUserParted(_) => BUILTIN_EVENTS[2],
            Event::ChatUserRenamed(_) => BUILTIN_EVENTS[3],
            Event::ChatMessageModerated(_) => BUILTIN_EVENTS[4],
            Event::StreamStarted(_) => BUILTIN_EVENTS[5],
            Event::StreamStopped(_) => BUILTIN_EVENTS[6],
            Event::StreamTitleChanged(_) => BUILTIN_EVENTS[7],
            Event::SseConnect(_) => BUILTIN_EVENTS[8],
            Event::SseDisconnect(_) => BUILTIN_EVENTS[9],
            Event::FediverseFollow(_) => BUILTIN_EVENTS[10],
            Event::FediverseLike(_) => BUILTIN_EVENTS[11],
            Event::FediverseRepost(_) => BUILTIN_EVENTS[12],
            Event::FediverseMention(_) => BUILTIN_EVENTS[13],
            Event::FediverseReply(_) => BUILTIN_EVENTS[14],
            Event::Custom(c) => &c.event_type,
        }
    }

    /// Builds an event from its type name and JSON payload. Unknown names are
    /// custom events; missing fields of built-in payloads take their defaults.
    pub fn from_json(event_type: &str, payload: Value) -> Result<Event, PayloadError> {
        fn parse<T: serde::de::DeserializeOwned>(t: &str, v: Value) -> Result<T, PayloadError> {
            let v = if v.is_null() { json!({}) } else { v };
            serde_json::from_value(v).map_err(|source| PayloadError { event_type: t.to_string(), source })
        }
        let t = event_type;
        Ok(match t {
            "chat.message.received" => Event::ChatMessageReceived(parse(t, payload)?),
            "chat.user.joined" => Event::ChatUserJoined(parse(t, payload)?),
            "chat.user.parted" => Event::ChatUserParted(parse(t, payload)?),
            "chat.user.renamed" => Event::ChatUserRenamed(parse(t, payload)?),
            "chat.message.moderated" => Event::ChatMessageModerated(parse(t, payload)?),
            "stream.started" => Event::StreamStarted(parse(t, payload)?),
            "stream.stopped" => Event::StreamStopped(parse(t, payload)?),
            "stream.title.changed" => Event::StreamTitleChanged(parse(t, payload)?),
            "sse.connect" => Event::SseConnect(parse(t, payload)?),
            "sse.disconnect" => Event::SseDisconnect(parse(t, payload)?),
            "fediverse.follow" => Event::FediverseFollow(parse(t, payload)?),
            "fediverse.like" => Event::FediverseLike(parse(t, payload)?),
            "fediverse.repost" => Event::FediverseRepost(parse(t, payload)?),
            "fediverse.mention" => Event::FediverseMention(parse(t, payload)?),
            "fediverse.reply" => Event::FediverseReply(parse(t, payload)?),
            _ => Event::Custom(CustomEvent { event_type: t.to_string(), payload_json: payload.to_string() }),
        })
    }

    /// The payload as JSON (a custom event's payload text parsed; text that is
    /// not JSON becomes a JSON string).
    pub fn payload_json(&self) -> Value {
        let mut out = Vec::with_capacity(256);
        self.write_payload(&mut out);
        serde_json::from_slice(&out).expect("payloads are JSON")
    }

    /// Writes the payload's JSON straight from the record.
    fn write_payload(&self, out: &mut Vec<u8>) {
        fn w<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, t: &T) {
            serde_json::to_writer(out, t).expect("event payloads serialize")
        }
        match self {
            Event::ChatMessageReceived(p) => w(out, p),
            Event::ChatUserJoined(p) | Event::ChatUserParted(p) => w(out, p),
            Event::ChatUserRenamed(p) => w(out, p),
            Event::ChatMessageModerated(p) => w(out, p),
            Event::StreamStarted(p) | Event::StreamStopped(p) => w(out, p),
            Event::StreamTitleChanged(p) => w(out, p),
            Event::SseConnect(p) | Event::SseDisconnect(p) => w(out, p),
            Event::FediverseFollow(p)
            | Event::FediverseLike(p)
            | Event::FediverseRepost(p)
            | Event::FediverseMention(p)
            | Event::FediverseReply(p) => w(out, p),
            Event::Custom(c) => {
                if serde_json::from_str::<serde::de::IgnoredAny>(&c.payload_json).is_ok() {
                    out.extend_from_slice(c.payload_json.as_bytes());
                } else {
                    w(out, &c.payload_json);
                }
            }
        }
    }

    /// The legacy envelope `{eventType, payload}`.
    pub fn to_envelope(&self) -> Value {
        serde_json::from_slice(&self.envelope_bytes()).expect("envelopes are JSON")
    }

    /// The legacy envelope as JSON bytes, written straight from the record
    /// (no intermediate `Value`): what a legacy plugin's `on_event` and
    /// `on_filter` read from their input.
    pub fn envelope_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"eventType\":");
        serde_json::to_writer(&mut out, self.event_type()).expect("strings serialize");
        out.extend_from_slice(b",\"payload\":");
        self.write_payload(&mut out);
        out.push(b'}');
        out
    }

    /// Replaces the payload, keeping the event type (a filter's `modify`).
    pub fn with_payload(&self, payload: Value) -> Result<Event, PayloadError> {
        Event::from_json(self.event_type(), payload)
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

impl FilterResult {
    /// Reads a legacy filter result for `input` (a `modify` payload keeps the
    /// input's event type).
    pub fn from_json(value: &Value, input: &Event) -> Result<FilterResult, FilterJsonError> {
        let obj = value.as_object().ok_or(FilterJsonError::NotAnObject)?;
        let action = obj.get("action").and_then(Value::as_str).ok_or(FilterJsonError::NotAnObject)?;
        match action {
            "pass" => Ok(FilterResult::Pass),
            "drop" => Ok(FilterResult::Drop(
                obj.get("reason").and_then(Value::as_str).unwrap_or_default().to_string(),
            )),
            "modify" => {
                let payload = obj.get("payload").ok_or(FilterJsonError::MissingPayload)?;
                Ok(FilterResult::Modify(input.with_payload(payload.clone())?))
            }
            other => Err(FilterJsonError::UnknownAction(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn chat_message_round_trips_with_defaults() {
        let e = Event::from_json(
            "chat.message.received",
            json!({"user": {"id": "u1", "displayName": "alice"}, "body": "hi"}),
        )
        .unwrap();
        let Event::ChatMessageReceived(m) = &e else { panic!() };
        assert_eq!(m.user.display_name, "alice");
        assert_eq!(e.to_envelope()["payload"]["user"]["displayName"], "alice");
        assert_eq!(e.event_type(), "chat.message.received");
    }

    #[test]
    fn envelope_bytes_match_the_envelope() {
        let events = [
            Event::from_json("chat.message.received", json!({"user": {"id": "u1", "displayName": "a\"b"}, "body": "hi ✓"})).unwrap(),
            Event::from_json("fediverse.like", json!({"actor": {"name": "n"}})).unwrap(),
            Event::from_json("announcement.broadcast", json!({"by": "a", "text": [1, 2]})).unwrap(),
            Event::Custom(CustomEvent { event_type: "x".into(), payload_json: "not json".into() }),
        ];
        for e in events {
            let bytes: Value = serde_json::from_slice(&e.envelope_bytes()).unwrap();
            assert_eq!(bytes, json!({"eventType": e.event_type(), "payload": e.payload_json()}));
        }
    }

    #[test]
    fn custom_events_keep_their_json() {
        let e = Event::from_json("announcement.broadcast", json!({"by": "a", "text": "t"})).unwrap();
        assert_eq!(e.payload_json(), json!({"by": "a", "text": "t"}));
    }

    #[test]
    fn filter_results_parse_and_name_bad_actions() {
        let input = Event::from_json("chat.message.received", json!({"body": "x"})).unwrap();
        let r = FilterResult::from_json(&json!({"action": "modify", "payload": {"body": "y"}}), &input).unwrap();
        let FilterResult::Modify(Event::ChatMessageReceived(m)) = r else { panic!() };
        assert_eq!(m.body, "y");
        let err = FilterResult::from_json(&json!({"action": "explode"}), &input).unwrap_err();
        assert!(err.to_string().contains("explode"));
    }

    #[test]
    fn wrong_payload_types_name_the_event() {
        let err = Event::from_json("chat.message.received", json!({"body": 5})).unwrap_err();
        assert!(err.to_string().contains("chat.message.received"), "{err}");
    }
}
