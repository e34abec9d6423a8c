//! The capability side of [`crate::services::timer`] (see there).

use super::PluginView;
use crate::bindings::owncast::plugin::timer as wit;
use crate::context::PluginContext;
pub use crate::services::timer::*;

impl PluginContext {
    /// Arms a timer; `false` when the plugin is at its cap.
    pub fn timer_set(&self, id: u64, delay_ms: u64, repeat: bool) -> bool {
        let ok = self.services().timers.set(self.slug(), id, delay_ms, repeat);
        if !ok {
            tracing::warn!(plugin = %self.slug(), id, "timer refused: {} timers pending", self.services().timers.max_per_plugin);
        }
        ok
    }
    pub fn timer_clear(&self, id: u64) {
        self.services().timers.clear(self.slug(), id)
    }
}

impl wit::Host for PluginView<'_> {
    fn set(&mut self, id: u64, delay_ms: u64, repeat: bool) -> wasmtime::Result<bool> {
        Ok(self.ctx.timer_set(id, delay_ms, repeat))
    }
    fn clear(&mut self, id: u64) -> wasmtime::Result<()> {
        self.ctx.timer_clear(id);
        Ok(())
    }
}

crate::legacy! {
    "owncast_timer_set"(I, I, I) -> I64 = |c, a| Ok(Out::Int(c.timer_set(a.int(0) as u64, a.int(1) as u64, a.int(2) == 1) as i64));
    "owncast_timer_clear"(I) -> Unit = |c, a| {
        c.timer_clear(a.int(0) as u64);
        Ok(Out::Unit)
    };
}
