//! `fediverse` — permission `fediverse.post`; legacy `owncast_fediverse_post`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::fediverse as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::UrlResult;

impl PluginContext {
    pub fn fediverse_post(&self, content: &str) -> Result<Result<UrlResult, String>, HostCallError> {
        if content.trim().is_empty() {
            return Ok(Err("a post needs content".into()));
        }
        Ok(self.owncast().fediverse_post(&self.caller(), content))
    }
}

impl wit::Host for PluginView<'_> {
    fn post(&mut self, content: String) -> wasmtime::Result<Result<UrlResult, String>> {
        self.ctx.fediverse_post(&content).map_err(trap)
    }
}

crate::legacy! {
    "owncast_fediverse_post"(P) -> P = |c, a| c.fediverse_post(&a.str(0)).map(url_result);
}
