//! The `owncast_*` host functions (Extism's user namespace,
//! `extism:host/user`): each capability declares its own in the host
//! (`owncast_plugin_host::capabilities::legacy`, with `legacy!` next to its
//! WIT implementation); this module only binds them to a module's imports:
//! decode the arguments from kernel memory, run the capability's translation,
//! encode the result into kernel memory.
//!
//! Each import is bound with the type the module declares, so the variants
//! found in the wild work: fewer arguments than the contract (the missing
//! ones read as `0`), no result where the contract has one (the result is
//! dropped), `i32` where the contract says `i64` and back.

use crate::kernel::KernelError;
use crate::state::{alloc_bytes, State};
pub use owncast_plugin_host::capabilities::legacy::{all, find};
use owncast_plugin_host::capabilities::legacy::{Arg, In, LegacyFn, Out, A};
use owncast_plugin_host::capabilities::PluginView;
use owncast_plugin_host::Permission;
use wasmtime::{Caller, FuncType, Linker, Val, ValType};

/// Extism's namespace for host functions an embedder adds.
pub const USER: &str = "extism:host/user";

/// Where a linked `owncast_*` function's permission is checked.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum CallGate {
    /// At load, by what the module imports (a self-contained module): the
    /// function is linked only if the grant covers it.
    Linked,
    /// On each call, against the calling plugin's grant (modules linked to
    /// every function: built on the JS engine, or a shared engine whose
    /// plugins differ in their grants).
    EachCall,
}

/// Binding a [`LegacyFn`] to a module's import.
pub trait Bind {
    /// Whether a module may import this function with type `ty`: integer
    /// parameters, no more than the contract has; at most one integer result.
    fn accepts(&self, ty: &FuncType) -> bool;
    /// Defines this function in `linker` with the type the module declares.
    /// `gate` says whether each call is checked against the calling plugin's grant.
    fn define(&'static self, linker: &mut Linker<State>, ty: FuncType, gate: CallGate) -> wasmtime::Result<()>;
}

impl Bind for LegacyFn {
    fn accepts(&self, ty: &FuncType) -> bool {
        let int = |t: &ValType| matches!(t, ValType::I32 | ValType::I64);
        ty.params().len() <= self.args.len()
            && ty.params().all(|t| int(&t))
            && ty.results().len() <= 1
            && ty.results().all(|t| int(&t))
    }

    fn define(&'static self, linker: &mut Linker<State>, ty: FuncType, gate: CallGate) -> wasmtime::Result<()> {
        let result_is_i32 = matches!(ty.results().next(), Some(ValType::I32));
        let needs = match gate {
            CallGate::Linked => None,
            CallGate::EachCall => self.permission(),
        };
        linker.func_new(USER, self.name, ty, move |mut caller, params, results| {
            bound_call(self, &mut caller, params, results, result_is_i32, needs)
        })?;
        Ok(())
    }
}

fn bound_call(
    f: &LegacyFn,
    caller: &mut Caller<'_, State>,
    params: &[Val],
    results: &mut [Val],
    result_is_i32: bool,
    needs: Option<Permission>,
) -> wasmtime::Result<()> {
    // The call-time gate, before any argument is read. Typed, so a
    // refusal reaches the dispatcher as `CallError::Refused`.
    if let Some(permission) = needs {
        caller.data().ctx.require(permission, f.name).map_err(wasmtime::Error::new)?;
    }
    let mut args = Vec::with_capacity(f.args.len());
    for (i, kind) in f.args.iter().enumerate() {
        let raw = match params.get(i) {
            Some(Val::I64(v)) => *v,
            Some(Val::I32(v)) => *v as u32 as i64,
            _ => 0,
        };
        args.push(match kind {
            A::I | A::I32 => Arg::Int(raw),
            A::P => {
                let block = caller.data().kernel.block(f.name, raw as u64).map_err(|e| kernel_trap(f.name, i, e))?;
                Arg::Bytes(block.map(<[u8]>::to_vec))
            }
        });
    }
    let state = caller.data_mut();
    let mut view = PluginView { ctx: &state.ctx, call: &mut state.call };
    let out = f.call(&mut view, &In::new(args)).map_err(|e| wasmtime::Error::new(e).context(f.name))?;
    let Some(slot) = results.first_mut() else { return Ok(()) };
    let value: i64 = match out {
        Out::Unit | Out::Bytes(None) => 0,
        Out::Int(v) => v,
        Out::Bytes(Some(b)) => {
            alloc_bytes(caller, &b).map_err(|e| wasmtime::Error::msg(format!("{}: {e}", f.name)))? as i64
        }
    };
    *slot = if result_is_i32 { Val::I32(value as i32) } else { Val::I64(value) };
    Ok(())
}

fn kernel_trap(name: &str, arg: usize, e: KernelError) -> wasmtime::Error {
    wasmtime::Error::msg(format!("{name}: argument {}: {e}", arg + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_in_the_wild_are_accepted() {
        let engine = wasmtime::Engine::default();
        let add = find("owncast_add_actions").unwrap();
        assert!(add.accepts(&FuncType::new(&engine, [ValType::I64], [])));
        let clear = find("owncast_clear_actions").unwrap();
        assert!(clear.accepts(&FuncType::new(&engine, [], [])));
        assert!(clear.accepts(&FuncType::new(&engine, [], [ValType::I64])));
        assert!(!clear.accepts(&FuncType::new(&engine, [ValType::I64, ValType::I64], [])));
        assert!(!add.accepts(&FuncType::new(&engine, [ValType::F64], [])));
    }
}
