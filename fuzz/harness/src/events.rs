//! Event payloads as they reach the host from Owncast, a scenario or a
//! plugin's emit (JSON text): the legacy envelope a legacy plugin reads, the
//! typed record a component gets, and a legacy filter's result.

use owncast_plugin_host::event::{Event, Verdict, BUILTIN_EVENTS};
use serde_json::Value;

/// Custom event types besides the built-in ones.
const CUSTOM: &[&str] = &["announcement.broadcast", "x"];

/// The first byte picks the event type (built-in or custom), the rest is the
/// payload text.
pub fn events(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let types: Vec<&str> = BUILTIN_EVENTS.iter().chain(CUSTOM).copied().collect();
    let event_type = types[which as usize % types.len()];

    let e = Event::from_text(event_type, text);
    // The envelope a legacy plugin's on_event/on_filter reads is JSON, and
    // carries the payload the host holds.
    let envelope: Value = serde_json::from_slice(&e.envelope_bytes())
        .unwrap_or_else(|err| panic!("the legacy envelope is not JSON ({err}): {:?}", e.envelope_bytes()));
    let payload = e.payload_json();
    assert_eq!(envelope["eventType"], event_type);
    assert_eq!(envelope["payload"], payload, "the envelope's payload is not the event's");
    assert_eq!(e.to_envelope(), envelope);

    // The typed record a component gets; typed back into an event, it types
    // to the same record.
    match e.typed() {
        Ok(typed) => {
            let back = Event::from(typed.clone());
            assert_eq!(back.event_type(), event_type);
            match back.typed() {
                Ok(again) => assert_eq!(again, typed, "the record changed on a round trip through its JSON"),
                Err(err) => panic!("a record the host built does not type again: {err}"),
            }
            back.envelope_bytes();
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }

    // The same text as a legacy filter's result for this event.
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        if let Ok(Verdict::Modify(m)) = Verdict::from_json(&v, &e) {
            assert_eq!(m.event_type(), event_type);
            m.typed().expect("a modify the host accepted types");
            m.envelope_bytes();
        }
        // An event built from a JSON value, as Owncast hands them over,
        // holds that value's text. (Not the value itself read back: serde_json's
        // default float parser is not correctly rounded, so a number with more
        // digits than an f64 holds can come back one ulp off; found by this
        // target, fuzz/regressions/events/float-digits-beyond-f64.)
        if let Ok(built) = Event::from_json(event_type, v.clone()) {
            assert_eq!(built.payload_text(), v.to_string());
            built.payload_json();
        }
    }
}
