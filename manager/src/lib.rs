//! The plugin manager: what is installed in the plugins folder, what the
//! admin enabled and approved, and keeping the [`Host`] in line with both,
//! without restarting it.
//!
//! - **Discovery** ([`PluginManager::rescan`]): `*.ocpkg` packages (checked
//!   and unpacked into the work folder) and loose files `<base>.manifest.json`
//!   with `<base>.wasm` (or `<base>.js`, for a shared-engine loader), with
//!   `<base>-assets/` served, `<base>.icon.png` and `<base>.INSTRUCTIONS.md`;
//!   and plugin directories `<name>/plugin.manifest.json` laid out as
//!   [`PluginBundle::from_dir`] reads them (a development convenience: the
//!   examples' folders work as a plugins folder).
//!   A plugin whose files changed is reloaded; one whose files went away is
//!   unloaded.
//! - **Approval**: a plugin runs only with a permission set the admin
//!   approved. A new version that asks for more stays disabled until it is
//!   approved again; one asking for the same or less keeps running.
//! - **State** (enabled set, approvals) lives in one JSON file written
//!   atomically ([`state`]).
//! - **Upload** ([`PluginManager::upload`]): a package is read by the safe
//!   reader ([`package`]), trial-loaded (compile, instantiate, `register()`
//!   and its cross-check) in a sandbox host whose services are simulated, and
//!   only then replaces the installed version.

mod data;
pub mod package;
pub mod state;

use owncast_plugin_host::bundle::{BundleError, MAX_CODE_BYTES};
use owncast_plugin_host::capabilities::config::ConfigError;
use owncast_plugin_host::host::{Health, Host};
use owncast_plugin_host::manifest::{Manifest, MAX_MANIFEST_BYTES};
use owncast_plugin_host::permissions::{Permission, Permissions};
use owncast_plugin_host::plugin::LoadError;
use owncast_plugin_host::{PluginAssets, PluginBundle};
use package::{read_package, Package, PackageError, PackageLimits};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use state::{PluginState, StateFile};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Lists a folder: the paths of its entries.
pub type ListFn = dyn Fn(&Path) -> std::io::Result<Vec<PathBuf>> + Send + Sync;

/// How the plugins folder is listed: `std::fs::read_dir` unless a test
/// injects failures.
#[derive(Clone)]
pub struct DirLister(pub Arc<ListFn>);

impl std::fmt::Debug for DirLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirLister")
    }
}

impl Default for DirLister {
    fn default() -> Self {
        DirLister(Arc::new(|dir: &Path| std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect()))
    }
}

/// Where the manager keeps things.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// The plugins folder admins drop files into.
    pub plugins_dir: PathBuf,
    /// Enabled set and approvals (default `<plugins>/.enabled.json`).
    pub state_file: PathBuf,
    /// Where packages are unpacked (default `<plugins>/.ocpkg-unpacked`).
    pub work_dir: PathBuf,
    pub package_limits: PackageLimits,
    /// Lists the plugins folder (tests replace it to inject failures).
    pub list_dir: DirLister,
}

impl ManagerConfig {
    pub fn new(plugins_dir: impl Into<PathBuf>) -> Self {
        let plugins_dir = plugins_dir.into();
        ManagerConfig {
            state_file: plugins_dir.join(".enabled.json"),
            work_dir: plugins_dir.join(".ocpkg-unpacked"),
            plugins_dir,
            package_limits: PackageLimits::default(),
            list_dir: DirLister::default(),
        }
    }
}

/// Why a manager operation failed; [`status`](Self::status) is its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("no plugin `{0}`")]
    NotFound(String),
    #[error("plugin `{slug}` asks for permissions the admin has not approved: {}; approve them to enable it", .missing.join(", "))]
    NeedsApproval { slug: String, missing: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Io(String),
}

impl ManagerError {
    pub fn status(&self) -> u16 {
        match self {
            ManagerError::NotFound(_) => 404,
            ManagerError::NeedsApproval { .. } | ManagerError::Conflict(_) => 409,
            ManagerError::Package(PackageError::TooLarge { .. }) => 413,
            ManagerError::Package(PackageError::Io(..)) | ManagerError::Io(_) => 500,
            ManagerError::Package(_) => 400,
            ManagerError::Load(_) => 422,
            ManagerError::Config(ConfigError::Store(_)) => 500,
            ManagerError::Config(ConfigError::ValueTooLarge { .. } | ConfigError::TotalTooLarge { .. }) => 413,
            ManagerError::Config(_) => 400,
        }
    }
}

fn io_err(what: impl std::fmt::Display, e: std::io::Error) -> ManagerError {
    ManagerError::Io(format!("{what}: {e}"))
}

/// Where a plugin's files are.
#[derive(Debug, Clone)]
enum Source {
    Files { manifest: PathBuf, code: PathBuf, base: String },
    Package { file: PathBuf, dir: PathBuf },
    Dir { dir: PathBuf },
}

/// A plugin found in the plugins folder.
#[derive(Debug, Clone)]
struct Entry {
    source: Source,
    /// The file that names it (`echo-bot.ocpkg`, `echo-bot.manifest.json`).
    file: String,
    manifest: Arc<Manifest>,
    assets: PluginAssets,
    /// Changes whenever its files do.
    fingerprint: String,
}

/// A file in the plugins folder that is not a usable plugin.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidFile {
    pub file: String,
    pub error: String,
}

/// A package or plugin directory already read, by a stamp of its files
/// (lengths and modification times), so a rescan reads only what changed.
#[derive(Clone)]
struct CachedPackage {
    stamp: String,
    result: Result<Entry, String>,
}

#[derive(Default)]
struct Inner {
    entries: BTreeMap<String, Entry>,
    invalid: Vec<InvalidFile>,
    problems: Vec<String>,
    state: StateFile,
    /// Slug → (fingerprint, message) of the last failed load.
    load_errors: BTreeMap<String, (String, String)>,
    packages: BTreeMap<PathBuf, CachedPackage>,
    /// Why the last scan was abandoned, if it was.
    scan_error: Option<String>,
}

/// What the admin sees of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Running.
    Enabled,
    /// Not running: the admin has not enabled it (or disabled it).
    Disabled,
    /// Enabled, but its permissions are not (all) approved.
    NeedsApproval,
    /// Enabled, but it failed to load.
    Failed,
    /// The host disabled it after repeated failures.
    AutoDisabled,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginInfo {
    pub slug: String,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub status: Status,
    /// The admin wants it running.
    pub enabled: bool,
    /// `component`, `extism`, ... when running.
    pub kind: Option<&'static str>,
    /// `package` or `files`.
    pub source: &'static str,
    pub file: String,
    pub permissions: Permissions,
    pub approved_permissions: Option<Permissions>,
    pub approved_version: Option<String>,
    /// `network.allowedHosts` of the version the admin approved.
    pub approved_allowed_hosts: Option<Vec<String>>,
    /// Declared but not approved: what approving would grant.
    pub unapproved_permissions: Vec<&'static str>,
    /// Allowed hosts this version lists that the approved version did not.
    pub unapproved_allowed_hosts: Vec<String>,
    pub allowed_hosts: Vec<String>,
    pub strikes: u32,
    pub last_error: Option<String>,
    pub health: Option<Health>,
    pub icon_url: Option<String>,
    pub instructions_url: Option<String>,
    /// Checks beyond upstream's that the manifest (or, while running, the
    /// plugin's `register()`) fails; the plugin still runs.
    pub warnings: Vec<String>,
    pub manifest: Manifest,
}

/// A plugin's settings: the schema and the current values.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigView {
    pub schema: BTreeMap<String, owncast_plugin_host::manifest::ConfigField>,
    pub values: BTreeMap<String, Value>,
}

/// The plugin manager. Operations are serialized; reads are not blocked by
/// a slow operation (a compile in progress).
pub struct PluginManager {
    host: Arc<Host>,
    config: ManagerConfig,
    ops: tokio::sync::Mutex<()>,
    inner: Mutex<Inner>,
    /// Assets by slug, for the server's icon and instructions routes.
    assets: RwLock<BTreeMap<String, PluginAssets>>,
}

/// What a version asks for beyond what the admin approved: permissions, and
/// outgoing hosts (`network.allowedHosts`) the approved version did not list.
#[derive(Debug, Default)]
struct Unapproved {
    permissions: Vec<Permission>,
    hosts: Vec<String>,
}

impl Unapproved {
    /// Compares a manifest with the admin's approval. Hosts count only once
    /// an approval recorded them: before the first approval the permissions
    /// decide (hosts are inert without `http.fetch`), and a state file from
    /// before hosts were recorded keeps its plugins running.
    fn of(manifest: &Manifest, st: &PluginState) -> Unapproved {
        let empty = Permissions::default();
        let permissions = manifest.permissions.difference(st.approved.as_ref().unwrap_or(&empty)).collect();
        let hosts = match &st.approved_allowed_hosts {
            Some(old) => manifest.allowed_hosts.iter().filter(|h| !old.contains(h)).cloned().collect(),
            None => Vec::new(),
        };
        Unapproved { permissions, hosts }
    }

    fn is_empty(&self) -> bool {
        self.permissions.is_empty() && self.hosts.is_empty()
    }

    fn into_error(self, slug: &str) -> ManagerError {
        let mut missing: Vec<String> = self.permissions.iter().map(|p| p.name().to_string()).collect();
        missing.extend(self.hosts.iter().map(|h| format!("outgoing host {h}")));
        ManagerError::NeedsApproval { slug: slug.to_string(), missing }
    }
}

/// What the admin saw when approving: the permission set and, optionally,
/// the allowed hosts. Approval fails when the plugin now asks for other ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Review {
    pub permissions: Permissions,
    pub allowed_hosts: Option<Vec<String>>,
}

fn stamp(path: &Path) -> Option<(u64, Option<std::time::SystemTime>)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PluginManager {
    /// A manager over `config.plugins_dir`; call [`rescan`](Self::rescan) to
    /// discover and start the enabled plugins.
    pub fn new(host: Arc<Host>, config: ManagerConfig) -> Result<Arc<Self>, ManagerError> {
        std::fs::create_dir_all(&config.plugins_dir).map_err(|e| io_err(config.plugins_dir.display(), e))?;
        let state = StateFile::load(&config.state_file).map_err(|e| io_err(config.state_file.display(), e))?;
        // What an interrupted unpack or write left behind.
        let state_dir = config.state_file.parent().map(Path::to_path_buf);
        for dir in [Some(config.work_dir.clone()), Some(config.plugins_dir.clone()), state_dir].into_iter().flatten() {
            remove_leftovers(&dir);
        }
        host.start_timers();
        Ok(Arc::new(PluginManager {
            host,
            config,
            ops: tokio::sync::Mutex::new(()),
            inner: Mutex::new(Inner { state, ..Default::default() }),
            assets: RwLock::new(BTreeMap::new()),
        }))
    }

    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }
    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// Whether a plugin of this slug is installed (running or not).
    pub fn knows(&self, slug: &str) -> bool {
        self.assets.read().unwrap().contains_key(slug)
    }
    /// An installed plugin's assets (for its icon and instructions).
    pub fn assets(&self, slug: &str) -> Option<PluginAssets> {
        self.assets.read().unwrap().get(slug).cloned()
    }

    /// Problems found by the last scan (duplicate slugs and the like).
    pub fn problems(&self) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        let mut out = inner.problems.clone();
        out.extend(
            inner
                .scan_error
                .iter()
                .map(|e| format!("the last scan of the plugins folder failed, the plugins found before stay: {e}")),
        );
        out
    }
    /// Files in the plugins folder that are not usable plugins.
    pub fn invalid(&self) -> Vec<InvalidFile> {
        self.inner.lock().unwrap().invalid.clone()
    }

    // ---- discovery -------------------------------------------------------

    /// Reads the plugins folder again and brings the host in line: new or
    /// changed enabled plugins are (re)loaded, removed ones unloaded.
    pub async fn rescan(&self) {
        let _op = self.ops.lock().await;
        self.rescan_locked().await
    }

    async fn rescan_locked(&self) {
        let cache = self.inner.lock().unwrap().packages.clone();
        let config = self.config.clone();
        let found = tokio::task::spawn_blocking(move || discover(&config, cache)).await.expect("discovery panicked");
        let (entries, invalid, problems, cache) = match found {
            Ok(d) => d,
            Err(e) => {
                // Not "no plugins": keep what runs and try again at the next scan.
                tracing::error!("reading the plugins folder failed: {e}; keeping the current plugins, trying again at the next scan");
                self.inner.lock().unwrap().scan_error = Some(e);
                return;
            }
        };
        let (old, state) = {
            let mut inner = self.inner.lock().unwrap();
            inner.scan_error = None;
            inner.packages = cache;
            inner.invalid = invalid;
            inner.problems = problems;
            (std::mem::replace(&mut inner.entries, entries.clone()), inner.state.clone())
        };
        self.publish_assets();
        for p in self.host.plugins() {
            let wanted = entries.contains_key(p.slug()) && state.plugins.get(p.slug()).is_some_and(|s| s.enabled);
            if !wanted {
                self.host.unload(p.slug());
            }
        }
        for (slug, e) in &entries {
            let Some(st) = state.plugins.get(slug).filter(|s| s.enabled) else { continue };
            let changed = old.get(slug).is_none_or(|o| o.fingerprint != e.fingerprint);
            let failed_before =
                self.inner.lock().unwrap().load_errors.get(slug).is_some_and(|(f, _)| *f == e.fingerprint);
            if self.host.get(slug).is_some() && !changed {
                continue;
            }
            if failed_before && !changed {
                continue;
            }
            if !Unapproved::of(&e.manifest, st).is_empty() {
                if self.host.unload(slug).is_some() {
                    tracing::warn!(plugin = %slug, "new version asks for more permissions or hosts: disabled until the admin approves them");
                }
                continue;
            }
            if let Err(err) = self.load_entry(slug, e, st).await {
                tracing::error!(plugin = %slug, "could not load: {err}");
            }
        }
        self.cleanup_work_dir();
    }

    fn publish_assets(&self) {
        let map = self.inner.lock().unwrap().entries.iter().map(|(k, e)| (k.clone(), e.assets.clone())).collect();
        *self.assets.write().unwrap() = map;
    }

    /// Removes unpacked packages no entry uses any more.
    fn cleanup_work_dir(&self) {
        let used: BTreeSet<PathBuf> = self
            .inner
            .lock()
            .unwrap()
            .entries
            .values()
            .filter_map(|e| match &e.source {
                Source::Package { dir, .. } => Some(dir.clone()),
                Source::Files { .. } | Source::Dir { .. } => None,
            })
            .collect();
        let running: BTreeSet<PathBuf> = self
            .host
            .plugins()
            .iter()
            .flat_map(|p| [p.assets.public_dir.clone(), p.assets.icon.clone(), p.assets.instructions.clone()])
            .flatten()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        let Ok(rd) = std::fs::read_dir(&self.config.work_dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if !used.contains(&p) && !running.contains(&p) && !name.starts_with(".tmp") {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
    }

    // ---- loading ---------------------------------------------------------

    fn bundle_of(&self, entry: &Entry, approved: Option<Permissions>) -> Result<PluginBundle, ManagerError> {
        let read = |p: &Path, cap: u64| -> Result<Vec<u8>, ManagerError> {
            let len = std::fs::metadata(p).map_err(|e| io_err(p.display(), e))?.len();
            if len > cap {
                return Err(ManagerError::Io(format!("{}: {len} bytes is over the {cap}-byte limit", p.display())));
            }
            std::fs::read(p).map_err(|e| io_err(p.display(), e))
        };
        let (manifest_path, code_path, manifest_file, code_file) = match &entry.source {
            Source::Dir { dir } => {
                let mut b = PluginBundle::from_dir(dir).map_err(|e| ManagerError::Io(e.to_string()))?;
                b.approved = Some(approved.unwrap_or_default());
                return Ok(b);
            }
            Source::Files { manifest, code, .. } => {
                (manifest.clone(), code.clone(), manifest.display().to_string(), code.display().to_string())
            }
            Source::Package { dir, .. } => {
                let code = package::CODE_NAMES
                    .iter()
                    .map(|n| dir.join(n))
                    .find(|p| p.is_file())
                    .unwrap_or(dir.join("plugin.wasm"));
                let code_name = code.file_name().unwrap().to_string_lossy().into_owned();
                (
                    dir.join(package::MANIFEST),
                    code,
                    format!("{}:{}", entry.file, package::MANIFEST),
                    format!("{}:{code_name}", entry.file),
                )
            }
        };
        Ok(PluginBundle {
            manifest: read(&manifest_path, MAX_MANIFEST_BYTES as u64)?,
            manifest_file,
            code: read(&code_path, MAX_CODE_BYTES)?,
            code_file,
            assets: entry.assets.clone(),
            approved: Some(approved.unwrap_or_default()),
        })
    }

    /// Loads an entry with the approved grant and puts it in service,
    /// replacing the running version only on success.
    async fn load_entry(&self, slug: &str, entry: &Entry, st: &PluginState) -> Result<(), ManagerError> {
        let result = async {
            let bundle = self.bundle_of(entry, st.approved.clone())?;
            let manifest = Manifest::parse(&bundle.manifest, &bundle.manifest_file).map_err(LoadError::from)?;
            let unapproved = Unapproved::of(&manifest, st);
            if !unapproved.is_empty() {
                return Err(unapproved.into_error(slug));
            }
            let plugin = self.host.prepare(bundle).await?;
            if plugin.slug() != slug {
                return Err(ManagerError::Conflict(format!("{} now says its slug is `{}`", entry.file, plugin.slug())));
            }
            self.host.install(plugin);
            Ok(())
        }
        .await;
        let mut inner = self.inner.lock().unwrap();
        match &result {
            Ok(()) => {
                inner.load_errors.remove(slug);
            }
            Err(e) => {
                inner.load_errors.insert(slug.to_string(), (entry.fingerprint.clone(), e.to_string()));
            }
        }
        result
    }

    fn entry(&self, slug: &str) -> Result<(Entry, PluginState), ManagerError> {
        let inner = self.inner.lock().unwrap();
        let e = inner.entries.get(slug).cloned().ok_or_else(|| ManagerError::NotFound(slug.to_string()))?;
        Ok((e, inner.state.plugins.get(slug).cloned().unwrap_or_default()))
    }

    fn save_state(&self, slug: &str, st: Option<PluginState>) -> Result<(), ManagerError> {
        let snapshot = {
            let mut inner = self.inner.lock().unwrap();
            match st {
                Some(st) => inner.state.plugins.insert(slug.to_string(), st),
                None => inner.state.plugins.remove(slug),
            };
            inner.state.clone()
        };
        snapshot.save(&self.config.state_file).map_err(|e| io_err(self.config.state_file.display(), e))
    }

    // ---- admin operations ------------------------------------------------

    /// Every installed plugin.
    pub fn list(&self) -> Vec<PluginInfo> {
        let slugs: Vec<String> = self.inner.lock().unwrap().entries.keys().cloned().collect();
        slugs.iter().filter_map(|s| self.info(s).ok()).collect()
    }

    pub fn info(&self, slug: &str) -> Result<PluginInfo, ManagerError> {
        let (entry, st, load_error) = {
            let inner = self.inner.lock().unwrap();
            let e = inner.entries.get(slug).cloned().ok_or_else(|| ManagerError::NotFound(slug.to_string()))?;
            let st = inner.state.plugins.get(slug).cloned().unwrap_or_default();
            (e, st, inner.load_errors.get(slug).map(|(_, m)| m.clone()))
        };
        let running = self.host.get(slug);
        let health = running.as_ref().map(|p| p.health());
        let manifest = running.as_ref().map(|p| (*p.manifest).clone()).unwrap_or_else(|| (*entry.manifest).clone());
        let unapproved = Unapproved::of(&entry.manifest, &st);
        let status = match (&health, st.enabled) {
            (Some(h), _) if h.disabled.is_some() => Status::AutoDisabled,
            (Some(_), _) => Status::Enabled,
            (None, true) if !unapproved.is_empty() => Status::NeedsApproval,
            (None, true) => Status::Failed,
            (None, false) => Status::Disabled,
        };
        let last_error = load_error
            .or_else(|| health.as_ref().and_then(|h| h.disabled.clone()))
            .or_else(|| health.as_ref().and_then(|h| h.last_error.clone()));
        Ok(PluginInfo {
            slug: slug.to_string(),
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            description: manifest.description.clone(),
            status,
            enabled: st.enabled,
            kind: running.as_ref().map(|p| p.kind),
            source: match entry.source {
                Source::Files { .. } => "files",
                Source::Package { .. } => "package",
                Source::Dir { .. } => "directory",
            },
            file: entry.file.clone(),
            permissions: entry.manifest.permissions.clone(),
            approved_permissions: st.approved.clone(),
            approved_version: st.approved_version.clone(),
            approved_allowed_hosts: st.approved_allowed_hosts.clone(),
            unapproved_permissions: unapproved.permissions.iter().map(|p| p.name()).collect(),
            unapproved_allowed_hosts: unapproved.hosts,
            allowed_hosts: manifest.allowed_hosts.clone(),
            strikes: health.as_ref().map(|h| h.strikes).unwrap_or(0),
            last_error,
            health,
            icon_url: entry.assets.icon.as_ref().map(|_| format!("/api/plugins/{slug}/icon")),
            instructions_url: entry
                .assets
                .instructions
                .as_ref()
                .map(|_| format!("/api/admin/plugins/{slug}/instructions")),
            warnings: match &running {
                Some(p) => p.warnings.iter().map(ToString::to_string).collect(),
                None => manifest.warnings.iter().map(ToString::to_string).collect(),
            },
            manifest,
        })
    }

    /// Starts a plugin whose permissions are approved (a plugin that asks for
    /// none needs no approval). A plugin the host disabled gets a fresh start.
    pub async fn enable(&self, slug: &str) -> Result<PluginInfo, ManagerError> {
        let _op = self.ops.lock().await;
        let (entry, mut st) = self.entry(slug)?;
        let unapproved = Unapproved::of(&entry.manifest, &st);
        if !unapproved.is_empty() {
            return Err(unapproved.into_error(slug));
        }
        if st.approved.is_none() {
            st.approved = Some(entry.manifest.permissions.clone());
            st.approved_version = Some(entry.manifest.version.clone());
            st.approved_allowed_hosts = Some(entry.manifest.allowed_hosts.clone());
        }
        st.enabled = true;
        self.save_state(slug, Some(st.clone()))?;
        let healthy = self.host.get(slug).is_some_and(|p| p.is_enabled());
        if !healthy {
            self.load_entry(slug, &entry, &st).await?;
        }
        self.info(slug)
    }

    /// Approves the plugin's current permission set and allowed hosts and
    /// enables it. `expected`, when given, must be what it asks for (so an
    /// admin never approves what they did not see, e.g. when a new version
    /// arrived meanwhile).
    pub async fn approve(&self, slug: &str, expected: Option<Review>) -> Result<PluginInfo, ManagerError> {
        let _op = self.ops.lock().await;
        let (entry, mut st) = self.entry(slug)?;
        let declared = entry.manifest.permissions.clone();
        if let Some(exp) = expected {
            if exp.permissions != declared {
                return Err(ManagerError::Conflict(format!(
                    "plugin `{slug}` {} asks for [{}], not the [{}] being approved; review it again",
                    entry.manifest.version,
                    declared.names().join(", "),
                    exp.permissions.names().join(", ")
                )));
            }
            if let Some(hosts) = exp.allowed_hosts.filter(|h| *h != entry.manifest.allowed_hosts) {
                return Err(ManagerError::Conflict(format!(
                    "plugin `{slug}` {} may reach [{}], not the [{}] being approved; review it again",
                    entry.manifest.version,
                    entry.manifest.allowed_hosts.join(", "),
                    hosts.join(", ")
                )));
            }
        }
        st.approved = Some(declared.clone());
        st.approved_version = Some(entry.manifest.version.clone());
        st.approved_allowed_hosts = Some(entry.manifest.allowed_hosts.clone());
        st.enabled = true;
        self.save_state(slug, Some(st.clone()))?;
        let current = self.host.get(slug);
        let same_grant = current.as_ref().is_some_and(|p| {
            p.is_enabled() && *p.grants() == declared && p.manifest.allowed_hosts == entry.manifest.allowed_hosts
        });
        if !same_grant {
            self.load_entry(slug, &entry, &st).await?;
        }
        self.info(slug)
    }

    /// Stops a plugin and remembers that the admin wants it off.
    pub async fn disable(&self, slug: &str) -> Result<PluginInfo, ManagerError> {
        let _op = self.ops.lock().await;
        let (_, mut st) = self.entry(slug)?;
        st.enabled = false;
        self.save_state(slug, Some(st))?;
        self.host.unload(slug);
        self.inner.lock().unwrap().load_errors.remove(slug);
        self.info(slug)
    }

    /// Reads the plugin's files again and, if it is enabled and approved,
    /// replaces the running instance with a fresh one.
    pub async fn reload(&self, slug: &str) -> Result<PluginInfo, ManagerError> {
        let _op = self.ops.lock().await;
        self.rescan_locked().await;
        let (entry, st) = self.entry(slug)?;
        if st.enabled {
            if Unapproved::of(&entry.manifest, &st).is_empty() {
                self.load_entry(slug, &entry, &st).await?;
            } else {
                self.host.unload(slug);
            }
        }
        self.info(slug)
    }

    /// Unloads a plugin and removes its files and its state (its stored data stays).
    pub async fn delete(&self, slug: &str) -> Result<(), ManagerError> {
        let _op = self.ops.lock().await;
        let (entry, _) = self.entry(slug)?;
        if let Source::Dir { .. } = &entry.source {
            return Err(ManagerError::Conflict(format!(
                "plugin `{slug}` is a directory ({} in the plugins folder); the host does not delete directories, remove it yourself",
                entry.file
            )));
        }
        self.host.unload(slug);
        match &entry.source {
            Source::Package { file, dir } => {
                std::fs::remove_file(file).map_err(|e| io_err(file.display(), e))?;
                let _ = std::fs::remove_dir_all(dir);
            }
            // Refused above, before unloading.
            Source::Dir { .. } => {}
            Source::Files { manifest, code, base } => {
                std::fs::remove_file(manifest).map_err(|e| io_err(manifest.display(), e))?;
                let _ = std::fs::remove_file(code);
                let d = &self.config.plugins_dir;
                let _ = std::fs::remove_dir_all(d.join(format!("{base}-assets")));
                let _ = std::fs::remove_file(d.join(format!("{base}.icon.png")));
                let _ = std::fs::remove_file(d.join(format!("{base}.INSTRUCTIONS.md")));
            }
        }
        self.save_state(slug, None)?;
        {
            let mut inner = self.inner.lock().unwrap();
            inner.entries.remove(slug);
            inner.load_errors.remove(slug);
        }
        self.publish_assets();
        Ok(())
    }

    /// Installs an uploaded package: read safely, trial-loaded in a sandbox,
    /// then written as `<slug>.ocpkg` and put in service if the plugin is
    /// enabled and its permissions are approved. Returns the plugin and
    /// whether it is new.
    pub async fn upload(&self, bytes: &[u8]) -> Result<(PluginInfo, bool), ManagerError> {
        let _op = self.ops.lock().await;
        let limits = self.config.package_limits.clone();
        let owned = bytes.to_vec();
        let pkg = tokio::task::spawn_blocking(move || read_package(&owned, "uploaded package", &limits))
            .await
            .expect("package reader panicked")?;
        let slug = pkg.manifest.slug.clone();
        let previous = self.inner.lock().unwrap().entries.get(&slug).cloned();
        match &previous {
            Some(Entry { source: Source::Files { .. }, file, .. }) => {
                return Err(ManagerError::Conflict(format!(
                    "plugin `{slug}` is installed from loose files ({file} in the plugins folder); remove them before uploading a package"
                )))
            }
            Some(Entry { source: Source::Dir { .. }, file, .. }) => {
                return Err(ManagerError::Conflict(format!(
                    "plugin `{slug}` is installed as a directory ({file} in the plugins folder); remove it before uploading a package"
                )))
            }
            _ => {}
        }
        let hash = hex(&Sha256::digest(bytes)[..8]);
        let dir = self.config.work_dir.join(format!("{slug}-{hash}"));
        let created = !dir.exists();
        if created {
            unpack(&pkg, &dir)?;
        }
        // Trial load: compile, instantiate, register() and the cross-check,
        // against simulated services, with the permissions it declares.
        let mut trial = pkg.bundle(&dir);
        trial.manifest_file = format!("{}:{}", pkg.name, package::MANIFEST);
        if let Err(e) = self.host.sandbox().prepare(trial).await {
            if created {
                let _ = std::fs::remove_dir_all(&dir);
            }
            return Err(e.into());
        }
        let file = self.config.plugins_dir.join(format!("{slug}.ocpkg"));
        state::write_atomic(&file, bytes).map_err(|e| io_err(file.display(), e))?;
        if let Some(Entry { source: Source::Package { file: old, .. }, .. }) = &previous {
            if *old != file {
                let _ = std::fs::remove_file(old);
            }
        }
        let entry = Entry {
            source: Source::Package { file: file.clone(), dir: dir.clone() },
            file: file.file_name().unwrap().to_string_lossy().into_owned(),
            manifest: Arc::new(pkg.manifest.clone()),
            assets: owncast_plugin_contract::bundle::assets_in(&dir),
            fingerprint: hash,
        };
        {
            let mut inner = self.inner.lock().unwrap();
            inner.entries.insert(slug.clone(), entry.clone());
            inner.load_errors.remove(&slug);
        }
        self.publish_assets();
        let st = self.inner.lock().unwrap().state.plugins.get(&slug).cloned().unwrap_or_default();
        if st.enabled {
            if Unapproved::of(&entry.manifest, &st).is_empty() {
                if let Err(e) = self.load_entry(&slug, &entry, &st).await {
                    tracing::error!(plugin = %slug, "uploaded version passed its trial but did not load: {e}");
                }
            } else if self.host.unload(&slug).is_some() {
                tracing::warn!(plugin = %slug, "uploaded version asks for more permissions or hosts: disabled until the admin approves them");
            }
        }
        self.cleanup_work_dir();
        Ok((self.info(&slug)?, previous.is_none()))
    }

    /// The plugin's settings (`manifest.config`) and their values.
    pub fn config_values(&self, slug: &str) -> Result<ConfigView, ManagerError> {
        let manifest = self.current_manifest(slug)?;
        let values = self.host.services().config.all(&manifest)?;
        Ok(ConfigView { schema: manifest.config.clone(), values })
    }

    /// Sets settings, validated against the manifest's schema, all or none.
    pub fn set_config(&self, slug: &str, values: &BTreeMap<String, Value>) -> Result<ConfigView, ManagerError> {
        let manifest = self.current_manifest(slug)?;
        self.host.services().config.set(&manifest, values)?;
        self.config_values(slug)
    }

    fn current_manifest(&self, slug: &str) -> Result<Arc<Manifest>, ManagerError> {
        if let Some(p) = self.host.get(slug) {
            return Ok(p.manifest.clone());
        }
        self.inner
            .lock()
            .unwrap()
            .entries
            .get(slug)
            .map(|e| e.manifest.clone())
            .ok_or_else(|| ManagerError::NotFound(slug.to_string()))
    }
}

/// Prefix of temporary unpack folders (`.tmp-<pid>-<name>`).
const TMP_PREFIX: &str = ".tmp-";

/// Removes what an interrupted unpack (`.tmp-*` folders) or atomic write
/// (`.<name>.tmp-*` files) left in `dir`.
fn remove_leftovers(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let leftover = name.starts_with(TMP_PREFIX) || owncast_plugin_host::durable::is_temp_name(&name);
        if !leftover {
            continue;
        }
        let p = e.path();
        let removed = if e.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        match removed {
            Ok(()) => tracing::info!(path = %p.display(), "removed a leftover temporary file"),
            Err(err) => tracing::warn!(path = %p.display(), "could not remove a leftover temporary file: {err}"),
        }
    }
}

/// A temporary folder removed when dropped, whatever path the code took.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.0.exists() {
            if let Err(e) = std::fs::remove_dir_all(&self.0) {
                tracing::warn!(path = %self.0.display(), "could not remove a temporary folder: {e}");
            }
        }
    }
}

/// Unpacks into `dir` through a temporary folder, so `dir` is complete or
/// absent; the temporary folder is gone on every path out.
fn unpack(pkg: &Package, dir: &Path) -> Result<(), ManagerError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io_err(parent.display(), e))?;
    let tmp = TempDir(parent.join(format!(
        "{TMP_PREFIX}{}-{}",
        std::process::id(),
        dir.file_name().unwrap().to_string_lossy()
    )));
    let _ = std::fs::remove_dir_all(&tmp.0);
    pkg.extract(&tmp.0)?;
    match std::fs::rename(&tmp.0, dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.exists() => Ok(()),
        Err(e) => Err(io_err(dir.display(), e)),
    }
}

type Discovery = (BTreeMap<String, Entry>, Vec<InvalidFile>, Vec<String>, BTreeMap<PathBuf, CachedPackage>);

/// An I/O failure that says nothing about the files themselves (out of file
/// descriptors or memory, an I/O error, an interrupted call): the scan is
/// abandoned rather than read as "this plugin is gone".
fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    // EINTR, EIO, EAGAIN, ENOMEM, ENFILE, EMFILE, ENOBUFS (Linux numbers).
    matches!(e.kind(), Interrupted | OutOfMemory | WouldBlock | TimedOut)
        || matches!(e.raw_os_error(), Some(4 | 5 | 11 | 12 | 23 | 24 | 105))
}

/// Why one plugin's files could not be read: the files are bad, or the
/// scan must be abandoned ([`is_transient`]).
enum ReadFailure {
    Invalid(String),
    Transient(String),
}

fn read_failure(what: &str, e: std::io::Error) -> ReadFailure {
    if is_transient(&e) {
        ReadFailure::Transient(format!("{what}: {e}"))
    } else {
        ReadFailure::Invalid(format!("{what}: {e}"))
    }
}

/// Reads the plugins folder (blocking). `Err` when the folder could not be
/// read reliably; the caller then keeps what it has.
fn discover(config: &ManagerConfig, cache: BTreeMap<PathBuf, CachedPackage>) -> Result<Discovery, String> {
    let mut found: Vec<(String, Entry)> = Vec::new();
    let mut invalid = Vec::new();
    let mut problems = Vec::new();
    let mut new_cache = BTreeMap::new();
    let mut names: Vec<PathBuf> =
        (config.list_dir.0)(&config.plugins_dir).map_err(|e| format!("listing the folder: {e}"))?;
    names.sort();
    let file_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();

    // Packages first: they win over loose files of the same slug.
    for path in
        names.iter().filter(|p| p.is_file() && file_name(p).ends_with(".ocpkg") && !file_name(p).starts_with('.'))
    {
        let name = file_name(path);
        let st = match std::fs::metadata(path) {
            Ok(m) => format!("{:?}", (m.len(), m.modified().ok())),
            Err(e) if is_transient(&e) => return Err(format!("{name}: {e}")),
            Err(_) => continue,
        };
        let result = match cache.get(path) {
            Some(c) if c.stamp == st => c.result.clone(),
            _ => match read_package_file(config, path, &name) {
                Ok(e) => Ok(e),
                Err(ReadFailure::Invalid(m)) => Err(m),
                Err(ReadFailure::Transient(m)) => return Err(m),
            },
        };
        new_cache.insert(path.clone(), CachedPackage { stamp: st, result: result.clone() });
        match result {
            Ok(e) => found.push((e.manifest.slug.clone(), e)),
            Err(error) => invalid.push(InvalidFile { file: name, error }),
        }
    }

    for path in names
        .iter()
        .filter(|p| p.is_file() && file_name(p).ends_with(".manifest.json") && !file_name(p).starts_with('.'))
    {
        let name = file_name(path);
        let base = name.trim_end_matches(".manifest.json").to_string();
        let manifest = match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_MANIFEST_BYTES as u64 => {
                Err(format!("{name}: {} bytes is over the {MAX_MANIFEST_BYTES}-byte limit", m.len()))
            }
            _ => match std::fs::read(path) {
                Ok(b) => Manifest::parse(&b, &name).map_err(|e| e.to_string()),
                Err(e) if is_transient(&e) => return Err(format!("{name}: {e}")),
                Err(e) => Err(format!("{name}: {e}")),
            },
        };
        let manifest = match manifest {
            Ok(m) => m,
            Err(error) => {
                invalid.push(InvalidFile { file: name, error });
                continue;
            }
        };
        let dir = &config.plugins_dir;
        let Some(code) =
            [format!("{base}.wasm"), format!("{base}.js")].into_iter().map(|n| dir.join(n)).find(|p| p.is_file())
        else {
            invalid.push(InvalidFile { file: name, error: format!("no {base}.wasm (or {base}.js) next to it") });
            continue;
        };
        let fingerprint = format!("{:?}{:?}", stamp(path), stamp(&code));
        let existing = |p: PathBuf| p.exists().then_some(p);
        let public_dir = existing(dir.join(format!("{base}-assets")));
        if public_dir.as_deref().is_some_and(|p| owncast_plugin_host::bundle::confined(p).is_none()) {
            problems.push(format!("{base}-assets leads out of the plugins folder; it is not served"));
        }
        let assets = PluginAssets {
            public_dir,
            assets_dir: None,
            icon: existing(dir.join(format!("{base}.icon.png"))),
            instructions: existing(dir.join(format!("{base}.INSTRUCTIONS.md"))),
        };
        found.push((
            manifest.slug.clone(),
            Entry {
                source: Source::Files { manifest: path.clone(), code, base },
                file: name,
                manifest: Arc::new(manifest),
                assets,
                fingerprint,
            },
        ));
    }

    for dir in
        names.iter().filter(|p| p.is_dir() && !file_name(p).starts_with('.') && p.join(package::MANIFEST).is_file())
    {
        let name = format!("{}/", file_name(dir));
        let st = dir_stamp(dir).map_err(|e| format!("{name}: {e}"))?;
        let result = match cache.get(dir) {
            Some(c) if c.stamp == st => c.result.clone(),
            _ => match read_plugin_dir(dir, &name) {
                Ok(e) => Ok(e),
                Err(ReadFailure::Invalid(m)) => Err(m),
                Err(ReadFailure::Transient(m)) => return Err(m),
            },
        };
        new_cache.insert(dir.clone(), CachedPackage { stamp: st, result: result.clone() });
        match result {
            Ok(e) => found.push((e.manifest.slug.clone(), e)),
            Err(error) => invalid.push(InvalidFile { file: name, error }),
        }
    }

    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for (slug, e) in found {
        if let Some(first) = entries.get(&slug) {
            problems.push(format!("plugin `{slug}` is in both {} and {}; using {}", first.file, e.file, first.file));
            continue;
        }
        entries.insert(slug, e);
    }
    Ok((entries, invalid, problems, new_cache))
}

fn read_package_file(config: &ManagerConfig, path: &Path, name: &str) -> Result<Entry, ReadFailure> {
    let len = std::fs::metadata(path).map_err(|e| read_failure(name, e))?.len();
    if len > config.package_limits.max_package_bytes {
        return Err(ReadFailure::Invalid(format!(
            "{name}: package is {len} bytes; the limit is {}",
            config.package_limits.max_package_bytes
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| read_failure(name, e))?;
    let pkg = read_package(&bytes, name, &config.package_limits).map_err(|e| ReadFailure::Invalid(e.to_string()))?;
    let hash = hex(&Sha256::digest(&bytes)[..8]);
    let dir = config.work_dir.join(format!("{}-{hash}", pkg.manifest.slug));
    if !dir.exists() {
        match unpack(&pkg, &dir) {
            Ok(()) => {}
            Err(ManagerError::Package(PackageError::Io(what, e))) => return Err(read_failure(&what, e)),
            Err(e) => return Err(ReadFailure::Invalid(e.to_string())),
        }
    }
    Ok(Entry {
        source: Source::Package { file: path.to_path_buf(), dir: dir.clone() },
        file: name.to_string(),
        manifest: Arc::new(pkg.manifest),
        assets: owncast_plugin_contract::bundle::assets_in(&dir),
        fingerprint: hash,
    })
}

/// Lengths and modification times of what [`PluginBundle::from_dir`] may
/// read; `Err` only for a [transient](is_transient) failure.
fn dir_stamp(dir: &Path) -> std::io::Result<String> {
    let mut out = String::new();
    for sub in [dir.to_path_buf(), dir.join("dist")] {
        let rd = match std::fs::read_dir(&sub) {
            Ok(rd) => rd,
            Err(e) if is_transient(&e) => return Err(e),
            Err(_) => continue,
        };
        let mut names = Vec::new();
        for e in rd {
            match e {
                Ok(e) => names.push(e.path()),
                Err(e) if is_transient(&e) => return Err(e),
                Err(_) => {}
            }
        }
        names.sort();
        for p in names {
            out.push_str(&format!("{}{:?};", p.display(), stamp(&p)));
        }
    }
    Ok(out)
}

fn read_plugin_dir(dir: &Path, name: &str) -> Result<Entry, ReadFailure> {
    let b = PluginBundle::from_dir(dir).map_err(|e| match e {
        BundleError::Io(what, io) => read_failure(&what, io),
        other => ReadFailure::Invalid(other.to_string()),
    })?;
    let manifest = Manifest::parse(&b.manifest, &b.manifest_file).map_err(|e| ReadFailure::Invalid(e.to_string()))?;
    let fingerprint = dir_stamp(dir).map_err(|e| read_failure(name, e))?;
    Ok(Entry {
        source: Source::Dir { dir: dir.to_path_buf() },
        file: name.to_string(),
        manifest: Arc::new(manifest),
        assets: b.assets,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package whose files cannot be unpacked (built directly, past the
    /// reader's checks) leaves no temporary folder behind.
    #[test]
    fn a_failed_unpack_leaves_no_temporary_folder() {
        let work = tempfile::tempdir().unwrap();
        let manifest = br#"{"name":"x","slug":"x","version":"1.0.0"}"#.to_vec();
        let pkg = Package {
            name: "x.ocpkg".into(),
            manifest: Manifest::parse(&manifest, "m").unwrap(),
            manifest_bytes: manifest,
            code_name: "plugin.wasm".into(),
            code: b"\0asm".to_vec(),
            files: vec![("public/a".into(), b"file".to_vec()), ("public/a/b".into(), b"beneath a file".to_vec())],
        };
        let dir = work.path().join("x-0123");
        assert!(unpack(&pkg, &dir).is_err());
        assert!(!dir.exists());
        let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn leftovers_are_removed() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".tmp-42-echo-0011/public")).unwrap();
        std::fs::write(d.path().join(".echo.ocpkg.tmp-42-0"), b"half").unwrap();
        std::fs::write(d.path().join("echo.ocpkg"), b"kept").unwrap();
        std::fs::create_dir(d.path().join("echo-0011")).unwrap();
        remove_leftovers(d.path());
        let mut left: Vec<_> =
            std::fs::read_dir(d.path()).unwrap().flatten().map(|e| e.file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["echo-0011", "echo.ocpkg"]);
    }
}
