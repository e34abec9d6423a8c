//! The legacy `owncast_*` host functions (Extism's user namespace), declared
//! in each capability's module next to its WIT implementation with the
//! [`legacy!`](crate::legacy) macro: name, canonical signature, JSON shapes
//! where WIT does not say them, and the translation onto the same
//! [`PluginContext`](crate::context::PluginContext) methods the WIT
//! interface calls.
//!
//! Arguments are `P` (a kernel offset holding a string or JSON; `0` reads as
//! empty) or `I` (a plain integer). Results are `P` (`0` = none/miss) or an
//! integer. Operations answer upstream's envelope, `{}` or `{"error": ...}`
//! (a refusal stays a refusal: the call fails). The Extism shim
//! (`owncast-compat-extism`) reads the arguments from kernel memory, calls
//! [`LegacyFn::call`] and writes the result back; it implements none of them.

use super::PluginView;
use crate::context::{HostCallError, PluginContext};
use crate::types::{OpResult, UrlResult};
use owncast_plugin_contract::contract::{LegacyFunction, LegacyValue};
use owncast_plugin_contract::permissions::{for_legacy_function, LEGACY_NAMES};
use owncast_plugin_contract::Permission;
use serde::Serialize;
use std::sync::LazyLock;

/// A legacy function's argument kind.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum A {
    /// A kernel offset (string, bytes or JSON).
    P,
    /// An integer passed by value, `i64` in the contract.
    I,
    /// An integer passed by value, `i32` in the contract (a limit, a flag).
    I32,
}

/// A legacy function's result kind.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum R {
    Unit,
    P,
    /// An integer (`i64`, as every scalar of upstream's ABI).
    I64,
}

/// One decoded argument.
pub enum Arg {
    /// The bytes at a kernel offset; `None` for offset 0.
    Bytes(Option<Vec<u8>>),
    Int(i64),
}

/// Decoded arguments; a missing one reads as empty or 0.
pub struct In(Vec<Arg>);

impl In {
    pub fn new(args: Vec<Arg>) -> Self {
        In(args)
    }
    pub fn bytes(&self, i: usize) -> Vec<u8> {
        match self.0.get(i) {
            Some(Arg::Bytes(Some(b))) => b.clone(),
            _ => Vec::new(),
        }
    }
    /// UTF-8, invalid bytes replaced.
    pub fn str(&self, i: usize) -> String {
        match self.0.get(i) {
            Some(Arg::Bytes(Some(b))) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        }
    }
    pub fn is_none(&self, i: usize) -> bool {
        matches!(self.0.get(i), Some(Arg::Bytes(None)) | None)
    }
    pub fn int(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Arg::Int(v)) => *v,
            _ => 0,
        }
    }
}

/// A result before encoding.
pub enum Out {
    Unit,
    /// `None` is offset 0.
    Bytes(Option<Vec<u8>>),
    Int(i64),
}

type Run = fn(&mut PluginView<'_>, &In) -> Result<Out, HostCallError>;

/// One `owncast_*` function of the contract.
pub struct LegacyFn {
    pub name: &'static str,
    pub args: &'static [A],
    pub ret: R,
    /// The JSON shape of the arguments, where they are not the WIT
    /// function's parameters one to one (the wire-protocol document derives
    /// the others from WIT).
    pub input: Option<&'static str>,
    /// The JSON shape of the result, where it is not the WIT result's.
    pub output: Option<&'static str>,
    #[doc(hidden)]
    pub run: Run,
}

/// Declares a capability module's legacy functions as its `LEGACY` table:
///
/// ```text
/// legacy! {
///     "owncast_kv_get"(P) -> P = |c, a| ...;
///     "owncast_kv_set"(P, P) -> P output "`{}`, or `{error}`" = |c, a| ...;
/// }
/// ```
///
/// `c` is the [`PluginView`] of the calling plugin, `a` the decoded [`In`].
#[macro_export]
macro_rules! legacy {
    ($( $name:literal ($($a:ident),*) -> $r:ident $(input $input:literal)? $(output $output:literal)? = $run:expr; )*) => {
        /// This capability's legacy `owncast_*` functions.
        pub const LEGACY: &[$crate::capabilities::legacy::LegacyFn] = {
            #[allow(unused_imports)]
            use $crate::capabilities::legacy::A::{I, I32, P};
            #[allow(unused_imports)]
            use $crate::capabilities::legacy::{envelope, json, op, op_result, shaped, url_result, Out};
            &[ $( $crate::capabilities::legacy::LegacyFn {
                name: $name,
                args: &[$($a),*],
                ret: $crate::capabilities::legacy::R::$r,
                input: $crate::legacy!(@shape $($input)?),
                output: $crate::legacy!(@shape $($output)?),
                run: $run,
            }, )* ]
        };
    };
    (@shape) => { None };
    (@shape $s:literal) => { Some($s) };
}

/// Every legacy function, in the declarations' order ([`LEGACY_NAMES`]).
pub fn all() -> &'static [&'static LegacyFn] {
    static ALL: LazyLock<Vec<&'static LegacyFn>> = LazyLock::new(|| {
        let defined: Vec<&'static LegacyFn> = super::LEGACY_BY_MODULE.iter().flat_map(|m| m.iter()).collect();
        LEGACY_NAMES.iter().filter_map(|(_, _, name)| defined.iter().copied().find(|f| f.name == *name)).collect()
    });
    &ALL
}

/// The legacy function `name`, if a capability defines it and the
/// declarations list it.
pub fn find(name: &str) -> Option<&'static LegacyFn> {
    all().iter().copied().find(|f| f.name == name)
}

impl LegacyFn {
    /// Runs the translation for the plugin of `view`. No permission check:
    /// that is the loader's gate (at link time or [`PluginContext::require`]).
    pub fn call(&self, view: &mut PluginView<'_>, args: &In) -> Result<Out, HostCallError> {
        (self.run)(view, args)
    }

    /// The contract's signature, e.g. `(i64, i64) -> i64`: every argument
    /// and result an `i64`, as upstream's wire protocol has them, but a
    /// limit or a flag `i32` (upstream's engine.d.ts).
    pub fn signature(&self) -> String {
        let args: Vec<&str> = self.args.iter().map(|a| if *a == A::I32 { "i32" } else { "i64" }).collect();
        let ret = if self.ret == R::Unit { "" } else { " -> i64" };
        format!("({}){ret}", args.join(", "))
    }

    /// This function as the wire-protocol document describes it
    /// (`owncast-plugin contract --md`).
    pub fn wire(&self) -> LegacyFunction {
        let value = |a: &A| match a {
            A::P => LegacyValue::Offset,
            A::I => LegacyValue::I64,
            A::I32 => LegacyValue::I32,
        };
        LegacyFunction {
            name: self.name,
            signature: self.signature(),
            args: self.args.iter().map(value).collect(),
            result: match self.ret {
                R::Unit => LegacyValue::Unit,
                R::P => LegacyValue::Offset,
                R::I64 => LegacyValue::I64,
            },
            input: self.input,
            output: self.output,
        }
    }

    /// The permission this function needs, from the declarations; `None`
    /// for the ambient ones.
    pub fn permission(&self) -> Option<Permission> {
        for_legacy_function(self.name).ok().flatten()
    }
}

pub(crate) fn json<T: Serialize>(v: &T) -> Out {
    Out::Bytes(Some(serde_json::to_vec(v).expect("host records serialize")))
}

/// Upstream's operation-result envelope: `{}`, or `{"error": message}`.
pub(crate) fn envelope(r: Result<(), String>) -> Out {
    json(&match r {
        Ok(()) => serde_json::json!({}),
        Err(e) => serde_json::json!({ "error": e }),
    })
}

/// An operation's outcome as the envelope; a refusal (no permission, a host
/// outside `network.allowedHosts`) stays a refusal.
pub(crate) fn op(r: Result<(), HostCallError>) -> Result<Out, HostCallError> {
    match r {
        Ok(()) => Ok(envelope(Ok(()))),
        Err(HostCallError::Failed { message, .. }) => Ok(envelope(Err(message))),
        Err(refusal) => Err(refusal),
    }
}

/// An [`OpResult`] (`{ok, error?}` for components) as the envelope.
pub(crate) fn op_result(r: Result<OpResult, HostCallError>) -> Result<Out, HostCallError> {
    match r {
        Ok(o) if o.ok => Ok(envelope(Ok(()))),
        Ok(o) => Ok(envelope(Err(o.error.unwrap_or_else(|| "the operation failed".into())))),
        Err(e) => op(Err(e)),
    }
}

pub(crate) fn url_result(r: Result<UrlResult, String>) -> Out {
    match r {
        Ok(u) => json(&u),
        Err(e) => json(&serde_json::json!({ "error": e })),
    }
}

/// A JSON argument read as the record a host call takes; a wrong shape is a
/// failure naming the call, the expected shape and serde's field and type.
pub(crate) fn shaped<T: serde::de::DeserializeOwned>(
    c: &PluginContext,
    call: &str,
    shape: &str,
    v: serde_json::Value,
) -> Result<T, HostCallError> {
    serde_json::from_value(v).map_err(|e| c.failed(call, format!("expected {shape}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use owncast_plugin_contract::permissions::CAPABILITIES;

    #[test]
    fn every_declared_function_is_defined_once_by_a_capability() {
        let defined: Vec<&str> = super::super::LEGACY_BY_MODULE.iter().flat_map(|m| m.iter()).map(|f| f.name).collect();
        for (_, _, name) in LEGACY_NAMES {
            let n = defined.iter().filter(|d| *d == name).count();
            assert_eq!(
                n, 1,
                "{name} is declared and defined by {n} capability modules (legacy! in host/src/capabilities)"
            );
        }
        for name in &defined {
            assert!(for_legacy_function(name).is_ok(), "{name} is defined but not declared (contract permissions.rs)");
        }
        assert_eq!(all().len(), LEGACY_NAMES.len());
        let gated = CAPABILITIES.iter().flat_map(|c| c.legacy_functions()).count();
        let ambient: Vec<&str> = all().iter().map(|f| f.name).filter(|n| for_legacy_function(n) == Ok(None)).collect();
        assert_eq!(
            ambient,
            [
                "owncast_log_info",
                "owncast_log_warning",
                "owncast_log_error",
                "owncast_config_get",
                "owncast_timer_set",
                "owncast_timer_clear",
                "owncast_asset_read",
            ]
        );
        assert_eq!(gated + ambient.len(), all().len());
    }

    #[test]
    fn signatures_are_upstreams() {
        assert_eq!(find("owncast_send_chat_to").unwrap().signature(), "(i64, i64)");
        assert_eq!(find("owncast_chat_history").unwrap().signature(), "(i32) -> i64");
        assert_eq!(find("owncast_timer_set").unwrap().signature(), "(i64, i64, i64) -> i64");
        assert_eq!(find("owncast_delete_message").unwrap().signature(), "(i64) -> i64");
        assert!(find("owncast_nope").is_none());
    }
}
