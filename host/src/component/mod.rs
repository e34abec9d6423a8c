//! Native plugins: WebAssembly components of the `owncast:plugin/plugin` world.
//!
//! Loading checks every import against the plugin's grant before anything is
//! linked: an import the grant does not cover fails the load with the
//! interface and the permission named, and interfaces no permission opens are
//! never put in the linker.

pub mod bindings;

use crate::capabilities::http_outbound::OutboundHooks;
use crate::context::PluginContext;
use crate::event::{Event, Verdict};
use crate::permissions::{self, Permission, Permissions};
use crate::plugin::{CallError, LoadError, LoadRequest, PluginCode, PluginInstance, PluginLoader};
use crate::runtime::{store_limits, CallKind, Runtime};
use crate::types::{HttpRequest, HttpResponse, Registration};
use bindings::{Plugin, PluginPre};
use std::collections::BTreeSet;
use std::sync::Arc;
use wasmtime::component::{types::ComponentItem, Component, HasSelf, Linker, ResourceTable};
use wasmtime::Store;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

const PACKAGE: &str = "owncast:plugin/";

/// What a component's store holds: the plugin's context plus WASI state.
pub struct ComponentState {
    pub ctx: Arc<PluginContext>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    table: ResourceTable,
    limits: crate::metrics::MeteredLimits,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Loads components.
pub struct ComponentLoader;

impl PluginLoader for ComponentLoader {
    fn kind(&self) -> &'static str {
        "component"
    }

    fn recognizes(&self, bytes: &[u8], _file: &str) -> bool {
        crate::plugin::is_component(bytes)
    }

    fn load(&self, req: LoadRequest<'_>) -> Result<Arc<dyn PluginCode>, LoadError> {
        let code_err = |message: String| LoadError::Code { file: req.file.to_string(), message };
        let engine = req.runtime.engine();
        let component =
            req.runtime.compile_component(req.bytes).map_err(|e| code_err(format!("not a valid component: {e:#}")))?;
        let needs = check_imports(&component, engine, req.file, req.manifest.permissions.clone(), req.grants)?;
        let linker = build_linker(engine, &needs).map_err(|e| code_err(format!("linking: {e:#}")))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| code_err(format!("{e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| code_err(format!("does not export the plugin world: {e:#}")))?;
        Ok(Arc::new(ComponentCode { pre, runtime: req.runtime.clone() }))
    }
}

/// What a component imports, grouped for the linker.
#[derive(Default)]
struct Needs {
    owncast: BTreeSet<String>,
    wasi: bool,
    http: bool,
}

fn check_imports(
    component: &Component,
    engine: &wasmtime::Engine,
    file: &str,
    declared: Permissions,
    grants: &Permissions,
) -> Result<Needs, LoadError> {
    let mut needs = Needs::default();
    let ungranted = |import: String, permission: Permission| LoadError::Ungranted {
        file: file.to_string(),
        import,
        permission,
        granted_by_manifest: declared.contains(permission),
    };
    for (name, item) in component.component_type().imports(engine) {
        let bare = name.split('@').next().unwrap_or(name);
        if let Some(interface) = bare.strip_prefix(PACKAGE) {
            let functions: Vec<String> = match &item.ty {
                ComponentItem::ComponentInstance(inst) => inst
                    .exports(engine)
                    .filter(|(_, i)| matches!(i.ty, ComponentItem::ComponentFunc(_)))
                    .map(|(n, _)| n.to_string())
                    .collect(),
                _ => Vec::new(),
            };
            for f in &functions {
                match permissions::for_wit_function(interface, f) {
                    Ok(None) => {}
                    Ok(Some(p)) if grants.contains(p) => {}
                    Ok(Some(p)) => return Err(ungranted(format!("{bare}#{f}"), p)),
                    Err(permissions::NotInContract) => {
                        return Err(LoadError::UnknownImport { file: file.to_string(), import: format!("{bare}#{f}") })
                    }
                }
            }
            if permissions::for_wit_function(interface, "").is_err()
                && !permissions::UNGATED_INTERFACES.contains(&interface)
            {
                // An interface with no functions that we do not know.
                if functions.is_empty() {
                    return Err(LoadError::UnknownImport { file: file.to_string(), import: bare.to_string() });
                }
            }
            needs.owncast.insert(interface.to_string());
        } else if bare.starts_with("wasi:http/") {
            if !grants.contains(Permission::NetworkFetch) {
                return Err(ungranted(bare.to_string(), Permission::NetworkFetch));
            }
            needs.http = true;
        } else if ["wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:cli/", "wasi:filesystem/", "wasi:sockets/"]
            .iter()
            .any(|p| bare.starts_with(p))
        {
            // Sandboxed WASI: no preopened directories, no environment;
            // stdout and stderr go to the host log. `wasi:sockets` is linked
            // because language runtimes import it whether or not they use it
            // (componentize-py's CPython does), but every use is refused: the
            // context allows no TCP, no UDP and no name lookup.
            needs.wasi = true;
        } else {
            return Err(LoadError::UnknownImport { file: file.to_string(), import: name.to_string() });
        }
    }
    Ok(needs)
}

fn build_linker(engine: &wasmtime::Engine, needs: &Needs) -> wasmtime::Result<Linker<ComponentState>> {
    use bindings::owncast::plugin as p;
    let mut l = Linker::<ComponentState>::new(engine);
    if needs.wasi || needs.http {
        wasmtime_wasi::p2::add_to_linker_async(&mut l)?;
    }
    if needs.http {
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut l)?;
    }
    type D = HasSelf<ComponentState>;
    fn get(s: &mut ComponentState) -> &mut ComponentState {
        s
    }
    for interface in &needs.owncast {
        match interface.as_str() {
            "types" => {}
            "log" => p::log::add_to_linker::<_, D>(&mut l, get)?,
            "config" => p::config::add_to_linker::<_, D>(&mut l, get)?,
            "chat" => p::chat::add_to_linker::<_, D>(&mut l, get)?,
            "chat-history" => p::chat_history::add_to_linker::<_, D>(&mut l, get)?,
            "chat-moderate" => p::chat_moderate::add_to_linker::<_, D>(&mut l, get)?,
            "kv" => p::kv::add_to_linker::<_, D>(&mut l, get)?,
            "upload" => p::upload::add_to_linker::<_, D>(&mut l, get)?,
            "fs" => p::fs::add_to_linker::<_, D>(&mut l, get)?,
            "events" => p::events::add_to_linker::<_, D>(&mut l, get)?,
            "server" => p::server::add_to_linker::<_, D>(&mut l, get)?,
            "video-config" => p::video_config::add_to_linker::<_, D>(&mut l, get)?,
            "notifications" => p::notifications::add_to_linker::<_, D>(&mut l, get)?,
            "users" => p::users::add_to_linker::<_, D>(&mut l, get)?,
            "users-moderate" => p::users_moderate::add_to_linker::<_, D>(&mut l, get)?,
            "fediverse" => p::fediverse::add_to_linker::<_, D>(&mut l, get)?,
            "sse" => p::sse::add_to_linker::<_, D>(&mut l, get)?,
            "ui" => p::ui::add_to_linker::<_, D>(&mut l, get)?,
            other => wasmtime::bail!("no host implementation for owncast:plugin/{other}"),
        }
    }
    Ok(l)
}

struct ComponentCode {
    pre: PluginPre<ComponentState>,
    runtime: Arc<Runtime>,
}

#[async_trait::async_trait]
impl PluginCode for ComponentCode {
    async fn instantiate(&self, ctx: Arc<PluginContext>) -> Result<Box<dyn PluginInstance>, CallError> {
        let limits = self.runtime.limits().clone();
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stdout(crate::logpipe::LogPipe::new(ctx.slug(), "stdout"))
            .stderr(crate::logpipe::LogPipe::new(ctx.slug(), "stderr"))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let metered = crate::metrics::MeteredLimits::new(store_limits(&limits), ctx.metrics().clone());
        let state = ComponentState {
            hooks: OutboundHooks { ctx: ctx.clone() },
            ctx,
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limits: metered,
        };
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|s| &mut s.limits);
        let deadline = store.data().ctx.call_deadline();
        let _ticking = self.runtime.arm(&mut store, CallKind::Register, deadline);
        let plugin =
            self.pre.instantiate_async(&mut store).await.map_err(|e| CallError::Instantiate(format!("{e:#}")))?;
        Ok(Box::new(ComponentInstance { store, plugin, runtime: self.runtime.clone() }))
    }
}

struct ComponentInstance {
    store: Store<ComponentState>,
    plugin: Plugin,
    runtime: Arc<Runtime>,
}

impl ComponentInstance {
    /// Sets the CPU bound of the next call; the returned guard keeps the
    /// epoch ticking while it runs. (The wall-clock deadline of the whole
    /// call, host waits included, is the dispatcher's.)
    #[must_use]
    fn arm(&mut self, kind: CallKind) -> crate::runtime::Running {
        let deadline = self.store.data().ctx.call_deadline();
        self.runtime.arm(&mut self.store, kind, deadline)
    }

    fn error(&self, kind: CallKind, e: wasmtime::Error) -> CallError {
        CallError::from_wasmtime(self.runtime.limits().deadline(kind), e)
    }
}

#[async_trait::async_trait]
impl PluginInstance for ComponentInstance {
    async fn register(&mut self) -> Result<Registration, CallError> {
        let _ticking = self.arm(CallKind::Register);
        let r = self.plugin.call_register(&mut self.store).await;
        r.map_err(|e| self.error(CallKind::Register, e))
    }

    async fn on_event(&mut self, event: &Event) -> Result<(), CallError> {
        let typed = event.typed().map_err(|e| CallError::BadInput(e.to_string()))?;
        let _ticking = self.arm(CallKind::Event);
        let r = self.plugin.call_on_event(&mut self.store, &typed).await;
        r.map_err(|e| self.error(CallKind::Event, e))
    }

    async fn on_filter(&mut self, event: &Event) -> Result<Verdict, CallError> {
        let typed = event.typed().map_err(|e| CallError::BadInput(e.to_string()))?;
        let _ticking = self.arm(CallKind::Filter);
        let r = self.plugin.call_on_filter(&mut self.store, &typed).await;
        r.map(Verdict::from).map_err(|e| self.error(CallKind::Filter, e))
    }

    async fn on_http_request(&mut self, request: &HttpRequest) -> Result<HttpResponse, CallError> {
        let _ticking = self.arm(CallKind::Http);
        let r = self.plugin.call_on_http_request(&mut self.store, request).await;
        r.map_err(|e| self.error(CallKind::Http, e))
    }
}
