//! `events` — permission `events.emit`; legacy `owncast_emit_event`.
//!
//! An emitted event is queued on the call ([`CallScope`](crate::context::CallScope))
//! and fanned out by the dispatcher once the emitting call returns, one level deeper.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::events as wit;
use crate::context::HostCallError;
use crate::event::{self, Event};

/// Largest payload of one emitted event.
pub const MAX_EMIT_BYTES: usize = 256 * 1024;

impl PluginView<'_> {
    pub fn emit_event(&mut self, event_type: &str, payload_json: &str) -> Result<(), HostCallError> {
        if event_type.is_empty() || event_type.len() > 128 {
            return Err(self.failed("events.emit", "the event type must be 1-128 characters"));
        }
        if event::is_builtin(event_type) {
            return Err(self.failed(
                "events.emit",
                format!("`{event_type}` is a built-in event; plugins emit custom events only"),
            ));
        }
        if event_type == crate::commands::CHAT_COMMAND {
            return Err(self.failed(
                "events.emit",
                format!(
                    "`{event_type}` is delivered by the host to the commands a plugin declares; plugins cannot emit it"
                ),
            ));
        }
        if event_type == super::timer::TIMER_FIRE || event_type == super::timer::TICK {
            return Err(self.failed(
                "events.emit",
                format!("`{event_type}` is delivered by the host's timers; plugins cannot emit it"),
            ));
        }
        if payload_json.len() > MAX_EMIT_BYTES {
            return Err(self.failed(
                "events.emit",
                format!("payload is {} bytes; the limit is {MAX_EMIT_BYTES}", payload_json.len()),
            ));
        }
        if let Err(e) = serde_json::from_str::<serde_json::Value>(payload_json) {
            return Err(self.failed("events.emit", format!("payload is not JSON: {e}")));
        }
        if !self.call.queue_emit(Event::from_text(event_type, payload_json)) {
            return Err(self.failed(
                "events.emit",
                format!("more than {} events in one call", crate::context::MAX_EMITS_PER_CALL),
            ));
        }
        Ok(())
    }
}

impl wit::Host for PluginView<'_> {
    fn emit(&mut self, event_type: String, payload_json: String) -> wasmtime::Result<()> {
        self.emit_event(&event_type, &payload_json).map_err(trap)
    }
}

crate::legacy! {
    "owncast_emit_event"(P, P) -> Unit = |c, a| {
        let payload = if a.is_none(1) { "null".to_string() } else { a.str(1) };
        c.emit_event(&a.str(0), &payload).map(|_| Out::Unit)
    };
}

#[cfg(test)]
mod emit_cap_tests {
    use crate::capabilities::PluginView;
    use crate::context::{CallScope, HostServices, PluginContext, MAX_EMITS_PER_CALL};
    use crate::kv::{KvStore, MemoryStore};
    use crate::manifest::Manifest;
    use crate::runtime::Limits;
    use owncast_plugin_testing::{CannedOutbound, SimulatedOwncast};
    use std::sync::Arc;

    #[test]
    fn one_call_emits_at_most_the_cap() {
        let kv: Arc<dyn KvStore> = Arc::new(MemoryStore::default());
        let sessions = Arc::new(crate::services::auth_gate::SessionKeys::load(&*kv).unwrap());
        let services = Arc::new(HostServices::new(
            Arc::new(SimulatedOwncast::demo()),
            kv,
            Arc::new(CannedOutbound::new(Vec::new())),
            sessions,
            std::env::temp_dir(),
            Limits::default(),
        ));
        let m =
            serde_json::json!({"name": "Storm", "slug": "storm", "version": "1.0.0", "permissions": ["events.emit"]});
        let m = Arc::new(Manifest::parse(&serde_json::to_vec(&m).unwrap(), "storm/plugin.manifest.json").unwrap());
        let ctx = PluginContext::new(m.clone(), m.permissions.clone(), services);
        let mut call = CallScope::default();
        let mut view = PluginView { ctx: &ctx, call: &mut call };
        for i in 0..MAX_EMITS_PER_CALL {
            view.emit_event("storm.tick", &format!("{{\"i\":{i}}}")).unwrap();
        }
        let e = view.emit_event("storm.tick", "{}").unwrap_err().to_string();
        assert!(e.contains("storm") && e.contains("more than 1000 events in one call"), "{e}");
        assert_eq!(call.take_emitted().len(), MAX_EMITS_PER_CALL);
        // The next call starts with an empty queue.
        let mut next = CallScope::default();
        PluginView { ctx: &ctx, call: &mut next }.emit_event("storm.tick", "{}").unwrap();
    }
}
