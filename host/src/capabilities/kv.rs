//! `kv` — permission `storage.kv`; legacy `owncast_kv_get`, `owncast_kv_set`.
//! Keys live under `plugins.kv.<slug>.` (see [`crate::kv::Namespace`]).

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::kv as wit;
use crate::context::{HostCallError, PluginContext};

impl PluginContext {
    pub fn kv_get(&self, key: &str) -> Result<Option<String>, HostCallError> {
        self.kv_namespace().get(key).map_err(|e| self.failed("kv.get", e))
    }
    pub fn kv_set(&self, key: &str, value: &str) -> Result<(), HostCallError> {
        self.kv_namespace().set(key, value).map_err(|e| self.failed("kv.set", e))
    }
}

impl wit::Host for PluginView<'_> {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.ctx.kv_get(&key).map_err(trap)
    }
    fn set(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        self.ctx.kv_set(&key, &value).map_err(trap)
    }
}

crate::legacy! {
    "owncast_kv_get"(P) -> P = |c, a| c.kv_get(&a.str(0)).map(|v| Out::Bytes(v.map(String::into_bytes)));
    "owncast_kv_set"(P, P) -> P output "`{}`, or `{error}`" = |c, a| op(c.kv_set(&a.str(0), &a.str(1)));
}
