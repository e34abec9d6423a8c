//! `events` — permission `events.emit`; legacy `owncast_emit_event`.
//!
//! An emitted event is queued on the context and fanned out by the
//! dispatcher once the emitting call returns, one level deeper.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::events as wit;
use crate::context::{HostCallError, PluginContext};
use crate::event::{self, Event};
use crate::permissions::Permission;

/// Largest payload of one emitted event.
pub const MAX_EMIT_BYTES: usize = 256 * 1024;

impl PluginContext {
    pub fn emit(&self, event_type: &str, payload_json: &str) -> Result<(), HostCallError> {
        self.require(Permission::EventsEmit, "events.emit")?;
        if event_type.is_empty() || event_type.len() > 128 {
            return Err(self.failed("events.emit", "the event type must be 1-128 characters"));
        }
        if event::is_builtin(event_type) {
            return Err(self.failed(
                "events.emit",
                format!("`{event_type}` is a built-in event; plugins emit custom events only"),
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
        self.queue_emit(Event::from_text(event_type, payload_json));
        Ok(())
    }
}

impl wit::Host for PluginView<'_> {
    fn emit(&mut self, event_type: String, payload_json: String) -> wasmtime::Result<()> {
        self.ctx.emit(&event_type, &payload_json).map_err(trap)
    }
}
