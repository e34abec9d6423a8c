//! The set of loaded plugins and how one is loaded.

use crate::call::{GuestCall, NoObserver, Observer, RouteHealth};
#[cfg(doc)]
use crate::capabilities::http_outbound::NetworkOutbound;
use crate::capabilities::http_outbound::{NoNetwork, Outbound};
use crate::capabilities::sse::SseHub;
use crate::commands::Cooldowns;
use crate::component::ComponentLoader;
use crate::context::{CallScope, HostServices, PluginContext};
use crate::event::Event;
use crate::kv::{KvStore, MemoryStore};
use crate::manifest::{Manifest, ManifestWarning};
use crate::off_worker::OffWorker;
use crate::owncast::{DetachedOwncast, Owncast};
use crate::permissions::Permissions;
use crate::plugin::{CallError, LoadError, LoadRequest, PluginCode, PluginInstance, PluginLoader};
use crate::runtime::{CallKind, Runtime, RuntimeConfig};
use crate::services::auth_gate::SessionKeys;
use crate::services::timer::{TimerHub, TICK};
use crate::types::{CommandInfo, Subscriptions};
use owncast_plugin_contract::{PluginAssets, PluginBundle};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::time::Instant;

/// A plugin's health as the dispatcher sees it.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Consecutive failed filter and notification calls.
    pub strikes: u32,
    /// Why the host disabled the plugin, if it did.
    pub disabled: Option<String>,
    pub last_error: Option<String>,
    /// When the last error happened (milliseconds since the Unix epoch).
    pub last_error_at_ms: Option<u64>,
    pub calls: u64,
    /// Failed filter and notification calls.
    pub failures: u64,
    /// Failed HTTP handler and page-content calls: anyone can cause them, so
    /// these never strike; a route or export that keeps failing is backed
    /// off instead.
    pub http_failures: u64,
    /// Calls that could not start in time because the plugin was busy.
    pub busy: u64,
}

/// A loaded plugin: its code, its one instance and its health.
pub struct LoadedPlugin {
    pub manifest: Arc<Manifest>,
    /// What the plugin subscribes to (from `register()`, else the manifest).
    pub subscriptions: Subscriptions,
    /// The manifest's and `register()`'s warnings (see [`ManifestWarning`]).
    pub warnings: Vec<ManifestWarning>,
    /// The chat commands `register()` declared (checked; see [`crate::commands`]).
    pub commands: Vec<CommandInfo>,
    /// When each of its commands may run again for each user.
    pub(crate) cooldowns: Mutex<Cooldowns>,
    pub kind: &'static str,
    pub assets: PluginAssets,
    code: Arc<dyn PluginCode>,
    ctx: Arc<PluginContext>,
    /// The one instance; a call holds the lock while it runs.
    instance: Arc<tokio::sync::Mutex<Option<Box<dyn PluginInstance>>>>,
    /// When the call holding the instance got it and its deadline
    /// ([`since_start`]); 0 while none does.
    busy: Arc<Busy>,
    /// HTTP requests waiting for the instance.
    http_waiting: AtomicUsize,
    /// When a call of this plugin last timed out ([`since_start`]; 0: never).
    last_timeout: AtomicU64,
    pub(crate) health: Mutex<Health>,
    /// Failing HTTP routes and their back-off.
    pub(crate) routes: Mutex<RouteHealth>,
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

    /// Runs one call on the plugin's instance (creating it if needed); returns
    /// the result and what the plugin emitted. The one place every call
    /// passes: its deadline counts from here, covers waiting for the
    /// instance, instantiation, guest time and host waits (the epoch
    /// deadline stays the CPU bound); its output is checked here; an instance
    /// whose state can't be trusted after a failure is dropped.
    pub(crate) async fn call<C: GuestCall>(self: &Arc<Self>, call: C) -> (Result<C::Output, CallError>, Vec<Event>) {
        let started = std::time::Instant::now();
        let (result, emitted) = self.call_unmetered(call).await;
        if matches!(result, Err(CallError::Timeout(_))) {
            self.last_timeout.store(since_start(), Ordering::Release);
        }
        self.ctx.metrics().call(C::KIND, started.elapsed(), result.as_ref().map(C::outcome));
        (result, emitted)
    }

    async fn call_unmetered<C: GuestCall>(self: &Arc<Self>, call: C) -> (Result<C::Output, CallError>, Vec<Event>) {
        let allowed = self.ctx.limits().deadline(C::KIND);
        let deadline = Instant::now() + allowed;
        let slot = match self.instance.clone().try_lock_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Busy with another call: wait, but not past this call's deadline.
                let max = self.ctx.limits().http_queue;
                let _queued = match C::KIND {
                    CallKind::Http => match HttpQueue::join(&self.http_waiting, max) {
                        Some(q) => Some(q),
                        None => return (Err(CallError::QueueFull(max)), Vec::new()),
                    },
                    _ => None,
                };
                match self.wait_for_instance(C::KIND, deadline).await {
                    Ok(slot) => slot,
                    Err(e) => return (Err(e), Vec::new()),
                }
            }
        };
        let slot = Held::new(slot, &self.busy, deadline);
        let plugin = self.clone();
        match bounded(deadline, allowed, async move { plugin.run(slot, call, deadline).await }).await {
            Ok(done) => done,
            Err(e) => (Err(e), Vec::new()),
        }
    }

    /// Waits in turn for the instance until `deadline`. A filter waits only
    /// while the call in progress is younger than [`crate::Limits::filter_stall`]
    /// ([`crate::Limits::filter_stall_after_timeout`] if a call of this
    /// plugin timed out within [`crate::runtime::SUSPECT_WINDOW`]): a plugin
    /// stalled in a long call is skipped at once (its filter fails open), so
    /// it cannot hold every message of the chat up to the filter deadline. A
    /// call past its own deadline is being cut and lets go soon: that is
    /// waited for.
    async fn wait_for_instance(&self, kind: CallKind, deadline: Instant) -> Result<Slot, CallError> {
        let busy_error = || CallError::Busy(self.ctx.limits().deadline(kind));
        let acquire = self.instance.clone().lock_owned();
        tokio::pin!(acquire);
        if kind != CallKind::Filter {
            return tokio::time::timeout_at(deadline, acquire).await.map_err(|_| busy_error());
        }
        let stall = if self.timed_out_recently() {
            self.ctx.limits().filter_stall_after_timeout
        } else {
            self.ctx.limits().filter_stall
        };
        loop {
            let now = since_start();
            let (since, until) = (self.busy.since.load(Ordering::Acquire), self.busy.until.load(Ordering::Acquire));
            let look_again = if since == 0 {
                // Just starting or just ending.
                Some(stall)
            } else if now >= until {
                None
            } else {
                let ran = Duration::from_nanos(now.saturating_sub(since));
                if ran >= stall {
                    return Err(CallError::Stalled(ran));
                }
                Some((stall - ran).min(Duration::from_nanos(until - now)))
            };
            let wake = look_again.map_or(deadline, |d| deadline.min(Instant::now() + d));
            match tokio::time::timeout_at(wake, &mut acquire).await {
                Ok(slot) => return Ok(slot),
                Err(_) if wake >= deadline => return Err(busy_error()),
                // Still held: by the same call (older now) or the next one.
                Err(_) => {}
            }
        }
    }

    /// Whether a call of this plugin timed out within [`crate::runtime::SUSPECT_WINDOW`].
    fn timed_out_recently(&self) -> bool {
        let at = self.last_timeout.load(Ordering::Acquire);
        at != 0 && since_start().saturating_sub(at) < crate::runtime::SUSPECT_WINDOW.as_nanos() as u64
    }

    /// The call itself, on its own task, holding the instance lock.
    async fn run<C: GuestCall>(
        &self,
        mut slot: Held,
        call: C,
        deadline: Instant,
    ) -> (Result<C::Output, CallError>, Vec<Event>) {
        // Guest code stops at the first epoch tick past it, even when this
        // task has been abandoned (one call at a time: the lock is held).
        let deadline = Some(deadline.into_std());
        // Taken out while it runs: if the call is abandoned at its deadline,
        // the instance goes with it and the next call gets a fresh one.
        let mut instance = match slot.take() {
            Some(i) => i,
            None => match self.code.instantiate(self.ctx.clone(), deadline).await {
                Ok(i) => i,
                Err(e) => return (Err(e), Vec::new()),
            },
        };
        // The call's own state, fresh (what an earlier call left is dropped).
        let scope = instance.scope();
        *scope = CallScope::new(deadline);
        call.before(scope);
        let mut result = call.invoke(instance.as_mut()).await;
        let mut scope = std::mem::take(instance.scope());
        call.after(&mut scope, &mut result);
        let result = result.and_then(|out| call.check(&out, self.ctx.limits()).map(|()| out));
        match &result {
            Err(e) if e.poisons_instance() => {
                tracing::debug!(plugin = %self.slug(), "replacing the instance after: {e}")
            }
            _ => *slot = Some(instance),
        }
        (result, scope.take_emitted())
    }
}

type Slot = tokio::sync::OwnedMutexGuard<Option<Box<dyn PluginInstance>>>;

/// Nanoseconds since the first call of the process (never 0).
fn since_start() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64 + 1
}

/// When the call holding a plugin's instance got it and when its deadline
/// passes, in [`since_start`] nanoseconds; `since` is 0 while no call holds it.
#[derive(Default)]
struct Busy {
    since: AtomicU64,
    until: AtomicU64,
}

/// The instance held by one call, which marks when it got it for the calls
/// waiting ([`LoadedPlugin::wait_for_instance`]) and clears the mark before
/// letting go, even when the call is abandoned at its deadline.
struct Held {
    slot: Slot,
    busy: Arc<Busy>,
}

impl Held {
    fn new(slot: Slot, busy: &Arc<Busy>, deadline: Instant) -> Self {
        let now = since_start();
        let left = deadline.saturating_duration_since(Instant::now()).as_nanos() as u64;
        busy.until.store(now.saturating_add(left), Ordering::Release);
        busy.since.store(now, Ordering::Release);
        Held { slot, busy: busy.clone() }
    }
}

impl std::ops::Deref for Held {
    type Target = Option<Box<dyn PluginInstance>>;
    fn deref(&self) -> &Self::Target {
        &self.slot
    }
}

impl std::ops::DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.slot
    }
}

impl Drop for Held {
    /// Runs before the lock is released (fields drop after this).
    fn drop(&mut self) {
        self.busy.since.store(0, Ordering::Release);
    }
}

/// A place among the HTTP requests waiting for a busy plugin.
struct HttpQueue<'a>(&'a AtomicUsize);

impl<'a> HttpQueue<'a> {
    /// `None` when `max` requests are waiting already.
    fn join(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1))
            .ok()
            .map(|_| HttpQueue(waiting))
    }
}

impl Drop for HttpQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `work` on its own task and waits for it until `deadline`: past it the
/// caller gets [`CallError::Timeout`] at once, whatever the guest or the host
/// is waiting for (a `wasi:http` or `http_request` response, a WASI sleep, a
/// slow Owncast callback), and the task is cancelled (a blocking callback
/// ends it when it returns). Own tasks also let calls into different
/// plugins run on different cores.
async fn bounded<T: Send + 'static>(
    deadline: Instant,
    allowed: Duration,
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, CallError> {
    let mut task = tokio::spawn(work);
    match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(CallError::Trap(format!("the host failed while running the call: {e}"))),
        Err(_) => {
            task.abort();
            Err(CallError::Timeout(allowed))
        }
    }
}

/// The plugin host: runtime, services, loaders and the loaded plugins.
pub struct Host {
    runtime: Arc<Runtime>,
    services: Arc<HostServices>,
    loaders: Vec<Arc<dyn PluginLoader>>,
    plugins: RwLock<BTreeMap<String, Arc<LoadedPlugin>>>,
    /// Who filters and who is notified of each event type, worked out once
    /// per set of plugins rather than for every message.
    routing: RwLock<Routing>,
    pub(crate) observer: Arc<dyn Observer>,
}

/// Plugins subscribed to one event type (filters in chain order).
pub(crate) type Route = Arc<[Arc<LoadedPlugin>]>;

/// The routes looked up since the set of plugins last changed. Only event
/// types some plugin subscribes to are kept, so invented event names (a
/// plugin's emits) cannot grow it.
#[derive(Default)]
struct Routing {
    /// Bumped on every change of the set of plugins.
    generation: u64,
    /// Event type → its subscribers: `[notifications, filters]`.
    routes: [std::collections::HashMap<String, Route>; 2],
}

/// Builds a [`Host`]. The Owncast it serves and the network its plugins
/// reach are given to [`Host::builder`]: nothing defaults to a simulation or
/// to the open network. The other parts default to in-memory storage, a
/// temporary data folder and a fresh engine.
pub struct HostBuilder {
    config: RuntimeConfig,
    owncast: Arc<dyn Owncast>,
    kv: Option<Arc<dyn KvStore>>,
    outbound: Arc<dyn Outbound>,
    data_dir: Option<PathBuf>,
    legacy_data_dir: Option<PathBuf>,
    loaders: Vec<Arc<dyn PluginLoader>>,
    observer: Option<Arc<dyn Observer>>,
    sse: Option<Arc<SseHub>>,
    manual_timers: bool,
    runtime: Option<Arc<Runtime>>,
}

impl Host {
    /// A host serving `owncast`, whose plugins reach the network through
    /// `network` ([`NetworkOutbound`] for the real one, [`NoNetwork`] for none).
    pub fn builder(owncast: Arc<dyn Owncast>, network: Arc<dyn Outbound>) -> HostBuilder {
        HostBuilder {
            config: RuntimeConfig::default(),
            owncast,
            kv: None,
            outbound: network,
            data_dir: None,
            legacy_data_dir: None,
            loaders: Vec::new(),
            observer: None,
            sse: None,
            manual_timers: false,
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
        let grants =
            bundle.approved.clone().unwrap_or_else(|| manifest.permissions.clone()).intersection(&manifest.permissions);
        if grants.contains(crate::permissions::Permission::AuthGate) {
            if let Some(gate) = self.gate().filter(|g| g.slug() != manifest.slug) {
                return Err(LoadError::SecondGate { slug: manifest.slug.clone(), gate: gate.slug().to_string() });
            }
        }
        let loader = self.loaders.iter().find(|l| l.recognizes(&bundle.code, &bundle.code_file)).ok_or_else(|| {
            LoadError::Code {
                file: bundle.code_file.clone(),
                message:
                    "not a plugin this host can run (neither a WebAssembly component nor a module of a known kind)"
                        .into(),
            }
        })?;
        let code = loader.load(LoadRequest {
            runtime: &self.runtime,
            bytes: &bundle.code,
            file: &bundle.code_file,
            manifest: &manifest,
            grants: &grants,
        })?;
        let ctx = PluginContext::with_assets(
            manifest.clone(),
            grants,
            self.services.clone(),
            bundle.assets.assets_dir.clone(),
        );
        let slug = manifest.slug.clone();
        let allowed = self.runtime.limits().register_deadline;
        let deadline = Instant::now() + allowed;
        let (c, cx) = (code.clone(), ctx.clone());
        let registered = bounded(deadline, allowed, async move {
            // Its scope has the deadline; the next call starts a fresh one
            // (what `register()` emitted is dropped).
            let mut instance = c.instantiate(cx, Some(deadline.into_std())).await?;
            let reg = instance.register().await?;
            Ok::<_, CallError>((instance, reg))
        })
        .await
        .and_then(|r| r);
        let (instance, reg) = registered.map_err(|error| LoadError::Register { slug: slug.clone(), error })?;
        let (subscriptions, reg_warnings) = manifest.check_registration(&reg, &bundle.manifest_file)?;
        let (commands, command_warnings) = crate::commands::check(&reg, &bundle.manifest_file)?;
        let warnings: Vec<ManifestWarning> =
            manifest.warnings.iter().cloned().chain(reg_warnings).chain(command_warnings).collect();
        for w in &warnings {
            tracing::warn!(plugin = %slug, "{w}");
        }
        // Filtering is gated like an import: on the grant, not only the manifest.
        for f in &subscriptions.filter {
            if let Some(permission) = crate::permissions::for_filter(&f.event) {
                if !ctx.grants().contains(permission) {
                    return Err(LoadError::UngrantedFilter {
                        file: bundle.manifest_file.clone(),
                        event: f.event.clone(),
                        permission,
                        granted_by_manifest: manifest.permissions.contains(permission),
                    });
                }
            }
        }
        Ok(Arc::new(LoadedPlugin {
            manifest,
            subscriptions,
            warnings,
            commands,
            cooldowns: Mutex::new(Cooldowns::default()),
            kind: loader.kind(),
            assets: bundle.assets,
            code,
            ctx,
            instance: Arc::new(tokio::sync::Mutex::new(Some(instance))),
            busy: Arc::default(),
            http_waiting: AtomicUsize::new(0),
            last_timeout: AtomicU64::new(0),
            health: Mutex::new(Health::default()),
            routes: Mutex::new(Default::default()),
        }))
    }

    /// A host with the same engine and loaders but its own isolated services
    /// (in-memory store, no network, no Owncast server behind it): the
    /// place for trial loads of code the admin has not approved yet, so its
    /// `register()` can touch nothing real.
    pub fn sandbox(&self) -> Host {
        // Its timers are on a manual clock that is never driven: a trial
        // load's timers do not fire.
        let services = Arc::new(HostServices::new(
            Arc::new(DetachedOwncast),
            Arc::new(MemoryStore::default()),
            Arc::new(NoNetwork),
            self.services.sessions.clone(),
            std::env::temp_dir().join("owncast-plugin-sandbox"),
            self.runtime.limits().clone(),
        ));
        Host {
            runtime: self.runtime.clone(),
            services,
            loaders: self.loaders.clone(),
            plugins: RwLock::new(BTreeMap::new()),
            routing: RwLock::default(),
            observer: Arc::new(NoObserver),
        }
    }

    /// Puts a prepared plugin in service, replacing one with the same slug
    /// (whose timers are cancelled).
    pub fn install(&self, plugin: Arc<LoadedPlugin>) -> Option<Arc<LoadedPlugin>> {
        tracing::info!(plugin = %plugin.slug(), version = %plugin.manifest.version, kind = plugin.kind, "plugin loaded");
        let old = self.plugins.write().unwrap().insert(plugin.slug().to_string(), plugin.clone());
        self.reroute();
        if old.is_some() {
            self.services.timers.cancel_plugin(plugin.slug());
        }
        if plugin.notifies(TICK) {
            self.services.timers.start_tick(plugin.slug());
        }
        old
    }

    /// [`prepare`](Self::prepare) then [`install`](Self::install).
    pub async fn load(&self, bundle: PluginBundle) -> Result<Arc<LoadedPlugin>, LoadError> {
        let p = self.prepare(bundle).await?;
        self.install(p.clone());
        Ok(p)
    }

    /// Takes a plugin out of service; its UI contributions go with it (the
    /// buttons it added at run time stay in its storage for its return).
    pub fn unload(&self, slug: &str) -> Option<Arc<LoadedPlugin>> {
        let p = self.plugins.write().unwrap().remove(slug);
        self.reroute();
        if p.is_some() {
            self.services.timers.cancel_plugin(slug);
            self.services.sql.close(slug);
            tracing::info!(plugin = %slug, "plugin unloaded");
        }
        p
    }

    pub fn get(&self, slug: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins.read().unwrap().get(slug).cloned()
    }

    /// Forgets the routes after a change of the set of plugins.
    fn reroute(&self) {
        let mut r = self.routing.write().unwrap();
        r.generation += 1;
        r.routes = Default::default();
    }

    /// The plugins that filter (`filters`, in chain order: lowest priority
    /// first, slug breaking ties) or are notified of `event_type`, enabled or
    /// not (callers skip the disabled ones: a plugin is disabled without the
    /// set changing).
    pub(crate) fn route(&self, event_type: &str, filters: bool) -> Route {
        let generation = {
            let r = self.routing.read().unwrap();
            if let Some(route) = r.routes[filters as usize].get(event_type) {
                return route.clone();
            }
            r.generation
        };
        let mut list: Vec<_> = self
            .plugins()
            .into_iter()
            .filter(|p| if filters { p.filters(event_type) } else { p.notifies(event_type) })
            .collect();
        if filters {
            list.sort_by(|a, b| {
                (a.filter_priority(event_type), a.slug()).cmp(&(b.filter_priority(event_type), b.slug()))
            });
        }
        let route: Route = list.into();
        let mut r = self.routing.write().unwrap();
        // Not if the set changed meanwhile (the list may be the old set's).
        if !route.is_empty() && r.generation == generation {
            r.routes[filters as usize].insert(event_type.to_string(), route.clone());
        }
        route
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
    pub fn kv(mut self, kv: Arc<dyn KvStore>) -> Self {
        self.kv = Some(kv);
        self
    }
    /// Where plugins store their files and databases, as upstream lays it
    /// out ([`crate::services::storage`]).
    pub fn data_dir(mut self, d: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(d.into());
        self
    }
    /// The data directory of this host's earlier layout, whose contents
    /// [`build`](Self::build) moves into the data directory first
    /// ([`crate::services::storage::migrate_legacy_layout`]).
    pub fn migrate_storage_from(mut self, d: impl Into<PathBuf>) -> Self {
        self.legacy_data_dir = Some(d.into());
        self
    }
    pub fn sse(mut self, hub: Arc<SseHub>) -> Self {
        self.sse = Some(hub);
        self
    }
    /// Timers on a manual clock, moved by [`Host::advance_timers`] (scenario tests).
    pub fn manual_timers(mut self) -> Self {
        self.manual_timers = true;
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
        let data_dir = self.data_dir.unwrap_or_else(|| std::env::temp_dir().join("owncast-plugin-data"));
        if let Some(old) = &self.legacy_data_dir {
            crate::services::storage::migrate_legacy_layout(old, &data_dir).map_err(|e| {
                anyhow::anyhow!("moving plugin data from {} to {}: {e}", old.display(), data_dir.display())
            })?;
        }
        let sessions = Arc::new(SessionKeys::load(&*kv)?);
        let services = Arc::new(
            HostServices::new(
                Arc::new(OffWorker(self.owncast)),
                kv,
                self.outbound,
                sessions,
                data_dir,
                runtime.limits().clone(),
            )
            .with_timers(if self.manual_timers { TimerHub::manual() } else { TimerHub::real() })
            .with_sse(self.sse.unwrap_or_default()),
        );
        let mut loaders: Vec<Arc<dyn PluginLoader>> = vec![Arc::new(ComponentLoader)];
        loaders.extend(self.loaders);
        Ok(Host {
            runtime,
            services,
            loaders,
            plugins: RwLock::new(BTreeMap::new()),
            routing: RwLock::default(),
            observer: self.observer.unwrap_or_else(|| Arc::new(NoObserver)),
        })
    }
}

impl Host {
    /// A plugin's metrics now, with its strikes and KV usage; `None` if it never ran.
    pub fn metrics_snapshot(&self, slug: &str) -> Option<crate::metrics::PluginSnapshot> {
        let m = self.services().metrics.get(slug)?;
        let strikes = self.get(slug).map(|p| p.health().strikes).unwrap_or(0);
        let kv = crate::kv::Namespace::new(self.services().kv.clone(), slug)
            .usage()
            .map(|(keys, bytes)| crate::metrics::KvUsage { keys, bytes })
            .unwrap_or_default();
        Some(m.snapshot(strikes, kv))
    }

    /// Every plugin's metrics in the Prometheus text exposition format.
    pub fn metrics_text(&self) -> String {
        let slugs = self.services().metrics.slugs();
        crate::metrics::encode_text(
            slugs.into_iter().filter_map(|s| self.metrics_snapshot(&s).map(|m| (s, m))).collect(),
        )
    }
}
