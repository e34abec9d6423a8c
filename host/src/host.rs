//! The set of loaded plugins and how one is loaded.

use crate::capabilities::config::ConfigValues;
use crate::capabilities::http_outbound::{NetworkOutbound, Outbound};
use crate::capabilities::sse::SseHub;
use crate::capabilities::ui::ActionRegistry;
use crate::component::ComponentLoader;
use crate::context::{HostServices, PluginContext};
use crate::dispatcher::{NoObserver, Observer};
use crate::kv::{KvStore, MemoryStore};
use crate::manifest::Manifest;
use crate::owncast::{Owncast, SimulatedOwncast};
use crate::permissions::Permissions;
use crate::plugin::{CallError, LoadError, LoadRequest, PluginCode, PluginInstance, PluginLoader};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::types::{Event, FilterResult, HttpRequest, HttpResponse, Subscriptions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Files that come with a plugin besides its code.
#[derive(Debug, Clone, Default)]
pub struct PluginAssets {
    /// Served at `/plugins/<slug>/` before the plugin's handler.
    pub public_dir: Option<PathBuf>,
    pub icon: Option<PathBuf>,
    pub instructions: Option<PathBuf>,
}

/// Everything needed to load one plugin.
#[derive(Debug, Clone)]
pub struct PluginBundle {
    pub manifest: Vec<u8>,
    /// Names the manifest in errors.
    pub manifest_file: String,
    pub code: Vec<u8>,
    /// Names the code in errors; loaders may look at its extension.
    pub code_file: String,
    pub assets: PluginAssets,
    /// Permissions the admin approved; `None` approves what the manifest declares
    /// (tests and the dev server).
    pub approved: Option<Permissions>,
}

/// A plugin's health as the dispatcher sees it.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Consecutive failed calls.
    pub strikes: u32,
    /// Why the host disabled the plugin, if it did.
    pub disabled: Option<String>,
    pub last_error: Option<String>,
    pub calls: u64,
    pub failures: u64,
}

/// A loaded plugin: its code, its one instance and its health.
pub struct LoadedPlugin {
    pub manifest: Arc<Manifest>,
    /// What the plugin subscribes to (from `register()`, else the manifest).
    pub subscriptions: Subscriptions,
    pub kind: &'static str,
    pub assets: PluginAssets,
    code: Arc<dyn PluginCode>,
    ctx: Arc<PluginContext>,
    instance: tokio::sync::Mutex<Option<Box<dyn PluginInstance>>>,
    pub(crate) health: Mutex<Health>,
}

impl LoadedPlugin {
    pub fn slug(&self) -> &str {
        &self.manifest.slug
    }
    pub fn context(&self) -> &Arc<PluginContext> {
        &self.ctx
    }
    pub fn grants(&self) -> &Permissions {
        self.ctx.grants()
    }
    pub fn health(&self) -> Health {
        self.health.lock().unwrap().clone()
    }
    pub fn is_enabled(&self) -> bool {
        self.health.lock().unwrap().disabled.is_none()
    }
    pub fn notifies(&self, event_type: &str) -> bool {
        self.subscriptions.notify.iter().any(|s| s.event == event_type)
    }
    pub fn filters(&self, event_type: &str) -> bool {
        self.subscriptions.filter.iter().any(|s| s.event == event_type)
    }
    pub fn filter_priority(&self, event_type: &str) -> i32 {
        self.manifest.filter_priority_for(&self.subscriptions, event_type)
    }

    /// Runs one call on the plugin's instance (creating it if needed), at
    /// dispatch depth `depth`; returns the result and what the plugin emitted.
    /// An instance whose state can't be trusted after a failure is dropped.
    async fn call(&self, depth: u32, call: Call<'_>) -> (Result<Reply, CallError>, Vec<Event>) {
        let mut guard = self.instance.lock().await;
        if guard.is_none() {
            match self.code.instantiate(self.ctx.clone()).await {
                Ok(i) => *guard = Some(i),
                Err(e) => return (Err(e), Vec::new()),
            }
        }
        self.ctx.set_depth(depth);
        self.ctx.take_emitted();
        let instance = guard.as_mut().unwrap();
        let result = match call {
            Call::Event(e) => instance.on_event(e).await.map(|()| Reply::Event),
            Call::Filter(e) => instance.on_filter(e).await.map(Reply::Filter),
            Call::Http(r) => instance.on_http_request(r).await.map(Reply::Http),
        };
        if let Err(e) = &result {
            if e.poisons_instance() {
                tracing::debug!(plugin = %self.slug(), "replacing the instance after: {e}");
                *guard = None;
            }
        }
        let emitted = self.ctx.take_emitted();
        (result, emitted)
    }

    pub(crate) async fn on_event(&self, event: &Event, depth: u32) -> (Result<(), CallError>, Vec<Event>) {
        let (r, em) = self.call(depth, Call::Event(event)).await;
        (r.map(|_| ()), em)
    }
    pub(crate) async fn on_filter(&self, event: &Event, depth: u32) -> (Result<FilterResult, CallError>, Vec<Event>) {
        let (r, em) = self.call(depth, Call::Filter(event)).await;
        (r.map(|r| if let Reply::Filter(f) = r { f } else { unreachable!() }), em)
    }
    pub(crate) async fn on_http_request(&self, req: &HttpRequest) -> (Result<HttpResponse, CallError>, Vec<Event>) {
        let (r, em) = self.call(0, Call::Http(req)).await;
        (r.map(|r| if let Reply::Http(h) = r { h } else { unreachable!() }), em)
    }
}

enum Call<'a> {
    Event(&'a Event),
    Filter(&'a Event),
    Http(&'a HttpRequest),
}

enum Reply {
    Event,
    Filter(FilterResult),
    Http(HttpResponse),
}

/// The plugin host: runtime, services, loaders and the loaded plugins.
pub struct Host {
    runtime: Arc<Runtime>,
    services: Arc<HostServices>,
    loaders: Vec<Arc<dyn PluginLoader>>,
    plugins: RwLock<BTreeMap<String, Arc<LoadedPlugin>>>,
    pub(crate) observer: Arc<dyn Observer>,
}

/// Builds a [`Host`]; every part has a default suitable for tests.
pub struct HostBuilder {
    config: RuntimeConfig,
    owncast: Option<Arc<dyn Owncast>>,
    kv: Option<Arc<dyn KvStore>>,
    outbound: Option<Arc<dyn Outbound>>,
    data_dir: Option<PathBuf>,
    loaders: Vec<Arc<dyn PluginLoader>>,
    observer: Option<Arc<dyn Observer>>,
    sse: Option<Arc<SseHub>>,
    runtime: Option<Arc<Runtime>>,
}

impl Host {
    pub fn builder() -> HostBuilder {
        HostBuilder {
            config: RuntimeConfig::default(),
            owncast: None,
            kv: None,
            outbound: None,
            data_dir: None,
            loaders: Vec::new(),
            observer: None,
            sse: None,
            runtime: None,
        }
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }
    pub fn services(&self) -> &Arc<HostServices> {
        &self.services
    }

    /// Compiles, instantiates and registers a plugin without installing it.
    pub async fn prepare(&self, bundle: PluginBundle) -> Result<Arc<LoadedPlugin>, LoadError> {
        let manifest = Arc::new(Manifest::parse(&bundle.manifest, &bundle.manifest_file)?);
        let grants = bundle.approved.clone().unwrap_or_else(|| manifest.permissions.clone()).intersection(&manifest.permissions);
        let loader = self
            .loaders
            .iter()
            .find(|l| l.recognizes(&bundle.code, &bundle.code_file))
            .ok_or_else(|| LoadError::Code {
                file: bundle.code_file.clone(),
                message: "not a plugin this host can run (neither a WebAssembly component nor a module of a known kind)".into(),
            })?;
        let code = loader.load(LoadRequest {
            runtime: &self.runtime,
            bytes: &bundle.code,
            file: &bundle.code_file,
            manifest: &manifest,
            grants: &grants,
        })?;
        let ctx = PluginContext::new(manifest.clone(), grants, self.services.clone());
        let slug = manifest.slug.clone();
        let mut instance = code.instantiate(ctx.clone()).await.map_err(|error| LoadError::Register { slug: slug.clone(), error })?;
        let reg = instance.register().await.map_err(|error| LoadError::Register { slug: slug.clone(), error })?;
        let subscriptions = manifest.check_registration(&reg, &bundle.manifest_file)?;
        ctx.take_emitted();
        Ok(Arc::new(LoadedPlugin {
            manifest,
            subscriptions,
            kind: loader.kind(),
            assets: bundle.assets,
            code,
            ctx,
            instance: tokio::sync::Mutex::new(Some(instance)),
            health: Mutex::new(Health::default()),
        }))
    }

    /// A host with the same engine and loaders but its own simulated,
    /// isolated services (in-memory store, no network, simulated Owncast): the
    /// place for trial loads of code the admin has not approved yet, so its
    /// `register()` can touch nothing real.
    pub fn sandbox(&self) -> Host {
        let kv: Arc<dyn KvStore> = Arc::new(MemoryStore::default());
        let services = Arc::new(HostServices {
            owncast: Arc::new(SimulatedOwncast::demo()),
            config: Arc::new(ConfigValues::new(kv.clone())),
            kv,
            outbound: Arc::new(crate::capabilities::http_outbound::CannedOutbound::new(Vec::new())),
            sse: Arc::new(SseHub::default()),
            actions: Arc::new(ActionRegistry::default()),
            data_dir: std::env::temp_dir().join("owncast-plugin-sandbox"),
            limits: self.runtime.limits().clone(),
        });
        Host {
            runtime: self.runtime.clone(),
            services,
            loaders: self.loaders.clone(),
            plugins: RwLock::new(BTreeMap::new()),
            observer: Arc::new(NoObserver),
        }
    }

    /// Puts a prepared plugin in service, replacing one with the same slug.
    pub fn install(&self, plugin: Arc<LoadedPlugin>) -> Option<Arc<LoadedPlugin>> {
        tracing::info!(plugin = %plugin.slug(), version = %plugin.manifest.version, kind = plugin.kind, "plugin loaded");
        self.plugins.write().unwrap().insert(plugin.slug().to_string(), plugin)
    }

    /// [`prepare`](Self::prepare) then [`install`](Self::install).
    pub async fn load(&self, bundle: PluginBundle) -> Result<Arc<LoadedPlugin>, LoadError> {
        let p = self.prepare(bundle).await?;
        self.install(p.clone());
        Ok(p)
    }

    /// Takes a plugin out of service; its UI contributions go with it.
    pub fn unload(&self, slug: &str) -> Option<Arc<LoadedPlugin>> {
        let p = self.plugins.write().unwrap().remove(slug);
        if p.is_some() {
            self.services.actions.clear(slug);
            tracing::info!(plugin = %slug, "plugin unloaded");
        }
        p
    }

    pub fn get(&self, slug: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins.read().unwrap().get(slug).cloned()
    }

    /// Loaded plugins in slug order.
    pub fn plugins(&self) -> Vec<Arc<LoadedPlugin>> {
        self.plugins.read().unwrap().values().cloned().collect()
    }
}

impl HostBuilder {
    pub fn runtime_config(mut self, c: RuntimeConfig) -> Self {
        self.config = c;
        self
    }
    /// Shares an existing engine (e.g. between scenario cases).
    pub fn runtime(mut self, r: Arc<Runtime>) -> Self {
        self.runtime = Some(r);
        self
    }
    pub fn owncast(mut self, o: Arc<dyn Owncast>) -> Self {
        self.owncast = Some(o);
        self
    }
    pub fn kv(mut self, kv: Arc<dyn KvStore>) -> Self {
        self.kv = Some(kv);
        self
    }
    pub fn outbound(mut self, o: Arc<dyn Outbound>) -> Self {
        self.outbound = Some(o);
        self
    }
    pub fn data_dir(mut self, d: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(d.into());
        self
    }
    pub fn sse(mut self, hub: Arc<SseHub>) -> Self {
        self.sse = Some(hub);
        self
    }
    /// Adds a loader for another kind of plugin code (components are built in).
    pub fn loader(mut self, l: Arc<dyn PluginLoader>) -> Self {
        self.loaders.push(l);
        self
    }
    pub fn observer(mut self, o: Arc<dyn Observer>) -> Self {
        self.observer = Some(o);
        self
    }

    pub fn build(self) -> anyhow::Result<Host> {
        let runtime = match self.runtime {
            Some(r) => r,
            None => Runtime::new(self.config)?,
        };
        let kv = self.kv.unwrap_or_else(|| Arc::new(MemoryStore::default()));
        let services = Arc::new(HostServices {
            owncast: self.owncast.unwrap_or_else(|| Arc::new(SimulatedOwncast::demo())),
            config: Arc::new(ConfigValues::new(kv.clone())),
            kv,
            outbound: self.outbound.unwrap_or_else(|| Arc::new(NetworkOutbound)),
            sse: self.sse.unwrap_or_default(),
            actions: Arc::new(ActionRegistry::default()),
            data_dir: self.data_dir.unwrap_or_else(|| std::env::temp_dir().join("owncast-plugin-data")),
            limits: runtime.limits().clone(),
        });
        let mut loaders: Vec<Arc<dyn PluginLoader>> = vec![Arc::new(ComponentLoader)];
        loaders.extend(self.loaders);
        Ok(Host {
            runtime,
            services,
            loaders,
            plugins: RwLock::new(BTreeMap::new()),
            observer: self.observer.unwrap_or_else(|| Arc::new(NoObserver)),
        })
    }
}
