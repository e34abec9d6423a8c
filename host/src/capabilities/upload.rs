//! `upload` — permission `storage.upload`; legacy `owncast_storage_upload`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::upload as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::UrlResult;

/// Largest file a plugin may upload.
pub const MAX_UPLOAD_BYTES: usize = 10 << 20;

impl PluginContext {
    /// `Ok(Err(_))` is a refusal the plugin sees as a value (bad name, too big).
    pub fn upload(&self, name: &str, data: &[u8]) -> Result<Result<UrlResult, String>, HostCallError> {
        if data.len() > MAX_UPLOAD_BYTES {
            return Ok(Err(format!("{} bytes is over the {MAX_UPLOAD_BYTES}-byte upload limit", data.len())));
        }
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Ok(Err(format!("\"{name}\" is not a plain file name")));
        }
        Ok(self.owncast().upload(&self.caller(), name, data))
    }
}

impl wit::Host for PluginView<'_> {
    fn upload(&mut self, name: String, data: Vec<u8>) -> wasmtime::Result<Result<UrlResult, String>> {
        self.ctx.upload(&name, &data).map_err(trap)
    }
}

crate::legacy! {
    "owncast_storage_upload"(P, P) -> P = |c, a| c.upload(&a.str(0), &a.bytes(1)).map(url_result);
}
