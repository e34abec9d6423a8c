//! The loader, compiled legacy code and live instances.

use crate::env::{self, ENV, KERNEL_FUNCTIONS};
use crate::kernel::Kernel;
use crate::snapshot::{self, Const, Split, SNAPSHOT_MODULE};
use crate::state::{legacy_manifest, manifest_json, LegacyPlugin, State};
use crate::user::{self, Bind, CallGate, USER};
use crate::wasm::has_custom_section;
use owncast_plugin_host::context::CallScope;
use owncast_plugin_host::event::{Event, Verdict};
use owncast_plugin_host::logpipe::LogPipe;
use owncast_plugin_host::permissions::{for_legacy_function, Permissions};
use owncast_plugin_host::plugin::{is_component, is_core_module, LoadRequest};
use owncast_plugin_host::runtime::{store_limits, CallKind};
use owncast_plugin_host::types::{ContentRequest, HttpRequest, HttpResponse, Registration};
use owncast_plugin_host::ui::ContentHook;
use owncast_plugin_host::{CallError, LoadError, PluginCode, PluginContext, PluginInstance, PluginLoader, Runtime};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use wasmtime::{Extern, ExternType, Instance, InstancePre, Linker, Module, Store, TypedFunc, ValType};

/// The custom section that marks a module built on the Owncast JS engine
/// (it imports every `owncast_*` function and reads `manifest` from config).
pub const ENGINE_SECTION: &str = "owncast-engine";

const WASI_P1: &str = "wasi_snapshot_preview1";

/// Every function of WASI preview 1 (the set is frozen).
const WASI_P1_FUNCTIONS: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// Loads Extism core modules: self-contained plugins (`.wasm`) and, for
/// each registered shared engine, scripts run by that engine.
#[derive(Default)]
pub struct ExtismLoader {
    engines: Vec<SharedEngine>,
    /// The engine code of engine-built modules (see [`snapshot`]), compiled
    /// and linked once per Wasmtime engine and code, shared by every plugin
    /// built on it while one is loaded.
    engine_code: Mutex<Vec<EngineCode>>,
    /// Load engine-built modules whole, each compiled on its own (as before
    /// the split; for comparison in benchmarks).
    whole_engine_modules: bool,
}

struct EngineCode {
    engine: wasmtime::Engine,
    /// SHA-256 of the code module's bytes.
    digest: [u8; 32],
    prepared: Weak<Prepared>,
}

/// One interpreter module that runs every plugin of a language.
struct SharedEngine {
    /// The file extension of its scripts, e.g. `js`.
    kind: String,
    wasm: Arc<Vec<u8>>,
    /// Compiled and linked once per Wasmtime engine.
    prepared: Mutex<Vec<(wasmtime::Engine, Arc<Prepared>)>>,
}

impl ExtismLoader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a shared engine: bundle code in files ending in `.<kind>`
    /// (e.g. `js`) is run by instantiating `engine_wasm` with Extism config
    /// `script` (the file), `manifest` (the manifest JSON) and `__slug`.
    pub fn with_shared_engine(mut self, kind: &str, engine_wasm: impl Into<Vec<u8>>) -> Self {
        let kind = kind.trim_start_matches('.').to_string();
        self.engines.retain(|e| e.kind != kind);
        self.engines.push(SharedEngine { kind, wasm: Arc::new(engine_wasm.into()), prepared: Mutex::new(Vec::new()) });
        self
    }

    /// [`with_shared_engine`](Self::with_shared_engine) from a file.
    pub fn with_shared_engine_file(self, kind: &str, path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(self.with_shared_engine(kind, bytes))
    }

    /// Loads modules built on the JS engine whole, each with its own
    /// compiled code, instead of sharing the engine's code between them
    /// (`owncast-plugin bench --whole-modules` compares the two).
    pub fn with_whole_engine_modules(mut self) -> Self {
        self.whole_engine_modules = true;
        self
    }

    /// How many compiled engine codes of engine-built modules are in use
    /// (one per engine build and Wasmtime engine, however many plugins are
    /// loaded on it; see [`snapshot`](crate::snapshot)).
    pub fn engine_code_in_use(&self) -> usize {
        self.engine_code.lock().unwrap().iter().filter(|c| c.prepared.strong_count() > 0).count()
    }

    fn engine_for(&self, file: &str) -> Option<&SharedEngine> {
        let ext = Path::new(file).extension()?.to_str()?;
        self.engines.iter().find(|e| e.kind == ext)
    }
}

impl PluginLoader for ExtismLoader {
    fn kind(&self) -> &'static str {
        "extism"
    }

    /// Any core module (`\0asm` version 1), whatever its file name; or a
    /// script whose extension names a registered shared engine.
    fn recognizes(&self, bytes: &[u8], file: &str) -> bool {
        if is_core_module(bytes) {
            return true;
        }
        !is_component(bytes) && !bytes.starts_with(b"\0asm") && self.engine_for(file).is_some()
    }

    fn load(&self, req: LoadRequest<'_>) -> Result<Arc<dyn PluginCode>, LoadError> {
        Ok(Arc::new(self.load_code(req)?))
    }
}

impl ExtismLoader {
    fn load_code(&self, req: LoadRequest<'_>) -> Result<ExtismCode, LoadError> {
        let slug = req.manifest.slug.clone();
        let mut host_config = BTreeMap::from([("__slug".to_string(), slug)]);
        let mut snapshot = None;
        let prepared = if is_core_module(req.bytes) {
            let engine_built = has_custom_section(req.bytes, ENGINE_SECTION);
            if engine_built {
                host_config.insert("manifest".into(), manifest_json(req.manifest));
            }
            let split = engine_built && !self.whole_engine_modules;
            match split.then(|| snapshot::split(req.bytes)).flatten() {
                // The engine's code shared, the plugin's snapshot its own.
                Some(split) => {
                    let (prepared, s) = self.split_code(req.runtime, req.file, split)?;
                    snapshot = Some(s);
                    prepared
                }
                None => {
                    let module = req.runtime.compile_module(req.bytes).map_err(|e| LoadError::Code {
                        file: req.file.to_string(),
                        message: format!("not a valid WebAssembly module: {e:#}"),
                    })?;
                    // Modules built on the engine import every host function: each
                    // call is checked against the grant (`user::CallGate::EachCall`).
                    let gate = if engine_built {
                        Gate::Runtime
                    } else {
                        Gate::Load { declared: &req.manifest.permissions, grants: req.grants }
                    };
                    Arc::new(prepare(&module, req.file, gate)?)
                }
            }
        } else if let Some(engine) = self.engine_for(req.file) {
            let script = std::str::from_utf8(req.bytes).map_err(|e| LoadError::Code {
                file: req.file.to_string(),
                message: format!("a {} script must be UTF-8: {e}", engine.kind),
            })?;
            host_config.insert("script".into(), script.to_string());
            host_config.insert("manifest".into(), manifest_json(req.manifest));
            engine.prepared(req.runtime)?
        } else {
            return Err(LoadError::Code {
                file: req.file.to_string(),
                message: "not a WebAssembly core module".into(),
            });
        };
        let plugin = Arc::new(LegacyPlugin {
            manifest: legacy_manifest(req.manifest, req.grants, req.runtime.limits(), host_config),
        });
        Ok(ExtismCode(Arc::new(CodeInner { prepared, snapshot, plugin, runtime: req.runtime.clone() })))
    }

    /// The shared engine code of a split engine-built module (compiled and
    /// linked on first use), and the plugin's own snapshot.
    fn split_code(
        &self,
        runtime: &Arc<Runtime>,
        file: &str,
        split: Split,
    ) -> Result<(Arc<Prepared>, Snapshot), LoadError> {
        use sha2::Digest;
        let code_err = |what: &str, e: wasmtime::Error| LoadError::Code {
            file: file.to_string(),
            message: format!("not a valid WebAssembly module ({what}): {e:#}"),
        };
        let memory_module = runtime.compile_module(&split.memory).map_err(|e| code_err("its memory", e))?;
        let memory = Linker::<State>::new(runtime.engine())
            .instantiate_pre(&memory_module)
            .map_err(|e| code_err("its memory", e))?;
        let snapshot = Snapshot { memory, globals: split.globals };
        let digest: [u8; 32] = sha2::Sha256::digest(&split.code).into();
        let mut cache = self.engine_code.lock().unwrap();
        cache.retain(|c| c.prepared.strong_count() > 0);
        let found = cache
            .iter()
            .find(|c| c.digest == digest && wasmtime::Engine::same(&c.engine, runtime.engine()))
            .and_then(|c| c.prepared.upgrade());
        if let Some(prepared) = found {
            return Ok((prepared, snapshot));
        }
        let module = runtime.compile_module(&split.code).map_err(|e| code_err("its engine code", e))?;
        let prepared = Arc::new(prepare(&module, file, Gate::Runtime)?);
        cache.push(EngineCode { engine: runtime.engine().clone(), digest, prepared: Arc::downgrade(&prepared) });
        Ok((prepared, snapshot))
    }
}

impl SharedEngine {
    fn prepared(&self, runtime: &Arc<Runtime>) -> Result<Arc<Prepared>, LoadError> {
        let mut cache = self.prepared.lock().unwrap();
        if let Some((_, p)) = cache.iter().find(|(e, _)| wasmtime::Engine::same(e, runtime.engine())) {
            return Ok(p.clone());
        }
        let file = format!("shared {} engine", self.kind);
        let module = runtime.compile_module(&self.wasm[..]).map_err(|e| LoadError::Code {
            file: file.clone(),
            message: format!("not a valid WebAssembly module: {e:#}"),
        })?;
        let p = Arc::new(prepare(&module, &file, Gate::Runtime)?);
        // Keep the engines of the last few runtimes (one in production).
        if cache.len() >= 4 {
            cache.remove(0);
        }
        cache.push((runtime.engine().clone(), p.clone()));
        Ok(p)
    }
}

/// How host-function imports are checked.
enum Gate<'a> {
    /// At load: an import the grant does not cover refuses the module.
    Load { declared: &'a Permissions, grants: &'a Permissions },
    /// At call time only (modules that import every function): each
    /// `owncast_*` function checks the calling plugin's grant.
    Runtime,
}

/// What an export looks like: Extism exports take nothing and return an
/// `i32` status (some PDKs return nothing).
#[derive(Clone, Copy)]
enum Shape {
    Status,
    Unit,
}

#[derive(Clone, Copy, Default)]
struct Exports {
    register: Option<Shape>,
    on_event: Option<Shape>,
    on_filter: Option<Shape>,
    on_http_request: Option<Shape>,
    /// Optional (auth.gate): the gate's session re-validation.
    on_auth_check: Option<Shape>,
    /// Optional page-content exports, in [`ContentHook::ALL`] order.
    content: [Option<Shape>; 4],
}

/// A module linked and checked: shareable between the plugins of a shared
/// engine, and between the plugins built on one engine (the code module of
/// a [`Split`]).
struct Prepared {
    link: Link,
    exports: Exports,
    initialize: bool,
}

enum Link {
    /// A module with its own memory: everything linked.
    Whole(InstancePre<State>),
    /// The code module of a [`Split`]: everything linked but its memory,
    /// which each plugin's [`Snapshot`] provides.
    Code { linker: Linker<State>, module: Module },
}

/// A plugin's own part of a split engine-built module.
struct Snapshot {
    /// The memory module: the plugin's memory with its snapshot as a
    /// copy-on-write image.
    memory: InstancePre<State>,
    /// The snapshot values of the code module's mutable globals, by export name.
    globals: Vec<(String, Const)>,
}

fn prepare(module: &Module, file: &str, gate: Gate<'_>) -> Result<Prepared, LoadError> {
    let code = |message: String| LoadError::Code { file: file.to_string(), message };
    let unknown = |m: &str, n: &str| LoadError::UnknownImport { file: file.to_string(), import: format!("{m}::{n}") };
    let mut linker = Linker::<State>::new(module.engine());
    env::add_to_linker(&mut linker).map_err(|e| code(format!("linking the Extism kernel: {e:#}")))?;
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut State| &mut s.wasi)
        .map_err(|e| code(format!("linking WASI: {e:#}")))?;
    let mut snapshot_memory = false;
    for import in module.imports() {
        let (m, name) = (import.module(), import.name());
        if (m, name) == (SNAPSHOT_MODULE, snapshot::MEMORY) && matches!(import.ty(), ExternType::Memory(_)) {
            // The code module of a split: each plugin's snapshot brings it.
            snapshot_memory = true;
            continue;
        }
        let ExternType::Func(ty) = import.ty() else { return Err(unknown(m, name)) };
        match m {
            ENV if KERNEL_FUNCTIONS.contains(&name) => {}
            WASI_P1 if WASI_P1_FUNCTIONS.contains(&name) => {}
            USER if env::bulk_params(name).is_some() => {
                let want = env::bulk_params(name).unwrap_or_default();
                let (params, results) = (ty.params().len(), ty.results().len());
                let int64 = ty.params().chain(ty.results()).all(|t| matches!(t, ValType::I64));
                if !(int64 && params == want && results == 1) {
                    return Err(code(format!(
                        "imports `{USER}::{name}` with type {}; this host has it as ({}) -> i64",
                        show_type(&ty),
                        vec!["i64"; want].join(", ")
                    )));
                }
            }
            USER => {
                let (Some(f), Ok(needs)) = (user::find(name), for_legacy_function(name)) else {
                    return Err(unknown(m, name));
                };
                let call_gate = match (&gate, needs) {
                    (Gate::Load { declared, grants }, Some(permission)) if !grants.contains(permission) => {
                        return Err(LoadError::Ungranted {
                            file: file.to_string(),
                            import: name.to_string(),
                            permission,
                            granted_by_manifest: declared.contains(permission),
                        });
                    }
                    (Gate::Load { .. }, _) => CallGate::Linked,
                    (Gate::Runtime, _) => CallGate::EachCall,
                };
                if !f.accepts(&ty) {
                    return Err(code(format!(
                        "imports `{USER}::{name}` with type {}; this host accepts {} (fewer arguments, no result or i32/i64 variants)",
                        show_type(&ty),
                        f.signature()
                    )));
                }
                f.define(&mut linker, ty, call_gate).map_err(|e| code(format!("linking {name}: {e:#}")))?;
            }
            _ => return Err(unknown(m, name)),
        }
    }
    let mut exports = Exports::default();
    let mut initialize = false;
    for export in module.exports() {
        let ExternType::Func(ty) = export.ty() else { continue };
        let slot = match export.name() {
            "register" => &mut exports.register,
            "on_event" => &mut exports.on_event,
            "on_filter" => &mut exports.on_filter,
            "on_http_request" => &mut exports.on_http_request,
            "on_auth_check" => &mut exports.on_auth_check,
            "on_tab_content" => &mut exports.content[0],
            "on_page_content" => &mut exports.content[1],
            "on_page_styles" => &mut exports.content[2],
            "on_page_scripts" => &mut exports.content[3],
            "_initialize" => {
                initialize = ty.params().len() == 0 && ty.results().len() == 0;
                continue;
            }
            _ => continue,
        };
        let results: Vec<ValType> = ty.results().collect();
        *slot = Some(match (ty.params().len(), results.as_slice()) {
            (0, [ValType::I32]) => Shape::Status,
            (0, []) => Shape::Unit,
            _ => {
                return Err(code(format!(
                    "export `{}` has type {}; Extism exports take no parameters and return i32",
                    export.name(),
                    show_type(&ty)
                )))
            }
        });
    }
    if exports.register.is_none()
        && exports.on_event.is_none()
        && exports.on_filter.is_none()
        && exports.on_http_request.is_none()
    {
        return Err(code("exports none of register, on_event, on_filter, on_http_request".into()));
    }
    let link = if snapshot_memory {
        Link::Code { linker, module: module.clone() }
    } else {
        Link::Whole(linker.instantiate_pre(module).map_err(|e| code(format!("{e:#}")))?)
    };
    Ok(Prepared { link, exports, initialize })
}

fn show_type(ty: &wasmtime::FuncType) -> String {
    let p: Vec<String> = ty.params().map(|t| t.to_string()).collect();
    let r: Vec<String> = ty.results().map(|t| t.to_string()).collect();
    if r.is_empty() {
        format!("({})", p.join(", "))
    } else {
        format!("({}) -> {}", p.join(", "), r.join(", "))
    }
}

/// A legacy plugin ready to instantiate.
struct ExtismCode(Arc<CodeInner>);

struct CodeInner {
    prepared: Arc<Prepared>,
    /// The plugin's snapshot when `prepared` is shared engine code ([`Link::Code`]).
    snapshot: Option<Snapshot>,
    plugin: Arc<LegacyPlugin>,
    runtime: Arc<Runtime>,
}

#[async_trait::async_trait]
impl PluginCode for ExtismCode {
    async fn instantiate(
        &self,
        ctx: Arc<PluginContext>,
        deadline: Option<std::time::Instant>,
    ) -> Result<Box<dyn PluginInstance>, CallError> {
        let live = self.0.live(ctx.clone(), deadline).await?;
        Ok(Box::new(ExtismInstance { code: self.0.clone(), ctx, live: Some(live), scope: CallScope::new(deadline) }))
    }
}

enum Func {
    Status(TypedFunc<(), i32>),
    Unit(TypedFunc<(), ()>),
}

/// One instantiation: its store and exports.
struct Live {
    store: Store<State>,
    register: Option<Func>,
    on_event: Option<Func>,
    on_filter: Option<Func>,
    on_http_request: Option<Func>,
    on_auth_check: Option<Func>,
    content: [Option<Func>; 4],
}

impl CodeInner {
    /// A new instantiation; its start (`_initialize`) stops at `deadline`.
    async fn live(&self, ctx: Arc<PluginContext>, deadline: Option<std::time::Instant>) -> Result<Live, CallError> {
        let limits = self.runtime.limits();
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stdout(LogPipe::new(ctx.slug(), "stdout"))
            .stderr(LogPipe::new(ctx.slug(), "stderr"))
            .build_p1();
        let metered = owncast_plugin_host::metrics::MeteredLimits::new(store_limits(limits), ctx.metrics().clone());
        let state = State {
            ctx,
            call: CallScope::new(deadline),
            plugin: self.plugin.clone(),
            kernel: Kernel::default(),
            vars: Default::default(),
            http_status: 0,
            http_headers: None,
            wasi,
            limits: metered,
            memory_cap: limits.memory_bytes as u64,
            memory: None,
        };
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|s| s as &mut dyn wasmtime::ResourceLimiter);
        let err = |e: wasmtime::Error| CallError::Instantiate(format!("{e:#}"));
        let _ticking = self.runtime.arm(&mut store, CallKind::Register, deadline);
        let instance = match (&self.prepared.link, &self.snapshot) {
            (Link::Whole(pre), _) => pre.instantiate_async(&mut store).await.map_err(err)?,
            (Link::Code { linker, module }, Some(snapshot)) => {
                let mem = snapshot.memory.instantiate_async(&mut store).await.map_err(err)?;
                let memory = mem
                    .get_memory(&mut store, snapshot::MEMORY)
                    .ok_or_else(|| CallError::Instantiate("the snapshot's memory module exports no memory".into()))?;
                let mut imports: Vec<Extern> = Vec::with_capacity(module.imports().len());
                for import in module.imports() {
                    imports.push(if import.module() == SNAPSHOT_MODULE {
                        memory.into()
                    } else {
                        linker.get_by_import(&mut store, &import).ok_or_else(|| {
                            CallError::Instantiate(format!("{}::{} is not linked", import.module(), import.name()))
                        })?
                    });
                }
                let instance = Instance::new_async(&mut store, module, &imports).await.map_err(err)?;
                for (name, value) in &snapshot.globals {
                    let global = instance
                        .get_global(&mut store, name)
                        .ok_or_else(|| CallError::Instantiate(format!("the engine code exports no global {name}")))?;
                    global.set(&mut store, value.val()).map_err(err)?;
                }
                instance
            }
            (Link::Code { .. }, None) => {
                return Err(CallError::Instantiate("engine code without a plugin snapshot".into()));
            }
        };
        let memory = instance.get_memory(&mut store, "memory");
        store.data_mut().memory = memory;
        if self.prepared.initialize {
            let init = instance.get_typed_func::<(), ()>(&mut store, "_initialize").map_err(err)?;
            init.call_async(&mut store, ()).await.map_err(err)?;
        }
        let ex = self.prepared.exports;
        let mut func = |name: &str, shape: Option<Shape>| -> Result<Option<Func>, CallError> {
            Ok(match shape {
                None => None,
                Some(Shape::Status) => Some(Func::Status(instance.get_typed_func(&mut store, name).map_err(err)?)),
                Some(Shape::Unit) => Some(Func::Unit(instance.get_typed_func(&mut store, name).map_err(err)?)),
            })
        };
        let register = func("register", ex.register)?;
        let on_event = func("on_event", ex.on_event)?;
        let on_filter = func("on_filter", ex.on_filter)?;
        let on_http_request = func("on_http_request", ex.on_http_request)?;
        let on_auth_check = func("on_auth_check", ex.on_auth_check)?;
        let mut content: [Option<Func>; 4] = Default::default();
        for (slot, hook) in content.iter_mut().zip(ContentHook::ALL) {
            *slot = func(hook.export(), ex.content[content_index(hook)])?;
        }
        Ok(Live { store, register, on_event, on_filter, on_http_request, on_auth_check, content })
    }
}

/// A live legacy plugin.
struct ExtismInstance {
    code: Arc<CodeInner>,
    ctx: Arc<PluginContext>,
    /// `None` after the module exited (WASI `proc_exit(0)`): the next call
    /// starts a fresh instance.
    live: Option<Live>,
    /// The next call's scope; in the store while the call runs.
    scope: CallScope,
}

#[derive(Clone, Copy)]
enum Export {
    Register,
    OnEvent,
    OnFilter,
    OnHttpRequest,
    OnAuthCheck,
    Content(ContentHook),
}

/// The position of a content export in [`Exports::content`] and [`Live::content`].
fn content_index(hook: ContentHook) -> usize {
    ContentHook::ALL.iter().position(|h| *h == hook).expect("every hook is in ALL")
}

impl Export {
    fn name(self) -> &'static str {
        match self {
            Export::Register => "register",
            Export::OnEvent => "on_event",
            Export::OnFilter => "on_filter",
            Export::OnHttpRequest => "on_http_request",
            Export::OnAuthCheck => "on_auth_check",
            Export::Content(hook) => hook.export(),
        }
    }
    fn kind(self) -> CallKind {
        match self {
            Export::Register => CallKind::Register,
            Export::OnEvent => CallKind::Event,
            Export::OnFilter => CallKind::Filter,
            Export::OnHttpRequest | Export::OnAuthCheck => CallKind::Http,
            Export::Content(_) => CallKind::Content,
        }
    }
    fn exported(self, e: &Exports) -> bool {
        match self {
            Export::Register => e.register.is_some(),
            Export::OnEvent => e.on_event.is_some(),
            Export::OnFilter => e.on_filter.is_some(),
            Export::OnHttpRequest => e.on_http_request.is_some(),
            Export::OnAuthCheck => e.on_auth_check.is_some(),
            Export::Content(hook) => e.content[content_index(hook)].is_some(),
        }
    }
}

impl ExtismInstance {
    /// Runs one export with `input`; returns its output.
    async fn call(&mut self, export: Export, input: &[u8]) -> Result<Vec<u8>, CallError> {
        let name = export.name();
        if !export.exported(&self.code.prepared.exports) {
            return Err(CallError::MissingExport(name));
        }
        if self.live.is_none() {
            self.live = Some(self.code.live(self.ctx.clone(), self.scope.deadline).await?);
        }
        let limits = self.code.runtime.limits();
        let live = self.live.as_mut().unwrap();
        let f = match export {
            Export::Register => &live.register,
            Export::OnEvent => &live.on_event,
            Export::OnFilter => &live.on_filter,
            Export::OnHttpRequest => &live.on_http_request,
            Export::OnAuthCheck => &live.on_auth_check,
            Export::Content(hook) => &live.content[content_index(hook)],
        };
        // Borrowed, not cloned: a typed function's clone copies its type
        // (a registry reference), about 2% of a small plugin's call.
        let Some(f) = f else { return Err(CallError::MissingExport(name)) };
        let store = &mut live.store;
        store.data_mut().kernel.reset(input);
        // The call's scope goes where the host functions see it, for the call.
        let deadline = self.scope.deadline;
        store.data_mut().call = std::mem::take(&mut self.scope);
        // The CPU bound; the deadline of the whole call (host waits
        // included) is the dispatcher's.
        let _ticking = self.code.runtime.arm(store, export.kind(), deadline);
        let result = match f {
            Func::Status(f) => f.call_async(&mut *store, ()).await,
            Func::Unit(f) => f.call_async(&mut *store, ()).await.map(|()| 0),
        };
        self.scope = std::mem::take(&mut store.data_mut().call);
        let rc = match result {
            Ok(rc) => rc,
            Err(e) => {
                if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                    let code = exit.0;
                    // The module is finished: the next call gets a new one.
                    let kernel = std::mem::take(&mut store.data_mut().kernel);
                    self.live = None;
                    if code != 0 {
                        return Err(CallError::Guest(
                            kernel.error_message().unwrap_or_else(|| format!("{name}: exited with code {code}")),
                        ));
                    }
                    return finish(name, &kernel, 0, limits.output_cap(export.kind()));
                }
                return Err(match CallError::from_wasmtime(limits.deadline(export.kind()), e) {
                    CallError::Trap(trap) => {
                        let mut msg = format!("{name}: {trap}");
                        if let Some(m) = store.data().kernel.error_message() {
                            msg.push_str(&format!(" (the plugin had set the error: {m})"));
                        }
                        CallError::Trap(msg)
                    }
                    other => other,
                });
            }
        };
        finish(name, &store.data().kernel, rc, limits.output_cap(export.kind()))
    }
}

/// A legacy plugin called by export name with raw bytes, without the typed
/// JSON layer of [`PluginInstance`] (benchmarks and tools).
pub struct RawInstance(ExtismInstance);

impl RawInstance {
    /// Loads `req` with `loader` and instantiates it for `ctx`.
    pub async fn new(
        loader: &ExtismLoader,
        req: LoadRequest<'_>,
        ctx: Arc<PluginContext>,
    ) -> Result<RawInstance, LoadError> {
        let slug = req.manifest.slug.clone();
        let code = loader.load_code(req)?;
        let live = code.0.live(ctx.clone(), None).await.map_err(|error| LoadError::Register { slug, error })?;
        Ok(RawInstance(ExtismInstance { code: code.0.clone(), ctx, live: Some(live), scope: CallScope::default() }))
    }

    /// Replaces the live instance with a new one of the same code (what the
    /// next call does after the module exited): fresh linear memory, kernel
    /// memory and vars.
    pub async fn restart(&mut self) -> Result<(), CallError> {
        self.0.live = Some(self.0.code.live(self.0.ctx.clone(), None).await?);
        Ok(())
    }

    /// Calls `register`, `on_event`, `on_filter`, `on_http_request` or an
    /// optional export (`on_auth_check`, `on_tab_content`, ...) with `input`;
    /// returns the output.
    pub async fn call(&mut self, export: &str, input: &[u8]) -> Result<Vec<u8>, CallError> {
        let e = match export {
            "register" => Export::Register,
            "on_event" => Export::OnEvent,
            "on_filter" => Export::OnFilter,
            "on_http_request" => Export::OnHttpRequest,
            "on_auth_check" => Export::OnAuthCheck,
            other => match ContentHook::ALL.into_iter().find(|h| h.export() == other) {
                Some(hook) => Export::Content(hook),
                None => return Err(CallError::MissingExport("(not an Owncast export)")),
            },
        };
        self.0.call(e, input).await
    }
}

/// The outcome of a call that returned: the plugin's error, or its output.
fn finish(name: &str, kernel: &Kernel, rc: i32, max: usize) -> Result<Vec<u8>, CallError> {
    if let Some(msg) = kernel.error_message() {
        return Err(CallError::Guest(msg));
    }
    if rc != 0 {
        return Err(CallError::Guest(format!("{name} returned status {rc} without an error message")));
    }
    let len = kernel.output_len();
    if len > max as u64 {
        return Err(CallError::BadOutput(format!("{name}: the output is {len} bytes; the limit is {max}")));
    }
    match kernel.output() {
        Some(out) => Ok(out.to_vec()),
        None => Err(CallError::BadOutput(format!("{name}: the output block was freed before the call returned"))),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(name: &str, what: &str, out: &[u8]) -> Result<T, CallError> {
    serde_json::from_slice(out).map_err(|e| {
        let text = String::from_utf8_lossy(&out[..out.len().min(120)]).into_owned();
        CallError::BadOutput(format!("{name}: the output is not {what}: {e} (output begins: {text:?})"))
    })
}

fn is_blank(out: &[u8]) -> bool {
    out.iter().all(u8::is_ascii_whitespace)
}

#[async_trait::async_trait]
impl PluginInstance for ExtismInstance {
    fn scope(&mut self) -> &mut CallScope {
        &mut self.scope
    }

    async fn register(&mut self) -> Result<Registration, CallError> {
        if self.code.prepared.exports.register.is_none() {
            // Plugins without `register` are described by their manifest.
            return Ok(self.ctx.manifest().registration());
        }
        let out = self.call(Export::Register, b"").await?;
        if is_blank(&out) {
            return Ok(self.ctx.manifest().registration());
        }
        parse_json("register", "a registration (the manifest as JSON)", &out)
    }

    async fn on_event(&mut self, event: &Event) -> Result<(), CallError> {
        let input = event.envelope_bytes();
        self.call(Export::OnEvent, &input).await.map(|_| ())
    }

    async fn on_filter(&mut self, event: &Event) -> Result<Verdict, CallError> {
        let input = event.envelope_bytes();
        let out = self.call(Export::OnFilter, &input).await?;
        if is_blank(&out) {
            // Nothing to say: the event passes.
            return Ok(Verdict::Pass);
        }
        let value: serde_json::Value = parse_json("on_filter", "JSON", &out)?;
        // What the result may be (the event type of a modify) the dispatcher
        // checks, the same for every kind of plugin.
        Verdict::from_json(&value, event).map_err(|e| CallError::BadOutput(format!("on_filter: {e}")))
    }

    async fn on_http_request(&mut self, request: &HttpRequest) -> Result<HttpResponse, CallError> {
        let input = serde_json::to_vec(request).expect("requests serialize");
        let out = self.call(Export::OnHttpRequest, &input).await?;
        if is_blank(&out) {
            return Ok(HttpResponse { status: 200, ..Default::default() });
        }
        // The size of the body the dispatcher checks, as for every kind of plugin.
        parse_json("on_http_request", "an HTTP response {status?, headers?, body?}", &out)
    }

    async fn on_auth_check(&mut self, input: &serde_json::Value) -> Result<Option<serde_json::Value>, CallError> {
        if self.code.prepared.exports.on_auth_check.is_none() {
            return Ok(None);
        }
        let out = self.call(Export::OnAuthCheck, input.to_string().as_bytes()).await?;
        if is_blank(&out) {
            return Ok(None);
        }
        parse_json("on_auth_check", "a verdict {action, reason?, ttl?}", &out).map(Some)
    }

    async fn content(
        &mut self,
        hook: ContentHook,
        request: Option<&ContentRequest>,
    ) -> Result<Option<String>, CallError> {
        if self.code.prepared.exports.content[content_index(hook)].is_none() {
            return Ok(None);
        }
        let input = match request {
            Some(r) => serde_json::to_vec(r).expect("requests serialize"),
            None => Vec::new(),
        };
        let out = self.call(Export::Content(hook), &input).await?;
        String::from_utf8(out)
            .map(Some)
            .map_err(|e| CallError::BadOutput(format!("{}: the output is not UTF-8 text: {e}", hook.export())))
    }
}
