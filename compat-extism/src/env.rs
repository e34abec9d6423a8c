//! The Extism kernel functions (`extism:host/env`), as host functions over
//! [`Kernel`](crate::kernel::Kernel).
//!
//! Signatures are Extism's: every offset and length is an `i64`;
//! `load_u8`/`input_load_u8` return the byte as an `i32`; `store_u8` takes it
//! as an `i32`; `http_status_code` and `get_log_level` return `i32`.

use crate::kernel::KernelError;
use crate::state::{alloc_bytes, budget, State};
use crate::user::USER;
use owncast_plugin_host::capabilities::http_outbound::OutboundRequest;
use owncast_plugin_host::capabilities::log::Level;
use owncast_plugin_host::Permission;
use wasmtime::{Caller, Linker};

/// Extism's kernel namespace.
pub const ENV: &str = "extism:host/env";

/// Every kernel function this host provides.
pub const KERNEL_FUNCTIONS: &[&str] = &[
    "alloc",
    "free",
    "length",
    "length_unsafe",
    "load_u8",
    "load_u64",
    "store_u8",
    "store_u64",
    "input_length",
    "input_offset",
    "input_load_u8",
    "input_load_u64",
    "output_set",
    "error_set",
    "config_get",
    "var_get",
    "var_set",
    "http_request",
    "http_status_code",
    "http_headers",
    "log_trace",
    "log_debug",
    "log_info",
    "log_warn",
    "log_error",
    "get_log_level",
];

/// Owncast's bulk forms of the kernel's loads and stores, for the JS engine
/// (`sdks/js/engine`), with their number of `i64` parameters (each returns
/// an `i64`): `owncast_kernel_load(offset, ptr, len)` copies kernel memory
/// into the plugin's memory, `owncast_kernel_store(offset, ptr, len)` the
/// other way, `owncast_input_load(ptr, len)` the call's input; each returns
/// `len`. One call where `load_u64`/`store_u64`/`input_load_u64` take one
/// per 8 bytes. They are in Extism's user namespace, where a host without
/// them can give stand-ins (which return 0, and the engine then copies the
/// Extism way).
pub const BULK_FUNCTIONS: &[(&str, usize)] =
    &[("owncast_kernel_load", 3), ("owncast_kernel_store", 3), ("owncast_input_load", 2)];

/// The number of `i64` parameters of bulk function `name`, `None` for a
/// name that is not one.
pub fn bulk_params(name: &str) -> Option<usize> {
    BULK_FUNCTIONS.iter().find(|(n, _)| *n == name).map(|&(_, params)| params)
}

fn trap(e: KernelError) -> wasmtime::Error {
    wasmtime::Error::msg(e.to_string())
}

fn text(caller: &Caller<'_, State>, call: &'static str, off: i64) -> wasmtime::Result<String> {
    let bytes = caller.data().kernel.block(call, off as u64).map_err(trap)?;
    Ok(bytes.map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default())
}

/// Extism's numeric log levels (trace 0 .. error 4; anything above is off).
pub fn log_level_number() -> i32 {
    use tracing::level_filters::LevelFilter;
    match LevelFilter::current() {
        LevelFilter::TRACE => 0,
        LevelFilter::DEBUG => 1,
        LevelFilter::INFO => 2,
        LevelFilter::WARN => 3,
        LevelFilter::ERROR => 4,
        _ => i32::MAX,
    }
}

fn log(linker: &mut Linker<State>, name: &str, level: Level) -> wasmtime::Result<()> {
    let call: &'static str = match level {
        Level::Trace => "log_trace",
        Level::Debug => "log_debug",
        Level::Info => "log_info",
        Level::Warn => "log_warn",
        Level::Error => "log_error",
    };
    linker.func_wrap(ENV, name, move |caller: Caller<'_, State>, off: i64| -> wasmtime::Result<()> {
        let msg = text(&caller, call, off)?;
        caller.data().ctx.log(level, &msg);
        Ok(())
    })?;
    Ok(())
}

pub fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.func_wrap(ENV, "alloc", |mut caller: Caller<'_, State>, n: i64| -> wasmtime::Result<i64> {
        let (b, cap, linear) = budget(&caller);
        caller.data_mut().kernel.alloc(n as u64, b, cap, linear).map(|o| o as i64).map_err(trap)
    })?;
    linker
        .func_wrap(ENV, "free", |mut caller: Caller<'_, State>, off: i64| caller.data_mut().kernel.free(off as u64))?;
    linker.func_wrap(ENV, "length", |caller: Caller<'_, State>, off: i64| -> i64 {
        caller.data().kernel.length(off as u64) as i64
    })?;
    linker.func_wrap(ENV, "length_unsafe", |caller: Caller<'_, State>, off: i64| -> i64 {
        caller.data().kernel.length_unsafe(off as u64) as i64
    })?;
    linker.func_wrap(ENV, "load_u8", |caller: Caller<'_, State>, off: i64| -> wasmtime::Result<i32> {
        caller.data().kernel.load_u8(off as u64).map(i32::from).map_err(trap)
    })?;
    linker.func_wrap(ENV, "load_u64", |caller: Caller<'_, State>, off: i64| -> wasmtime::Result<i64> {
        caller.data().kernel.load_u64(off as u64).map(|v| v as i64).map_err(trap)
    })?;
    linker.func_wrap(ENV, "store_u8", |mut caller: Caller<'_, State>, off: i64, v: i32| -> wasmtime::Result<()> {
        caller.data_mut().kernel.store_u8(off as u64, v as u8).map_err(trap)
    })?;
    linker.func_wrap(ENV, "store_u64", |mut caller: Caller<'_, State>, off: i64, v: i64| -> wasmtime::Result<()> {
        caller.data_mut().kernel.store_u64(off as u64, v as u64).map_err(trap)
    })?;
    linker.func_wrap(ENV, "input_length", |caller: Caller<'_, State>| -> i64 {
        caller.data().kernel.input_length() as i64
    })?;
    linker.func_wrap(ENV, "input_offset", |caller: Caller<'_, State>| -> i64 {
        caller.data().kernel.input_offset() as i64
    })?;
    linker.func_wrap(ENV, "input_load_u8", |caller: Caller<'_, State>, off: i64| -> wasmtime::Result<i32> {
        caller.data().kernel.input_load_u8(off as u64).map(i32::from).map_err(trap)
    })?;
    linker.func_wrap(ENV, "input_load_u64", |caller: Caller<'_, State>, off: i64| -> wasmtime::Result<i64> {
        caller.data().kernel.input_load_u64(off as u64).map(|v| v as i64).map_err(trap)
    })?;
    linker.func_wrap(
        ENV,
        "output_set",
        |mut caller: Caller<'_, State>, off: i64, len: i64| -> wasmtime::Result<()> {
            caller.data_mut().kernel.output_set(off as u64, len as u64).map_err(trap)
        },
    )?;
    linker.func_wrap(ENV, "error_set", |mut caller: Caller<'_, State>, off: i64| -> wasmtime::Result<()> {
        caller.data_mut().kernel.error_set(off as u64).map_err(trap)
    })?;
    linker.func_wrap(ENV, "config_get", |mut caller: Caller<'_, State>, key: i64| -> wasmtime::Result<i64> {
        let key = text(&caller, "config_get", key)?;
        match caller.data().config(&key) {
            Some(v) => alloc_bytes(&mut caller, v.as_bytes()).map(|o| o as i64).map_err(trap),
            None => Ok(0),
        }
    })?;
    linker.func_wrap(ENV, "var_get", |mut caller: Caller<'_, State>, key: i64| -> wasmtime::Result<i64> {
        let key = text(&caller, "var_get", key)?;
        let Some(v) = caller.data().vars.get(&key).map(<[u8]>::to_vec) else { return Ok(0) };
        alloc_bytes(&mut caller, &v).map(|o| o as i64).map_err(trap)
    })?;
    linker.func_wrap(ENV, "var_set", |mut caller: Caller<'_, State>, key: i64, val: i64| -> wasmtime::Result<()> {
        let key = text(&caller, "var_set", key)?;
        let st = caller.data_mut();
        let value = st.kernel.block("var_set", val as u64).map_err(trap)?.map(<[u8]>::to_vec);
        let max = st.plugin.max_var_bytes();
        st.vars.set(&key, value.as_deref(), max).map_err(wasmtime::Error::msg)
    })?;
    linker.func_wrap_async(ENV, "http_request", |mut caller: Caller<'_, State>, (req, body): (i64, i64)| {
        Box::new(async move {
            let (request, body) = {
                let k = &caller.data().kernel;
                let req = k.block("http_request", req as u64).map_err(trap)?.unwrap_or_default();
                let request: extism_manifest::HttpRequest = serde_json::from_slice(req).map_err(|e| {
                    wasmtime::Error::msg(format!("http_request: the request is not Extism's {{url, method?, headers?}} JSON: {e}"))
                })?;
                let body = k.block("http_request", body as u64).map_err(trap)?.map(<[u8]>::to_vec).unwrap_or_default();
                (request, body)
            };
            let out = OutboundRequest {
                method: request.method.unwrap_or_else(|| "GET".into()).to_ascii_uppercase(),
                url: request.url,
                headers: request.headers.into_iter().collect(),
                body,
            };
            // The wait is bounded by the deadline of the whole call (the dispatcher's).
            let ctx = caller.data().ctx.clone();
            // Every legacy module links `http_request` (it is Extism's kernel),
            // so its permission is checked on each call.
            if let Err(refused) = ctx.require(Permission::NetworkFetch, "http_request") {
                ctx.metrics().http_request(true);
                return Err(wasmtime::Error::new(refused).context("http_request"));
            }
            let resp = ctx.fetch(out).await.map_err(|e| wasmtime::Error::new(e).context("http_request"))?;
            if let Some(max) = caller.data().plugin.max_http_response_bytes() {
                if resp.body.len() as u64 > max {
                    return Err(wasmtime::Error::msg(format!(
                        "http_request: the response body is {} bytes; the limit is {max} (memory.max_http_response_bytes)",
                        resp.body.len()
                    )));
                }
            }
            let mut headers = serde_json::Map::new();
            for (k, v) in &resp.headers {
                let k = k.to_ascii_lowercase();
                let joined = match headers.get(&k).and_then(|x| x.as_str()) {
                    Some(prev) => format!("{prev}, {v}"),
                    None => v.clone(),
                };
                headers.insert(k, serde_json::Value::String(joined));
            }
            {
                let st = caller.data_mut();
                st.http_status = resp.status as i32;
                st.http_headers = Some(serde_json::Value::Object(headers).to_string().into_bytes());
            }
            alloc_bytes(&mut caller, &resp.body).map(|o| o as i64).map_err(trap)
        })
    })?;
    linker.func_wrap(ENV, "http_status_code", |caller: Caller<'_, State>| -> i32 { caller.data().http_status })?;
    linker.func_wrap(ENV, "http_headers", |mut caller: Caller<'_, State>| -> wasmtime::Result<i64> {
        let Some(h) = caller.data().http_headers.clone() else { return Ok(0) };
        alloc_bytes(&mut caller, &h).map(|o| o as i64).map_err(trap)
    })?;
    log(linker, "log_trace", Level::Trace)?;
    log(linker, "log_debug", Level::Debug)?;
    log(linker, "log_info", Level::Info)?;
    log(linker, "log_warn", Level::Warn)?;
    log(linker, "log_error", Level::Error)?;
    linker.func_wrap(ENV, "get_log_level", || -> i32 { log_level_number() })?;
    linker.func_wrap(
        USER,
        "owncast_kernel_load",
        |mut caller: Caller<'_, State>, off: i64, ptr: i64, len: i64| -> wasmtime::Result<i64> {
            let call = "owncast_kernel_load";
            let (dst, state) = guest_range(&mut caller, call, ptr, len)?;
            dst.copy_from_slice(state.kernel.load(call, off as u64, len as u64).map_err(trap)?);
            Ok(len)
        },
    )?;
    linker.func_wrap(
        USER,
        "owncast_kernel_store",
        |mut caller: Caller<'_, State>, off: i64, ptr: i64, len: i64| -> wasmtime::Result<i64> {
            let call = "owncast_kernel_store";
            let (src, state) = guest_range(&mut caller, call, ptr, len)?;
            state.kernel.store(call, off as u64, src).map_err(trap)?;
            Ok(len)
        },
    )?;
    linker.func_wrap(
        USER,
        "owncast_input_load",
        |mut caller: Caller<'_, State>, ptr: i64, len: i64| -> wasmtime::Result<i64> {
            let call = "owncast_input_load";
            let (dst, state) = guest_range(&mut caller, call, ptr, len)?;
            dst.copy_from_slice(state.kernel.input(call, len as u64).map_err(trap)?);
            Ok(len)
        },
    )?;
    Ok(())
}

/// `len` bytes of the plugin's memory at `ptr`, and the store's state, for
/// a bulk copy; a trap naming `call` when the range is outside the memory.
fn guest_range<'a>(
    caller: &'a mut Caller<'_, State>,
    call: &'static str,
    ptr: i64,
    len: i64,
) -> wasmtime::Result<(&'a mut [u8], &'a mut State)> {
    let memory = caller.data().memory.ok_or_else(|| trap(KernelError::NoMemory { call }))?;
    let (guest, state) = memory.data_and_store_mut(caller);
    let size = guest.len() as u64;
    let (p, n) = (ptr as u64, len as u64);
    match p.checked_add(n) {
        Some(end) if end <= size => Ok((&mut guest[p as usize..end as usize], state)),
        _ => Err(trap(KernelError::GuestOutOfRange { call, ptr: p, len: n, size })),
    }
}
