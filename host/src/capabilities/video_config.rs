//! `video-config` — permissions `videoconfig.read` (`read`) and
//! `videoconfig.write` (`write`); legacy `owncast_video_config_read|write`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::video_config as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::{OpResult, VideoConfig, VideoConfigUpdate};

impl PluginContext {
    pub fn video_config_read(&self) -> Result<VideoConfig, HostCallError> {
        Ok(self.owncast().video_config())
    }
    pub fn video_config_write(&self, update: &VideoConfigUpdate) -> Result<OpResult, HostCallError> {
        if let Some(l) = update.latency_level {
            if l > 4 {
                return Ok(OpResult::err(format!("latencyLevel {l} is out of range 0-4")));
            }
        }
        Ok(self.owncast().write_video_config(&self.caller(), update))
    }
}

impl wit::Host for PluginView<'_> {
    fn read(&mut self) -> wasmtime::Result<VideoConfig> {
        self.ctx.video_config_read().map_err(trap)
    }
    fn write(&mut self, update: VideoConfigUpdate) -> wasmtime::Result<Result<(), String>> {
        let r = self.ctx.video_config_write(&update).map_err(trap)?;
        Ok(if r.ok { Ok(()) } else { Err(r.error.unwrap_or_else(|| "the video configuration was refused".into())) })
    }
}

crate::legacy! {
    "owncast_video_config_read"() -> P = |c, _| c.video_config_read().map(|v| json(&v));
    "owncast_video_config_write"(P) -> P output "`{}`, or `{error}`" = |c, a| {
        match serde_json::from_slice::<VideoConfigUpdate>(&a.bytes(0)) {
            Ok(update) => op_result(c.video_config_write(&update)),
            Err(e) => Ok(envelope(Err(format!("not a video configuration update: {e}")))),
        }
    };
}
