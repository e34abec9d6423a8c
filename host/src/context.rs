//! Host services and the per-plugin context every host call goes through.
//!
//! A host call, whether it arrives through a WIT import or a legacy
//! `owncast_*` function, lands on a method of [`PluginContext`] (one module per
//! capability under [`crate::capabilities`]). The context applies the host's
//! limits and calls the service; the permission was checked before (see
//! [`PluginContext::require`]).

use crate::event::Event;
use crate::kv::{KvStore, Namespace};
use crate::manifest::Manifest;
use crate::outbound::Outbound;
use crate::owncast::{Caller, Owncast};
use crate::permissions::{Permission, Permissions};
use crate::runtime::Limits;
use crate::services::auth_gate::{SessionChange, SessionKeys};
use crate::services::config::ConfigValues;
use crate::services::sql::SqlStore;
use crate::services::sse::SseHub;
use crate::services::timer::TimerHub;
use std::path::PathBuf;
use std::sync::Arc;

/// Services shared by every plugin of one host.
pub struct HostServices {
    pub owncast: Arc<dyn Owncast>,
    pub kv: Arc<dyn KvStore>,
    pub outbound: Arc<dyn Outbound>,
    pub sse: Arc<SseHub>,
    pub config: Arc<ConfigValues>,
    pub timers: Arc<TimerHub>,
    /// The plugins' SQL databases (`storage.sql`), under `data_dir`.
    pub sql: Arc<SqlStore>,
    /// Signs `auth.gate` session cookies.
    pub sessions: Arc<SessionKeys>,
    /// Root of the plugins' private data directories (`storage.fs`).
    pub data_dir: PathBuf,
    pub limits: Limits,
    /// Per-plugin metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl HostServices {
    /// The one way services are put together. Settings values live in
    /// `kv`; the SQL databases and private files under `data_dir`; metrics
    /// start empty. Timers run on a manual clock and the SSE hub is a new
    /// one until [`with_timers`](Self::with_timers) and
    /// [`with_sse`](Self::with_sse) say otherwise. Owncast is called as
    /// given (the host builder wraps it to run off the async workers).
    pub fn new(
        owncast: Arc<dyn Owncast>,
        kv: Arc<dyn KvStore>,
        outbound: Arc<dyn Outbound>,
        sessions: Arc<SessionKeys>,
        data_dir: PathBuf,
        limits: Limits,
    ) -> Self {
        HostServices {
            owncast,
            config: Arc::new(ConfigValues::new(kv.clone())),
            kv,
            outbound,
            sse: Arc::new(SseHub::default()),
            timers: Arc::new(TimerHub::manual()),
            sql: Arc::new(SqlStore::new(&data_dir)),
            sessions,
            data_dir,
            limits,
            metrics: Default::default(),
        }
    }

    pub fn with_timers(mut self, timers: TimerHub) -> Self {
        self.timers = Arc::new(timers);
        self
    }

    pub fn with_sse(mut self, sse: Arc<SseHub>) -> Self {
        self.sse = sse;
        self
    }
}

pub use crate::error::HostCallError;

/// One plugin's view of the host.
/// Most events one call may emit. Without a cap a plugin emitting in a loop
/// until its deadline would make the host hold millions of events (the
/// load test's emit storm raised the host's RSS by tens of MiB per storm).
pub const MAX_EMITS_PER_CALL: usize = 1000;

pub struct PluginContext {
    slug: String,
    manifest: Arc<Manifest>,
    grants: Permissions,
    services: Arc<HostServices>,
    kv: Namespace,
    /// The plugin's bundled `assets/` directory, if it has one.
    assets_dir: Option<PathBuf>,
    metrics: Arc<crate::metrics::PluginMetrics>,
}

/// What one call into a plugin carries besides its input: when it must end,
/// the events the plugin emitted during it and, in an `on_http_request`
/// call, what it did to the session. It lives with the call (in the
/// instance's store while the guest runs, see
/// [`PluginInstance::scope`](crate::plugin::PluginInstance::scope)), not on
/// the plugin's shared context.
#[derive(Debug, Default)]
pub struct CallScope {
    /// When the call must end (the dispatcher's deadline; guest code is
    /// interrupted then: see [`Runtime::arm`](crate::runtime::Runtime::arm)).
    pub deadline: Option<std::time::Instant>,
    emitted: Vec<Event>,
    /// `Some` in an `on_http_request` call: what it did to the session.
    http_session: Option<Option<SessionChange>>,
}

impl CallScope {
    pub fn new(deadline: Option<std::time::Instant>) -> Self {
        CallScope { deadline, ..Default::default() }
    }
    /// Marks the call as an `on_http_request` call.
    pub(crate) fn begin_http(&mut self) {
        self.http_session = Some(None);
    }
    /// Ends it; returns what it did to the session.
    pub(crate) fn end_http(&mut self) -> Option<SessionChange> {
        self.http_session.take().flatten()
    }
    pub(crate) fn in_http(&self) -> bool {
        self.http_session.is_some()
    }
    pub(crate) fn set_session_change(&mut self, change: SessionChange) {
        if let Some(slot) = self.http_session.as_mut() {
            *slot = Some(change);
        }
    }
    /// Queues an event the plugin emitted; `false` (and not queued) once
    /// the call has queued [`MAX_EMITS_PER_CALL`].
    pub(crate) fn queue_emit(&mut self, event: Event) -> bool {
        if self.emitted.len() >= MAX_EMITS_PER_CALL {
            return false;
        }
        self.emitted.push(event);
        true
    }
    /// The events the plugin emitted during the call, for the dispatcher.
    pub fn take_emitted(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.emitted)
    }
}

impl PluginContext {
    pub fn new(manifest: Arc<Manifest>, grants: Permissions, services: Arc<HostServices>) -> Arc<Self> {
        Self::with_assets(manifest, grants, services, None)
    }

    /// [`new`](Self::new) for a plugin that ships an `assets/` directory.
    pub fn with_assets(
        manifest: Arc<Manifest>,
        grants: Permissions,
        services: Arc<HostServices>,
        assets_dir: Option<PathBuf>,
    ) -> Arc<Self> {
        let grants = grants.intersection(&manifest.permissions);
        Arc::new(PluginContext {
            slug: manifest.slug.clone(),
            kv: Namespace::new(services.kv.clone(), &manifest.slug),
            metrics: services.metrics.plugin(&manifest.slug),
            assets_dir,
            manifest,
            grants,
            services,
        })
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }
    pub fn manifest(&self) -> &Arc<Manifest> {
        &self.manifest
    }
    /// Declared by the manifest and approved by the admin.
    pub fn grants(&self) -> &Permissions {
        &self.grants
    }
    pub fn services(&self) -> &Arc<HostServices> {
        &self.services
    }
    /// This plugin's metrics (resolved once, so recording needs no lookup).
    pub fn metrics(&self) -> &Arc<crate::metrics::PluginMetrics> {
        &self.metrics
    }
    pub fn limits(&self) -> &Limits {
        &self.services.limits
    }
    pub(crate) fn assets_dir(&self) -> Option<&std::path::Path> {
        self.assets_dir.as_deref()
    }
    pub(crate) fn kv_namespace(&self) -> &Namespace {
        &self.kv
    }
    pub(crate) fn owncast(&self) -> &dyn Owncast {
        &*self.services.owncast
    }
    pub(crate) fn caller(&self) -> Caller<'_> {
        Caller { slug: &self.slug, bot_name: self.manifest.bot_name() }
    }

    /// The call-time gate: refuses a call the plugin's grant does not cover,
    /// as a typed [`HostCallError::Denied`] naming the plugin, the function
    /// and the permission. Capability methods do not check permissions:
    /// components and self-contained legacy modules are gated when they load
    /// (only what the grant covers is linked); code linked to every host
    /// function (modules built on the JS engine, shared-engine scripts) passes
    /// this gate on each call, in the one wrapper every legacy host function
    /// goes through (`owncast_compat_extism::user`), with the permission the
    /// declarations give the function.
    pub fn require(&self, permission: Permission, call: &str) -> Result<(), HostCallError> {
        if self.grants.contains(permission) {
            Ok(())
        } else {
            tracing::warn!(plugin = %self.slug, %call, %permission, "host call refused");
            Err(HostCallError::Denied { slug: self.slug.clone(), call: call.to_string(), permission })
        }
    }

    pub fn failed(&self, call: &str, message: impl std::fmt::Display) -> HostCallError {
        HostCallError::Failed { slug: self.slug.clone(), call: call.to_string(), message: message.to_string() }
    }
}
