//! Owncast JavaScript engine: QuickJS-NG (through `rquickjs`) packaged as an
//! Extism-ABI core module for `wasm32-wasip1`.
//!
//! Exports `register`, `on_event`, `on_filter`, `on_http_request` (Extism
//! style: no wasm parameters, input/output through the Extism kernel). Each
//! export hands its name and input to the JS global `__owncast_dispatch`
//! (installed by `@owncast/plugin-sdk`'s `definePlugin`) and writes what it
//! returns as the Extism output. JS exceptions become Extism errors carrying
//! the message and the JS stack.
//!
//! The plugin's script gets in one of two ways:
//! - shared engine: on the first call the engine reads the Extism config key
//!   `script` and evaluates it (the host also passes `manifest` and `__slug`);
//! - self-contained: `wizer --allow-wasi --init-func wizer.initialize` runs
//!   the `wizer.initialize` export, which reads the bundled script from WASI
//!   stdin and evaluates it, so the snapshot starts with the plugin already
//!   loaded (no JS parsing at instantiation). Stdin keeps the WASI imports to
//!   the set extism-js modules use (no path_open/preopens).
//!
//! The JS globals mirror the ones extism-js provides (`Host`, `Memory`,
//! `Config`, `Var`, `Http`, `console`, `TextEncoder`, `TextDecoder`), so the
//! same SDK runtime works here and on extism-js. They are written in JS
//! (`prelude.js`) on top of a small set of native primitives defined below.

use extism_pdk::extism as kernel;
use rquickjs::context::EvalOptions;
use rquickjs::{
    function::Rest, ArrayBuffer, CatchResultExt, CaughtError, Context, Ctx, Function, Object, Persistent, Promise,
    Runtime, TypedArray, Value,
};
use std::cell::UnsafeCell;

/// Lets a host tell a module built on this engine (which imports every
/// owncast_* host function and reads its script from config) from an
/// extism-js module.
#[used]
#[link_section = "owncast-engine"]
static ENGINE_MARKER: [u8; 9] = *b"quickjs/1";

const PRELUDE: &str = include_str!("prelude.js");

mod json;

// ---------------------------------------------------------------------------
// Global engine state (single-threaded wasm; lives in linear memory, so a
// wizer snapshot captures it).

struct Engine {
    /// The SDK's `__owncast_dispatch`, once found (a global lookup by name
    /// on every call otherwise). First, so it is dropped before the runtime.
    dispatcher: Option<Dispatcher>,
    rt: Runtime,
    ctx: Context,
    /// `Some(Ok)` once a script is loaded, `Some(Err)` if evaluating it failed.
    loaded: Option<Result<(), String>>,
}

pub(crate) struct Slot<T>(pub(crate) UnsafeCell<T>);
unsafe impl<T> Sync for Slot<T> {}
static ENGINE: Slot<Option<Engine>> = Slot(UnsafeCell::new(None));
/// The script a pre-initialized module was built with, kept so the engine can
/// be rebuilt after a trap (see `run_export`).
static EMBEDDED_SCRIPT: Slot<Option<String>> = Slot(UnsafeCell::new(None));
/// Set while an export runs. Still set when the next export starts means the
/// previous call trapped (deadline, stack exhaustion, host trap) in the middle
/// of the engine, whose state (locks, heap) can no longer be trusted.
static IN_CALL: Slot<bool> = Slot(UnsafeCell::new(false));
const EMBEDDED_FILENAME: &str = "plugin.js";

// ---------------------------------------------------------------------------
// Math.random: QuickJS seeds its generator when the context is created, which
// for a pre-initialized module is build time, so every instance would repeat
// one sequence. This xorshift128+ is seeded from WASI random_get on first use
// in each instance instead.

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    #[link_name = "random_get"]
    fn wasi_random_get(buf: *mut u8, len: usize) -> u16;
}

struct Rng {
    seeded: bool,
    s0: u64,
    s1: u64,
}
static RNG: Slot<Rng> = Slot(UnsafeCell::new(Rng { seeded: false, s0: 0, s1: 0 }));

fn random_f64() -> f64 {
    let rng = unsafe { &mut *RNG.0.get() };
    if !rng.seeded {
        let mut buf = [0u8; 16];
        unsafe { wasi_random_get(buf.as_mut_ptr(), buf.len()) };
        rng.s0 = u64::from_le_bytes(buf[..8].try_into().unwrap()) | 1;
        rng.s1 = u64::from_le_bytes(buf[8..].try_into().unwrap());
        rng.seeded = true;
    }
    let mut x = rng.s0;
    let y = rng.s1;
    rng.s0 = y;
    x ^= x << 23;
    x ^= x >> 17;
    x ^= y ^ (y >> 26);
    rng.s1 = x;
    (x.wrapping_add(y) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn engine() -> Result<&'static mut Engine, String> {
    // SAFETY: wasm32-wasip1 is single threaded and exports are not re-entered.
    let slot = unsafe { &mut *ENGINE.0.get() };
    if slot.is_none() {
        let rt = Runtime::new().map_err(|e| format!("cannot create JS runtime: {e}"))?;
        // No stack limit here: QuickJS-NG does not check its stack on WASI, so
        // runaway recursion ends in a wasm trap (stack exhaustion), which the
        // host handles like any other trap.
        let ctx = Context::full(&rt).map_err(|e| format!("cannot create JS context: {e}"))?;
        ctx.with(|ctx| -> Result<(), String> {
            install_natives(&ctx).map_err(|e| format!("cannot install engine globals: {e}"))?;
            eval_script(&ctx, PRELUDE, "owncast-engine-prelude.js")
        })?;
        *slot = Some(Engine { dispatcher: None, rt, ctx, loaded: None });
    }
    Ok(slot.as_mut().unwrap())
}

// ---------------------------------------------------------------------------
// Extism exports.

#[no_mangle]
pub extern "C" fn register() -> i32 {
    run_export("register")
}

#[no_mangle]
pub extern "C" fn on_event() -> i32 {
    run_export("on_event")
}

#[no_mangle]
pub extern "C" fn on_filter() -> i32 {
    run_export("on_filter")
}

#[no_mangle]
pub extern "C" fn on_http_request() -> i32 {
    run_export("on_http_request")
}

// Upstream's optional exports: a host calls them when the plugin contributes
// the matching thing (a dynamic tab or page content, page styles or scripts,
// the viewer-gate re-check). The SDK answers with the handler's result, or
// the neutral answer ("", `{"action":"ok"}`) when the plugin has none.

#[no_mangle]
pub extern "C" fn on_auth_check() -> i32 {
    run_export("on_auth_check")
}

#[no_mangle]
pub extern "C" fn on_tab_content() -> i32 {
    run_export("on_tab_content")
}

#[no_mangle]
pub extern "C" fn on_page_content() -> i32 {
    run_export("on_page_content")
}

#[no_mangle]
pub extern "C" fn on_page_styles() -> i32 {
    run_export("on_page_styles")
}

#[no_mangle]
pub extern "C" fn on_page_scripts() -> i32 {
    run_export("on_page_scripts")
}

/// wizer's pre-initialization entry point: build the engine and evaluate the
/// bundled script, so the snapshot needs no JS parsing at instantiation.
#[export_name = "wizer.initialize"]
pub extern "C" fn wizer_initialize() {
    let result = (|| -> Result<(), String> {
        use std::io::Read;
        let mut source = String::new();
        std::io::stdin()
            .read_to_string(&mut source)
            .map_err(|e| format!("cannot read the plugin script from stdin (run wizer with --allow-wasi): {e}"))?;
        if source.trim().is_empty() {
            return Err("empty plugin script on stdin".to_string());
        }
        let eng = engine()?;
        // `__owncast_preinit` lets the SDK explain that host calls cannot run
        // at the script's top level while it is being pre-initialized.
        eng.ctx.with(|ctx| {
            let g = ctx.globals();
            g.set("__owncast_preinit", true).map_err(|e| e.to_string())?;
            let r = eval_script(&ctx, &source, EMBEDDED_FILENAME);
            let _ = g.remove("__owncast_preinit");
            r
        })?;
        eng.loaded = Some(Ok(()));
        unsafe { *EMBEDDED_SCRIPT.0.get() = Some(source) };
        // Each instance of the snapshot seeds Math.random on its own, and
        // finds out for itself whether its host has the bulk copies.
        unsafe { (*RNG.0.get()).seeded = false };
        unsafe { *BULK.0.get() = true };
        // Collect the garbage of loading so the snapshot carries less of it.
        eng.rt.run_gc();
        keep_arenas(eng);
        Ok(())
    })();
    if let Err(msg) = result {
        // wizer has WASI stdio; a trap makes wizer fail, which is what we want.
        eprintln!("owncast-js-engine: pre-initialization failed: {msg}");
        std::process::abort();
    }
}

fn run_export(name: &str) -> i32 {
    // SAFETY: single-threaded; exports are not re-entered.
    let in_call = unsafe { &mut *IN_CALL.0.get() };
    if *in_call {
        recover_after_trap();
    }
    *in_call = true;
    let rc = match run_export_inner(name) {
        Ok(()) => 0,
        Err(msg) => {
            set_error(&msg);
            1
        }
    };
    *in_call = false;
    rc
}

/// Drops (leaks) the engine a trapped call left behind and lets the next call
/// build a fresh one and load the plugin script again. JS state kept in
/// variables is lost; state in KV/host storage is not.
fn recover_after_trap() {
    let slot = unsafe { &mut *ENGINE.0.get() };
    if let Some(old) = slot.take() {
        // Its destructor would run QuickJS on a possibly inconsistent heap.
        std::mem::forget(old);
    }
    log_warn(
        "owncast-js-engine: the previous call trapped inside the JS engine; \
         restarting it (the plugin script is loaded again, JS variables are reset)",
    );
}

fn log_warn(msg: &str) {
    let off = alloc_bytes(msg.as_bytes());
    unsafe {
        kernel::log_warn(off);
        kernel::free(off);
    }
}

fn run_export_inner(name: &str) -> Result<(), String> {
    let eng = engine()?;
    ensure_loaded(eng)?;
    let dispatcher = &mut eng.dispatcher;
    eng.ctx.with(|ctx| {
        let res = dispatch(&ctx, name, dispatcher);
        // Let fire-and-forget promise jobs of this call finish within it.
        while ctx.execute_pending_job() {}
        res
    })
}

fn ensure_loaded(eng: &mut Engine) -> Result<(), String> {
    if let Some(state) = &eng.loaded {
        return state.clone();
    }
    let state = if let Some(source) = unsafe { (*EMBEDDED_SCRIPT.0.get()).as_deref() } {
        eng.ctx.with(|ctx| eval_script(&ctx, source, EMBEDDED_FILENAME))
    } else {
        match config_string("script")? {
            Some(source) => {
                let file = match config_string("__slug")? {
                    Some(slug) if !slug.is_empty() => format!("{slug}.js"),
                    _ => "plugin.js".to_string(),
                };
                eng.ctx.with(|ctx| eval_script(&ctx, &source, &file))
            }
            None => Err("no plugin script: this engine needs the plugin's JavaScript in Extism config key \
                 `script` (shared engine), or a module pre-initialized with `owncast-plugin build`"
                .to_string()),
        }
    };
    keep_arenas(eng);
    eng.loaded = Some(state.clone());
    state
}

/// QuickJS serves allocations of up to 512 bytes from 4 KiB arenas, one list
/// per size class, and gives an arena back to malloc as soon as its last
/// block is freed. A call's garbage (the parsed event, match arrays,
/// strings) is freed when the call ends, so an arena the call had to open
/// was given back, and the next call opened it again (malloc, and a free
/// list threaded through every block). Once the script is loaded, this takes
/// one arena's worth of blocks plus one of each size class and gives back
/// all but the last, which stays allocated for good: the newest arena of
/// each class never empties, and a call's garbage fits in the arenas that
/// stay. At most one arena (4 KiB) per class is kept this way.
/// On the profanity-filter's on_filter: 317,076 -> 309,889 instructions.
fn keep_arenas(eng: &Engine) {
    use rquickjs::qjs;
    // QuickJS's size classes up to its 512-byte limit (8 of each block is
    // its header).
    const BLOCK_SIZES: [usize; 31] = [
        16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288,
        320, 352, 384, 416, 448, 480, 512,
    ];
    const ARENA: usize = 4096;
    eng.ctx.with(|ctx| unsafe {
        let rt = qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        let mut blocks = Vec::with_capacity(ARENA / 16 + 2);
        for size in BLOCK_SIZES {
            blocks.clear();
            for _ in 0..ARENA / size + 2 {
                let p = qjs::js_malloc_rt(rt, (size - 8) as qjs::size_t);
                if p.is_null() {
                    break;
                }
                blocks.push(p);
            }
            // The last block stays allocated (for the life of the runtime).
            blocks.pop();
            for &p in blocks.iter().rev() {
                qjs::js_free_rt(rt, p);
            }
        }
    });
}

fn eval_script(ctx: &Ctx<'_>, source: &str, filename: &str) -> Result<(), String> {
    let mut opts = EvalOptions::default();
    opts.global = true;
    opts.strict = false;
    opts.filename = Some(filename.to_string());
    ctx.eval_with_options::<(), _>(source, opts).catch(ctx).map_err(|e| format_caught(ctx, e))
}

/// The SDK's `__owncast_dispatch(exportName, input)`, kept between calls.
struct Dispatcher {
    f: Persistent<Function<'static>>,
    /// The SDK takes the input parsed (`__owncast_dispatch.parsedInput`):
    /// the engine passes the object its JSON parser made of the input text,
    /// instead of a string the SDK would parse (the string made only to be
    /// read back).
    parsed_input: bool,
}

fn dispatch(ctx: &Ctx<'_>, name: &str, cached: &mut Option<Dispatcher>) -> Result<(), String> {
    let globals = ctx.globals();
    let dispatcher = match cached {
        Some(d) => Some((d.f.clone().restore(ctx).map_err(|e| e.to_string())?, d.parsed_input)),
        None => {
            let v: Value = globals.get("__owncast_dispatch").map_err(|e| e.to_string())?;
            v.into_function().map(|f| {
                let parsed_input = f.get::<_, Option<bool>>("parsedInput").ok().flatten() == Some(true);
                *cached = Some(Dispatcher { f: Persistent::save(ctx, f.clone()), parsed_input });
                (f, parsed_input)
            })
        }
    };
    if let Some((f, parsed_input)) = dispatcher {
        let text = input_string();
        // Text the engine's parser declines (`JSON.parse`'s cases: errors,
        // lone surrogates, deep nesting) goes to the SDK as a string.
        let parsed = if parsed_input { json::parse_text(ctx, text.as_bytes()) } else { None };
        let input = match parsed {
            Some(v) => v,
            None => rquickjs::String::from_str(ctx.clone(), &text).map_err(|e| e.to_string())?.into_value(),
        };
        let out = f.call::<_, Value>((name, input));
        let out = out.catch(ctx).map_err(|e| format_caught(ctx, e))?;
        let out = settle(ctx, out)?;
        return write_output(ctx, out);
    }
    // No SDK dispatcher: a plain extism-js style script whose module.exports
    // (or globals) hold the export functions, which use Host.input*/output*.
    let mut target: Option<Function> = None;
    if let Ok(module) = globals.get::<_, Object>("module") {
        if let Ok(exports) = module.get::<_, Object>("exports") {
            target = exports.get::<_, Function>(name).ok();
        }
    }
    if target.is_none() {
        target = globals.get::<_, Function>(name).ok();
    }
    let Some(f) = target else {
        return Err(format!(
            "the plugin does not handle `{name}`: call definePlugin() from @owncast/plugin-sdk \
             (or export a `{name}` function)"
        ));
    };
    let out: Value = f.call(()).catch(ctx).map_err(|e| format_caught(ctx, e))?;
    settle(ctx, out)?;
    Ok(())
}

/// Runs the job queue until a returned promise settles.
fn settle<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> Result<Value<'js>, String> {
    if let Some(p) = v.as_promise() {
        let p: Promise = p.clone();
        return p.finish::<Value>().catch(ctx).map_err(|e| match e {
            CaughtError::Error(rquickjs::Error::WouldBlock) => {
                "the handler returned a promise that never settles (only promise jobs run \
                     inside a call: there are no timers or async I/O)"
                    .to_string()
            }
            e => format_caught(ctx, e),
        });
    }
    Ok(v)
}

fn write_output<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> Result<(), String> {
    if v.is_undefined() || v.is_null() {
        return Ok(());
    }
    if let Some(s) = v.as_string() {
        let s = s.to_string().map_err(|e| e.to_string())?;
        output_bytes(s.as_bytes());
        return Ok(());
    }
    // An ordinary object or array (the SDK's answers) is JSON; only other
    // objects need the checks for bytes (which look up view properties).
    if !json::is_object_or_array(ctx, &v) {
        if let Some(bytes) = js_bytes(&v) {
            output_bytes(&bytes);
            return Ok(());
        }
    }
    // Anything else: JSON.
    let json = json::stringify(ctx, &v).catch(ctx).map_err(|e| format_caught(ctx, e))?;
    if let Some(s) = json {
        output_bytes(s.as_bytes());
    }
    Ok(())
}

/// "Name: message\n<stack>" for a caught JS value.
fn format_caught<'js>(ctx: &Ctx<'js>, e: CaughtError<'js>) -> String {
    match e {
        CaughtError::Exception(ex) => {
            let obj = ex.as_object();
            let name: Option<String> = obj.get("name").ok();
            let message = ex.message().unwrap_or_default();
            let stack = ex.stack().unwrap_or_default();
            let head = match name {
                Some(n) if !n.is_empty() => format!("{n}: {message}"),
                _ => message,
            };
            if stack.trim().is_empty() {
                head
            } else {
                format!("{head}\n{}", stack.trim_end())
            }
        }
        CaughtError::Value(v) => {
            if let Some(obj) = v.as_object() {
                let message: Option<String> = obj.get("message").ok();
                let stack: Option<String> = obj.get("stack").ok();
                if let Some(m) = message {
                    return match stack {
                        Some(s) if !s.trim().is_empty() => format!("{m}\n{}", s.trim_end()),
                        _ => m,
                    };
                }
            }
            let s = ctx.json_stringify(v.clone()).ok().flatten().and_then(|s| s.to_string().ok());
            format!("uncaught exception: {}", s.unwrap_or_else(|| format!("{v:?}")))
        }
        CaughtError::Error(e) => format!("engine error: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Extism kernel helpers.

// The Owncast host's bulk copies between kernel memory and this module's
// memory: one call where Extism's kernel functions move 8 bytes a call. Each
// returns the number of bytes copied; a host without them gives its plugins
// stand-ins that return 0 (the extism-compare bench gives official Extism
// no-op `owncast_*` functions), and the copy is then done the Extism way.
// After the first stand-in answer the engine stops asking.
#[link(wasm_import_module = "extism:host/user")]
extern "C" {
    fn owncast_kernel_load(offset: u64, ptr: u64, len: u64) -> u64;
    fn owncast_kernel_store(offset: u64, ptr: u64, len: u64) -> u64;
    fn owncast_input_load(ptr: u64, len: u64) -> u64;
}

/// Whether the host's bulk copies work (until one answers like a stand-in).
static BULK: Slot<bool> = Slot(UnsafeCell::new(true));

/// Runs bulk copy `copy` (of `len` bytes, not 0) unless the host has shown it
/// has only a stand-in; whether it copied.
fn bulk(len: u64, copy: impl FnOnce() -> u64) -> bool {
    // SAFETY: single-threaded.
    let works = unsafe { &mut *BULK.0.get() };
    *works = *works && copy() == len;
    *works
}

fn alloc_bytes(data: &[u8]) -> u64 {
    if data.is_empty() {
        // Extism kernels give an empty block offset 0 ("none"); keep that.
        return unsafe { kernel::alloc(0) };
    }
    let len = data.len() as u64;
    unsafe {
        let off = kernel::alloc(len);
        if !bulk(len, || owncast_kernel_store(off, data.as_ptr() as u64, len)) {
            kernel::store(off, data);
        }
        off
    }
}

fn read_block(off: u64) -> Vec<u8> {
    if off == 0 {
        return Vec::new();
    }
    let len = unsafe { kernel::length(off) };
    let mut buf = vec![0u8; len as usize];
    if len > 0 && !bulk(len, || unsafe { owncast_kernel_load(off, buf.as_mut_ptr() as u64, len) }) {
        unsafe { kernel::load(off, &mut buf) };
    }
    buf
}

/// The call's input.
fn input_bytes() -> Vec<u8> {
    let len = unsafe { kernel::input_length() };
    let mut buf = vec![0u8; len as usize];
    if len > 0 && !bulk(len, || unsafe { owncast_input_load(buf.as_mut_ptr() as u64, len) }) {
        return unsafe { kernel::load_input() };
    }
    buf
}

/// A kernel block's bytes as text (invalid UTF-8 replaced, as extism-js's
/// `readString` does); empty for offset 0.
fn read_text(off: u64) -> String {
    String::from_utf8_lossy(&read_block(off)).into_owned()
}

/// A returned block's text, the block freed; `None` for offset 0.
fn take_text(off: u64) -> Option<String> {
    if off == 0 {
        return None;
    }
    let text = read_text(off);
    unsafe { kernel::free(off) };
    Some(text)
}

fn output_bytes(data: &[u8]) {
    let off = alloc_bytes(data);
    unsafe { kernel::output_set(off, data.len() as u64) };
}

fn set_error(msg: &str) {
    let off = alloc_bytes(msg.as_bytes());
    unsafe { kernel::error_set(off) };
}

fn input_string() -> String {
    let bytes = input_bytes();
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn config_string(key: &str) -> Result<Option<String>, String> {
    let k = alloc_bytes(key.as_bytes());
    let off = unsafe { kernel::config_get(k) };
    unsafe { kernel::free(k) };
    if off == 0 {
        return Ok(None);
    }
    let bytes = read_block(off);
    unsafe { kernel::free(off) };
    String::from_utf8(bytes).map(Some).map_err(|_| format!("config `{key}` is not valid UTF-8"))
}

// ---------------------------------------------------------------------------
// JS <-> bytes.

/// Bytes of a string, ArrayBuffer or typed array / DataView value.
fn js_bytes(v: &Value<'_>) -> Option<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return s.to_string().ok().map(String::into_bytes);
    }
    let obj = v.as_object()?;
    if let Some(ab) = ArrayBuffer::from_object(obj.clone()) {
        // SAFETY: no JS runs while the slice is alive.
        return unsafe { ab.as_bytes() }.map(<[u8]>::to_vec);
    }
    if let Ok(ta) = TypedArray::<u8>::from_object(obj.clone()) {
        return unsafe { ta.as_bytes() }.map(<[u8]>::to_vec);
    }
    // Other views (Int8Array, DataView, ...): view the same bytes as u8.
    let buffer: ArrayBuffer = obj.get("buffer").ok()?;
    let offset: f64 = obj.get("byteOffset").ok()?;
    let len: f64 = obj.get("byteLength").ok()?;
    let all = unsafe { buffer.as_bytes() }?;
    let (o, l) = (offset as usize, len as usize);
    all.get(o..o + l).map(<[u8]>::to_vec)
}

fn need_bytes<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str) -> rquickjs::Result<Vec<u8>> {
    js_bytes(v).ok_or_else(|| {
        rquickjs::Exception::throw_type(ctx, &format!("{what}: expected a string, ArrayBuffer or typed array"))
    })
}

fn num_arg<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str) -> rquickjs::Result<f64> {
    if let Some(n) = v.as_number() {
        return Ok(n);
    }
    if let Some(b) = v.as_big_int() {
        return Ok(b.clone().to_i64()? as f64);
    }
    if v.is_undefined() || v.is_null() {
        return Ok(0.0);
    }
    if let Some(b) = v.as_bool() {
        return Ok(if b { 1.0 } else { 0.0 });
    }
    Err(rquickjs::Exception::throw_type(ctx, &format!("{what}: expected a number")))
}

fn buffer<'js>(ctx: &Ctx<'js>, data: Vec<u8>) -> rquickjs::Result<Value<'js>> {
    Ok(ArrayBuffer::new(ctx.clone(), data)?.into_value())
}

// ---------------------------------------------------------------------------
// Native primitives, installed as the global `__owncast_native` and consumed
// (then deleted) by prelude.js.

fn install_natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let n = Object::new(ctx.clone())?;

    n.set("inputString", Function::new(ctx.clone(), || -> String { input_string() })?)?;
    n.set("inputBytes", Function::new(ctx.clone(), |ctx: Ctx<'js>| buffer(&ctx, input_bytes()))?)?;
    n.set(
        "output",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let bytes = need_bytes(&ctx, &v, "output")?;
            output_bytes(&bytes);
            Ok::<_, rquickjs::Error>(())
        })?,
    )?;
    n.set(
        "alloc",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let bytes = need_bytes(&ctx, &v, "Memory")?;
            Ok::<_, rquickjs::Error>(alloc_bytes(&bytes) as f64)
        })?,
    )?;
    n.set(
        "length",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let off = num_arg(&ctx, &v, "offset")? as u64;
            Ok::<_, rquickjs::Error>(if off == 0 { 0.0 } else { unsafe { kernel::length(off) as f64 } })
        })?,
    )?;
    n.set(
        "readString",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let off = num_arg(&ctx, &v, "offset")? as u64;
            Ok::<_, rquickjs::Error>(read_text(off))
        })?,
    )?;
    n.set(
        "readBytes",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let off = num_arg(&ctx, &v, "offset")? as u64;
            buffer(&ctx, read_block(off))
        })?,
    )?;
    n.set(
        "free",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let off = num_arg(&ctx, &v, "offset")? as u64;
            if off != 0 {
                unsafe { kernel::free(off) };
            }
            Ok::<_, rquickjs::Error>(())
        })?,
    )?;
    n.set(
        "configGet",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, key: String| {
            let v = config_string(&key).map_err(|e| rquickjs::Exception::throw_message(&ctx, &e))?;
            Ok::<_, rquickjs::Error>(v)
        })?,
    )?;
    n.set(
        "varGet",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, key: String| {
            let k = alloc_bytes(key.as_bytes());
            let off = unsafe { kernel::var_get(k) };
            unsafe { kernel::free(k) };
            if off == 0 {
                return Ok(Value::new_null(ctx.clone()));
            }
            let bytes = read_block(off);
            unsafe { kernel::free(off) };
            buffer(&ctx, bytes)
        })?,
    )?;
    n.set(
        "varSet",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, key: String, v: Value<'js>| {
            let k = alloc_bytes(key.as_bytes());
            let val = if v.is_undefined() || v.is_null() { 0 } else { alloc_bytes(&need_bytes(&ctx, &v, "Var.set")?) };
            unsafe { kernel::var_set(k, val) };
            unsafe { kernel::free(k) };
            if val != 0 {
                unsafe { kernel::free(val) };
            }
            Ok::<_, rquickjs::Error>(())
        })?,
    )?;
    n.set(
        "http",
        // (requestJson, body?) -> [status, bodyArrayBuffer, headersJson|null]
        Function::new(ctx.clone(), |ctx: Ctx<'js>, req: String, body: Value<'js>| -> rquickjs::Result<Value<'js>> {
            let r = alloc_bytes(req.as_bytes());
            let b = if body.is_undefined() || body.is_null() {
                0
            } else {
                alloc_bytes(&need_bytes(&ctx, &body, "Http.request body")?)
            };
            let off = unsafe { kernel::http_request(r, b) };
            let status = unsafe { kernel::http_status_code() };
            let resp = read_block(off);
            let hoff = unsafe { kernel::http_headers() };
            let headers = take_text(hoff);
            unsafe {
                kernel::free(r);
                if b != 0 {
                    kernel::free(b);
                }
                if off != 0 {
                    kernel::free(off);
                }
            }
            let arr = rquickjs::Array::new(ctx.clone())?;
            arr.set(0, status)?;
            arr.set(1, buffer(&ctx, resp)?)?;
            arr.set(2, headers)?;
            Ok(arr.into_value())
        })?,
    )?;
    n.set(
        "log",
        Function::new(ctx.clone(), |level: i32, msg: String| {
            let off = alloc_bytes(msg.as_bytes());
            unsafe {
                match level {
                    0 => kernel::log_trace(off),
                    1 => kernel::log_debug(off),
                    2 => kernel::log_info(off),
                    3 => kernel::log_warn(off),
                    _ => kernel::log_error(off),
                }
                kernel::free(off);
            }
        })?,
    )?;
    n.set("random", Function::new(ctx.clone(), random_f64)?)?;
    n.set(
        "jsonStringify",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| -> rquickjs::Result<Value<'js>> {
            match json::stringify(&ctx, &v)? {
                Some(s) => Ok(rquickjs::String::from_str(ctx, &s)?.into_value()),
                None => Ok(Value::new_undefined(ctx)),
            }
        })?,
    )?;
    n.set("jsonParse", Function::new(ctx.clone(), |ctx: Ctx<'js>, text: Value<'js>| json::parse(&ctx, &text))?)?;
    n.set(
        "takeString",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let off = num_arg(&ctx, &v, "offset")? as u64;
            Ok::<_, rquickjs::Error>(take_text(off))
        })?,
    )?;
    n.set("logLevel", Function::new(ctx.clone(), || -> i32 { unsafe { kernel::get_log_level() } })?)?;
    n.set("utf8Encode", Function::new(ctx.clone(), |ctx: Ctx<'js>, s: String| buffer(&ctx, s.into_bytes()))?)?;
    n.set(
        "utf8Decode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>, fatal: Option<bool>| -> rquickjs::Result<String> {
            let bytes = need_bytes(&ctx, &v, "TextDecoder.decode")?;
            match String::from_utf8(bytes) {
                Ok(s) => Ok(s),
                Err(_) if fatal.unwrap_or(false) => {
                    Err(rquickjs::Exception::throw_type(&ctx, "The encoded data was not valid for encoding utf-8"))
                }
                Err(e) => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            }
        })?,
    )?;

    let host_fns = Object::new(ctx.clone())?;
    install_host_fns(ctx, &host_fns)?;
    n.set("hostFunctions", host_fns)?;
    let sigs = Object::new(ctx.clone())?;
    for (name, sig) in HOST_SIGNATURES {
        sigs.set(*name, *sig)?;
    }
    n.set("hostSignatures", sigs)?;

    ctx.globals().set("__owncast_native", n)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// owncast_* host functions (Extism user namespace). Every function of the
// contract is imported; a shared engine serves plugins with any permission
// set, and the host gates each call by the calling plugin's grant.

/// Kernel blocks a host function call made of its string arguments, freed
/// when the call returns (or an argument fails to convert).
#[derive(Default)]
struct CallBlocks(Vec<u64>);

impl Drop for CallBlocks {
    fn drop(&mut self) {
        for &off in &self.0 {
            if off != 0 {
                unsafe { kernel::free(off) };
            }
        }
    }
}

trait WasmArg: Sized {
    fn from_js<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str, blocks: &mut CallBlocks) -> rquickjs::Result<Self>;
}
/// An offset (a number, as extism-js passes them), or a string, which this
/// engine copies into a kernel block for the call (`__owncast_engine.hostStrings`:
/// the SDK then skips `Memory.fromString` and the frees, several native calls).
impl WasmArg for u64 {
    fn from_js<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str, blocks: &mut CallBlocks) -> rquickjs::Result<Self> {
        if let Some(s) = v.as_string() {
            let off = alloc_bytes(s.to_string()?.as_bytes());
            blocks.0.push(off);
            return Ok(off);
        }
        if let Some(b) = v.as_big_int() {
            return Ok(b.clone().to_i64()? as u64);
        }
        Ok(num_arg(ctx, v, what)? as i64 as u64)
    }
}
impl WasmArg for i32 {
    fn from_js<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str, _: &mut CallBlocks) -> rquickjs::Result<Self> {
        Ok(num_arg(ctx, v, what)? as i64 as i32)
    }
}

trait WasmRet {
    fn into_js<'js>(self, ctx: &Ctx<'js>) -> Value<'js>;
}
impl WasmRet for u64 {
    fn into_js<'js>(self, ctx: &Ctx<'js>) -> Value<'js> {
        Value::new_number(ctx.clone(), self as f64)
    }
}
impl WasmRet for i32 {
    fn into_js<'js>(self, ctx: &Ctx<'js>) -> Value<'js> {
        Value::new_int(ctx.clone(), self)
    }
}
impl WasmRet for () {
    fn into_js<'js>(self, ctx: &Ctx<'js>) -> Value<'js> {
        Value::new_undefined(ctx.clone())
    }
}

macro_rules! host_functions {
    ($( fn $name:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        mod imports {
            #[link(wasm_import_module = "extism:host/user")]
            extern "C" {
                $( pub fn $name( $( $arg: $ty ),* ) -> $ret; )*
            }
        }

        /// Names and wasm signatures, exposed to JS as `__owncast_engine.hostSignatures`.
        const HOST_SIGNATURES: &[(&str, &str)] = &[
            $( (stringify!($name), concat!("(", $( stringify!($ty), " ", )* ") -> ", stringify!($ret))), )*
        ];

        fn install_host_fns<'js>(ctx: &Ctx<'js>, obj: &Object<'js>) -> rquickjs::Result<()> {
            $(
                let f = Function::new(ctx.clone(), |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                    #[allow(unused_variables, unused_mut)]
                    let mut args = args.0.into_iter();
                    #[allow(unused_mut)]
                    let mut blocks = CallBlocks::default();
                    $(
                        let v = args.next().unwrap_or_else(|| Value::new_undefined(ctx.clone()));
                        let $arg = <$ty as WasmArg>::from_js(
                            &ctx, &v, concat!(stringify!($name), " argument `", stringify!($arg), "`"), &mut blocks)?;
                    )*
                    let r: $ret = unsafe { imports::$name( $( $arg ),* ) };
                    drop(blocks);
                    Ok(WasmRet::into_js(r, &ctx))
                })?.with_name(stringify!($name))?;
                obj.set(stringify!($name), f)?;
            )*
            Ok(())
        }
    };
}

// The imports, one per legacy function of the contract, generated from the
// host's declarations (CI fails when this file is stale).
include!("host_imports.rs");
