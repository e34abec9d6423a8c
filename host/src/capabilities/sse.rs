//! `sse` — permission `http.sse`; legacy `owncast_sse_send`. The hub fans a
//! plugin's frames out to the viewers on `/plugins/<slug>/_sse/<channel>`.
//! Sending never waits: a slow viewer's queue overflows and it misses frames.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::sse as wit;
use crate::context::{HostCallError, PluginContext};

pub use crate::services::sse::{
    client_key, SentFrame, SseFrame, SseHub, SseRefusal, SseSubscription, MAX_FRAME_BYTES, SSE_QUEUE,
};

impl PluginContext {
    pub fn sse_send(&self, channel: &str, event: &str, data: &str) -> Result<(), HostCallError> {
        if data.len() + event.len() > MAX_FRAME_BYTES {
            return Err(self.failed("sse.send", format!("frame is over {MAX_FRAME_BYTES} bytes")));
        }
        if event.contains(['\n', '\r']) || channel.contains(['/', '\n', '\r']) {
            return Err(self.failed("sse.send", "event and channel names may not contain newlines or `/`"));
        }
        self.services().sse.send(self.slug(), channel, SseFrame { event: event.to_string(), data: data.to_string() });
        Ok(())
    }
}

impl wit::Host for PluginView<'_> {
    fn send(&mut self, channel: String, event: String, data: String) -> wasmtime::Result<()> {
        self.ctx.sse_send(&channel, &event, &data).map_err(trap)
    }
}

crate::legacy! {
    "owncast_sse_send"(P, P, P) -> Unit = |c, a| {
        let event = if a.is_none(1) { "message".to_string() } else { a.str(1) };
        c.sse_send(&a.str(0), &event, &a.str(2)).map(|_| Out::Unit)
    };
}
