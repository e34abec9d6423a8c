//! Native plugins: WebAssembly components of the `owncast:plugin/plugin` world.
//!
//! Loading checks every import against the plugin's grant before anything is
//! linked: an import the grant does not cover fails the load with the
//! interface and the permission named, and interfaces no permission opens are
//! never put in the linker.

use crate::bindings::{Plugin, PluginIndices};
use crate::capabilities::http_outbound::OutboundHooks;
use crate::capabilities::{HasView, PluginView};
use crate::context::{CallScope, PluginContext};
use crate::event::{Event, Verdict};
use crate::logpipe::{CallOutput, LogPipe};
use crate::permissions::{self, Permission, Permissions};
use crate::plugin::{CallError, LoadError, LoadRequest, PluginCode, PluginInstance, PluginLoader};
use crate::runtime::{store_limits, CallKind, Runtime};
use crate::types::{ContentRequest, HttpRequest, HttpResponse, Registration};
use crate::ui::ContentHook;
use std::collections::BTreeSet;
use std::sync::Arc;
use wasmtime::component::{types::ComponentItem, Component, ComponentExportIndex, Linker, ResourceTable};
use wasmtime::Store;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

const PACKAGE: &str = "owncast:plugin/";

/// What a component's store holds: the plugin's context plus WASI state.
pub struct ComponentState {
    pub ctx: Arc<PluginContext>,
    /// The call in progress.
    call: CallScope,
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
        // The exports are looked up and type-checked once, here, not by name
        // for every instance.
        let indices =
            PluginIndices::new(&pre).map_err(|e| code_err(format!("does not export the plugin world: {e:#}")))?;
        let content = content_exports(&component, engine);
        Ok(Arc::new(ComponentCode { pre, indices, runtime: req.runtime.clone(), content }))
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

/// The plugin's view of the host, as the capabilities implement the
/// `bindgen!` traits on it (they never see this store type).
impl HasView for ComponentState {
    fn view(&mut self) -> PluginView<'_> {
        PluginView { ctx: &self.ctx, call: &mut self.call }
    }
}

fn build_linker(engine: &wasmtime::Engine, needs: &Needs) -> wasmtime::Result<Linker<ComponentState>> {
    let mut l = Linker::<ComponentState>::new(engine);
    if needs.wasi || needs.http {
        wasmtime_wasi::p2::add_to_linker_async(&mut l)?;
    }
    if needs.http {
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut l)?;
    }
    for interface in needs.owncast.iter().filter(|i| *i != "types") {
        match crate::capabilities::link(&mut l, interface) {
            Some(linked) => linked?,
            None => wasmtime::bail!("no host implementation for owncast:plugin/{interface}"),
        }
    }
    Ok(l)
}

struct ComponentCode {
    pre: wasmtime::component::InstancePre<ComponentState>,
    /// Where the plugin world's exports are, found once at load.
    indices: PluginIndices,
    runtime: Arc<Runtime>,
    /// The optional page-content exports the component has (world
    /// `plugin-with-content` has all four; a component may export any).
    content: Vec<(ContentHook, ComponentExportIndex)>,
}

/// Which of the optional content exports (`on-tab-content`, ...) a component
/// has, and where each is.
fn content_exports(component: &Component, engine: &wasmtime::Engine) -> Vec<(ContentHook, ComponentExportIndex)> {
    let names: BTreeSet<String> = component.component_type().exports(engine).map(|(n, _)| n.to_string()).collect();
    ContentHook::ALL
        .into_iter()
        .filter(|h| names.contains(h.wit_export()))
        .filter_map(|h| Some((h, component.get_export_index(None, h.wit_export())?)))
        .collect()
}

/// A content export of an instance, typed.
enum ContentFunc {
    WithRequest(wasmtime::component::TypedFunc<(ContentRequest,), (String,)>),
    Plain(wasmtime::component::TypedFunc<(), (String,)>),
}

#[async_trait::async_trait]
impl PluginCode for ComponentCode {
    async fn instantiate(
        &self,
        ctx: Arc<PluginContext>,
        deadline: Option<std::time::Instant>,
    ) -> Result<Box<dyn PluginInstance>, CallError> {
        let limits = self.runtime.limits().clone();
        let stderr = CallOutput::default();
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stdout(LogPipe::new(ctx.slug(), "stdout"))
            .stderr(LogPipe::new(ctx.slug(), "stderr").capturing(stderr.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let metered = crate::metrics::MeteredLimits::new(store_limits(&limits), ctx.metrics().clone());
        let state = ComponentState {
            hooks: OutboundHooks { ctx: ctx.clone() },
            ctx,
            call: CallScope::new(deadline),
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limits: metered,
        };
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|s| &mut s.limits);
        let _ticking = self.runtime.arm(&mut store, CallKind::Register, deadline);
        let err = |e: wasmtime::Error| CallError::Instantiate(format!("{e:#}"));
        let instance = self.pre.instantiate_async(&mut store).await.map_err(err)?;
        let plugin: Plugin = self.indices.load(&mut store, &instance).map_err(err)?;
        let mut content = Vec::with_capacity(self.content.len());
        for (hook, index) in &self.content {
            let name = hook.wit_export();
            let typed = if hook.takes_request() {
                instance.get_typed_func::<(ContentRequest,), (String,)>(&mut store, index).map(ContentFunc::WithRequest)
            } else {
                instance.get_typed_func::<(), (String,)>(&mut store, index).map(ContentFunc::Plain)
            };
            let want =
                if hook.takes_request() { "func(request: content-request) -> string" } else { "func() -> string" };
            let f = typed.map_err(|e| CallError::Instantiate(format!("export `{name}` must be `{want}`: {e:#}")))?;
            content.push((*hook, f));
        }
        Ok(Box::new(ComponentInstance { store, plugin, content, runtime: self.runtime.clone(), stderr }))
    }
}

struct ComponentInstance {
    store: Store<ComponentState>,
    plugin: Plugin,
    /// The optional content exports it has.
    content: Vec<(ContentHook, ContentFunc)>,
    runtime: Arc<Runtime>,
    /// What the guest wrote to stderr during the current call.
    stderr: CallOutput,
}

impl ComponentInstance {
    /// Sets the CPU bound of the next call; the returned guard keeps the
    /// epoch ticking while it runs. (The wall-clock deadline of the whole
    /// call, host waits included, is the dispatcher's.) A call starts: its
    /// stderr is captured afresh.
    #[must_use]
    fn arm(&mut self, kind: CallKind) -> crate::runtime::Running {
        self.stderr.clear();
        let deadline = self.store.data().call.deadline;
        self.runtime.arm(&mut self.store, kind, deadline)
    }

    /// The call's error, with what the guest wrote to stderr (a panic's message).
    fn error(&self, kind: CallKind, e: wasmtime::Error) -> CallError {
        CallError::from_wasmtime_output(self.runtime.limits().deadline(kind), e, &self.stderr.take())
    }
}

#[async_trait::async_trait]
impl PluginInstance for ComponentInstance {
    fn scope(&mut self) -> &mut CallScope {
        &mut self.store.data_mut().call
    }

    async fn register(&mut self) -> Result<Registration, CallError> {
        let _ticking = self.arm(CallKind::Register);
        let r = self.plugin.call_register(&mut self.store).await;
        r.map_err(|e| self.error(CallKind::Register, e))
    }

    async fn on_event(&mut self, event: &Event) -> Result<(), CallError> {
        let typed = event.typed_ref().map_err(|e| CallError::BadInput(e.to_string()))?;
        let _ticking = self.arm(CallKind::Event);
        let r = self.plugin.call_on_event(&mut self.store, typed).await;
        r.map_err(|e| self.error(CallKind::Event, e))
    }

    async fn on_filter(&mut self, event: &Event) -> Result<Verdict, CallError> {
        let typed = event.typed_ref().map_err(|e| CallError::BadInput(e.to_string()))?;
        let _ticking = self.arm(CallKind::Filter);
        let r = self.plugin.call_on_filter(&mut self.store, typed).await;
        r.map(Verdict::from).map_err(|e| self.error(CallKind::Filter, e))
    }

    async fn on_http_request(&mut self, request: &HttpRequest) -> Result<HttpResponse, CallError> {
        let _ticking = self.arm(CallKind::Http);
        let r = self.plugin.call_on_http_request(&mut self.store, request).await;
        r.map_err(|e| self.error(CallKind::Http, e))
    }

    async fn content(
        &mut self,
        hook: ContentHook,
        request: Option<&ContentRequest>,
    ) -> Result<Option<String>, CallError> {
        let Some(i) = self.content.iter().position(|(h, _)| *h == hook) else { return Ok(None) };
        let _ticking = self.arm(CallKind::Content);
        let r = match &self.content[i].1 {
            ContentFunc::WithRequest(f) => {
                let f = *f;
                f.call_async(&mut self.store, (request.cloned().unwrap_or_default(),)).await
            }
            ContentFunc::Plain(f) => {
                let f = *f;
                f.call_async(&mut self.store, ()).await
            }
        };
        r.map(|(text,)| Some(text)).map_err(|e| self.error(CallKind::Content, e))
    }
}

#[cfg(test)]
mod tests {
    use crate::capabilities::linked_interfaces;
    use crate::permissions::{for_wit_function, legacy_name, CAPABILITIES, LEGACY_NAMES, UNGATED_INTERFACES};
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;
    use wit_parser::{Resolve, WorldItem, WorldKey};

    /// `owncast:plugin` interfaces the world imports, with their functions, read from `wit/`.
    fn wit_imports() -> BTreeMap<String, BTreeSet<String>> {
        let mut resolve = Resolve::default();
        let (pkg, _) = resolve.push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")).unwrap();
        let world = resolve.select_world(&[pkg], Some("plugin")).unwrap();
        let mut out = BTreeMap::new();
        for (key, item) in &resolve.worlds[world].imports {
            let (WorldKey::Interface(id), WorldItem::Interface { .. }) = (key, item) else { continue };
            let iface = &resolve.interfaces[*id];
            if iface.package != Some(pkg) {
                continue;
            }
            let name = iface.name.clone().unwrap();
            out.insert(name, iface.functions.keys().cloned().collect());
        }
        out
    }

    /// Every interface of the world links, is declared (a permission's or
    /// ungated), and every function has its permission and legacy name; and
    /// nothing is linked or declared that the WIT does not have.
    #[test]
    fn every_wit_interface_links_and_is_declared() {
        let wit = wit_imports();
        assert!(wit.len() > 10, "read the world's imports: {wit:?}");
        let list = linked_interfaces();
        let linked: BTreeSet<&str> = list.iter().map(String::as_str).collect();
        assert_eq!(linked.len(), list.len(), "one module per interface");
        for (interface, functions) in &wit {
            let declared = UNGATED_INTERFACES.contains(&interface.as_str())
                || CAPABILITIES.iter().any(|c| c.interface == Some(interface.as_str()));
            assert!(declared, "owncast:plugin/{interface} is in the WIT but has no declaration");
            assert!(
                interface == "types" || linked.contains(interface.as_str()),
                "owncast:plugin/{interface} is in the WIT but does not link"
            );
            for f in functions {
                match for_wit_function(interface, f) {
                    Ok(None) => {}
                    Ok(Some(p)) => assert!(
                        legacy_name(interface, f).is_some(),
                        "{interface}#{f} (permission {p}) has no legacy owncast_* name"
                    ),
                    Err(e) => panic!("{interface}#{f}: {e}"),
                }
            }
        }
        for i in &linked {
            assert!(wit.contains_key(*i), "{i} links but is not in the WIT");
        }
        for i in UNGATED_INTERFACES.iter().copied().chain(CAPABILITIES.iter().filter_map(|c| c.interface)) {
            assert!(wit.contains_key(i), "{i} is declared but not in the WIT");
        }
        for c in CAPABILITIES {
            for f in c.functions {
                assert!(wit[c.interface.unwrap()].contains(*f), "{}: {f} is declared but not in the WIT", c.permission);
            }
        }
        for (i, f, l) in LEGACY_NAMES {
            assert!(wit.get(*i).is_some_and(|fs| fs.contains(*f)), "{l}: {i}#{f} is not in the WIT");
        }
    }
}
