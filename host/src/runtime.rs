//! The one Wasmtime engine every plugin runs on, and the limits of a call.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Module, PoolingAllocationConfig};

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// How long after a call of a plugin timed out its filter waits are bounded
/// by [`Limits::filter_stall_after_timeout`].
pub const SUSPECT_WINDOW: Duration = Duration::from_secs(10);

/// Budgets for guest calls and instances.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Linear memory cap per plugin instance.
    pub memory_bytes: usize,
    pub register_deadline: Duration,
    pub filter_deadline: Duration,
    pub event_deadline: Duration,
    pub http_deadline: Duration,
    /// A page-content export (`on_tab_content`, `on_page_styles`, ...); the
    /// host waits at most this long for all of one plugin's content while it
    /// builds a page.
    pub content_deadline: Duration,
    /// Consecutive failures after which a plugin is disabled.
    pub max_strikes: u32,
    /// How deeply `events.emit` may nest.
    pub max_emit_depth: u32,
    /// Largest request body a plugin's HTTP handler receives (upstream: 1 MiB).
    pub http_body_bytes: usize,
    /// Largest response body a plugin's HTTP handler may return (upstream: 10 MiB).
    pub http_response_bytes: usize,
    /// Largest JSON a legacy plugin may return from one call (an HTTP
    /// handler's answer may be [`Limits::output_cap`] bytes).
    pub output_bytes: usize,
    /// HTTP requests that may wait for a plugin busy with another call;
    /// more are refused at once (the server answers 503).
    pub http_queue: usize,
    /// A filter does not wait for a plugin whose call in progress has run
    /// this long: the plugin is stalled (a call running to its deadline, a
    /// slow HTTP handler), and its filter step fails open at once instead of
    /// holding every message behind it for up to the filter deadline. A
    /// plugin that is merely busy with quick calls is waited for. The
    /// default is the filter deadline: a concurrent filter call of the same
    /// plugin within its deadline is always waited for (a smaller bound skips
    /// well-behaved filters whenever two messages meet in one slow call),
    /// while a call older than that (an HTTP or event call, or a filter being
    /// cut) no longer holds the chat.
    pub filter_stall: Duration,
    /// [`Limits::filter_stall`] for a plugin that has had a call time out
    /// within the last [`SUSPECT_WINDOW`]: a plugin known to run to its
    /// deadlines is not waited for beyond this, so it cannot delay the chat
    /// by much even while its own filter calls are the ones stalling. A
    /// plugin that never times out keeps the full bound.
    pub filter_stall_after_timeout: Duration,
    /// Largest file a plugin may write (`storage.fs`).
    pub fs_file_bytes: usize,
    /// Most bytes a plugin may keep in its directory (`storage.fs`).
    pub fs_dir_bytes: u64,
    /// Most files and folders a plugin may keep in its directory (`storage.fs`).
    pub fs_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            register_deadline: Duration::from_secs(5),
            filter_deadline: Duration::from_millis(50),
            event_deadline: Duration::from_secs(2),
            http_deadline: Duration::from_secs(5),
            content_deadline: Duration::from_secs(1),
            max_strikes: 5,
            max_emit_depth: 8,
            http_body_bytes: 1 << 20,
            http_response_bytes: 10 << 20,
            output_bytes: 4 << 20,
            http_queue: 3,
            filter_stall: Duration::from_millis(50),
            filter_stall_after_timeout: Duration::from_millis(2),
            fs_file_bytes: 10 << 20,
            fs_dir_bytes: 100 << 20,
            fs_entries: 10_000,
        }
    }
}

/// The kind of guest call, which sets its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Register,
    Event,
    Filter,
    Http,
    /// A page-content export.
    Content,
}

impl Limits {
    /// Each limit and its value, e.g. `("filter_deadline", "50ms")`, `("memory_bytes",
    /// "64 MiB")`: read from the struct's `Debug`, so every field is listed
    /// (the wire-protocol document's table).
    pub fn table(&self) -> Vec<(String, String)> {
        let text = format!("{self:#?}");
        text.lines()
            .filter_map(|line| line.trim().trim_end_matches(',').split_once(": "))
            .map(|(name, value)| {
                let value = match value.parse::<u64>() {
                    Ok(n) if name.ends_with("_bytes") && n >= 1 << 20 && n % (1 << 20) == 0 => {
                        format!("{} MiB", n >> 20)
                    }
                    Ok(n) if name.ends_with("_bytes") && n >= 1 << 10 && n % (1 << 10) == 0 => {
                        format!("{} KiB", n >> 10)
                    }
                    _ => value.to_string(),
                };
                (name.to_string(), value)
            })
            .collect()
    }

    pub fn deadline(&self, kind: CallKind) -> Duration {
        match kind {
            CallKind::Register => self.register_deadline,
            CallKind::Event => self.event_deadline,
            CallKind::Filter => self.filter_deadline,
            CallKind::Http => self.http_deadline,
            CallKind::Content => self.content_deadline,
        }
    }

    /// Largest output a legacy plugin may return from a call of `kind`: an
    /// HTTP answer may carry [`Limits::http_response_bytes`] of body plus 2 MiB
    /// for its JSON envelope (upstream allows 12 MiB for a 10 MiB body).
    pub fn output_cap(&self, kind: CallKind) -> usize {
        match kind {
            CallKind::Http => self.output_bytes.max(self.http_response_bytes + (2 << 20)),
            _ => self.output_bytes,
        }
    }

    /// The deadline as epoch ticks: the CPU bound of guest code in a call of this kind.
    pub fn deadline_ticks(&self, kind: CallKind) -> u64 {
        ticks(self.deadline(kind))
    }
}

/// `d` as epoch ticks (rounded up, plus one for the tick in progress).
pub fn ticks(d: Duration) -> u64 {
    (d.as_nanos().div_ceil(EPOCH_TICK.as_nanos()) as u64).max(1) + 1
}

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub limits: Limits,
    /// Where compiled code is cached so a restart does not recompile.
    pub cache_dir: Option<PathBuf>,
    /// Use the pooling instance allocator (fast instantiation, bounded slots).
    pub pooling: bool,
    /// Instance slots in the pool.
    pub max_instances: u32,
    /// What one module or component may define, sized for real plugins.
    pub pool: PoolLimits,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            limits: Limits::default(),
            cache_dir: None,
            pooling: true,
            max_instances: 200,
            pool: PoolLimits::default(),
        }
    }
}

/// Per-module sizes of the pooling allocator's slots.
///
/// Sized from what real plugins need: an extism-js module that imports host
/// functions defines two tables (its function table and the one through
/// which host imports are called), QuickJS-based modules have function
/// tables of several thousand entries, and modules of 2–17 MB carry large
/// data segments. Slots are reserved address space; only what an instance
/// touches is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLimits {
    /// Tables one core module may define (`max_tables_per_module`).
    pub tables_per_module: u32,
    /// Initial elements of any one table (`table_elements`).
    pub table_elements: usize,
    /// Linear memories one core module may define (`max_memories_per_module`).
    pub memories_per_module: u32,
    /// Bytes of one core instance's runtime metadata (`max_core_instance_size`).
    pub core_instance_bytes: usize,
    /// Bytes of one component instance's runtime metadata (`max_component_instance_size`).
    pub component_instance_bytes: usize,
}

impl Default for PoolLimits {
    fn default() -> Self {
        PoolLimits {
            tables_per_module: 4,
            table_elements: 1 << 17,
            memories_per_module: 2,
            core_instance_bytes: 16 << 20,
            component_instance_bytes: 4 << 20,
        }
    }
}

/// Address space reserved per linear memory slot of the pooling allocator.
///
/// On 64-bit hosts a slot covers the whole 32-bit index space (4 GiB, as
/// Wasmtime does without pooling): the compiled code then needs no bounds
/// check on loads and stores (the guard pages catch what is out of
/// bounds), which makes memory-heavy guests such as the JS engine about a
/// quarter faster. It is address space only: what an instance may use is
/// still `Limits::memory_bytes`, and only touched pages take memory
/// (200 instances' slots reserve about 3 TiB of the 128 TiB a process
/// can address). Elsewhere the reservation stays near the cap.
fn memory_reservation(memory_bytes: usize) -> u64 {
    if cfg!(target_pointer_width = "64") {
        (1u64 << 32).max(memory_bytes as u64)
    } else {
        (memory_bytes as u64).next_power_of_two().max(1 << 26)
    }
}

/// Guard pages after each memory slot: offsets of loads and stores up to
/// this size need no bounds check on top of a 4 GiB reservation (Wasmtime's
/// default size on 64-bit hosts).
const MEMORY_GUARD: u64 = if cfg!(target_pointer_width = "64") { 32 << 20 } else { 1 << 16 };

/// The shared engine plus its epoch ticker.
pub struct Runtime {
    engine: Engine,
    cache: Option<CodeCache>,
    limits: Limits,
    /// The pooling allocator's per-module limits, when it is used.
    pool: Option<PoolLimits>,
    ticker: Arc<Ticker>,
}

/// Advances the engine's epoch every [`EPOCH_TICK`] while guest code may be
/// running (some [`Running`] guard is alive), and sleeps otherwise: an idle
/// host costs no wake-ups.
struct Ticker {
    /// Live [`Running`] guards.
    running: AtomicUsize,
    /// Set by the ticker (under `stop`) before it checks `running` and may
    /// wait: a guard taken while it is clear needs no wake-up, so calls in
    /// quick succession cost no system call.
    sleeping: AtomicBool,
    /// Guards the sleep/wake hand-over; `true` once the runtime is dropped.
    stop: Mutex<bool>,
    wake: Condvar,
    ticks: AtomicU64,
    /// Times a guard had to wake the ticker.
    wakeups: AtomicU64,
}

impl Ticker {
    fn run(&self, engine: Engine) {
        loop {
            {
                let mut stop = self.stop.lock().unwrap();
                // Marked before it looks at `running`. Once woken it ticks
                // at least once before it looks again, so a call that ends
                // at once costs a tick, and wake-ups follow time, not calls.
                self.sleeping.store(true, Ordering::SeqCst);
                if self.running.load(Ordering::SeqCst) == 0 && !*stop {
                    stop = self.wake.wait(stop).unwrap();
                }
                self.sleeping.store(false, Ordering::SeqCst);
                if *stop {
                    return;
                }
            }
            std::thread::sleep(EPOCH_TICK);
            engine.increment_epoch();
            self.ticks.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Keeps the epoch ticking while guest code may run: every kind of plugin
/// code holds one while it runs guest code, so its epoch deadline (the CPU
/// bound) can expire. Dropping the last one lets the ticker sleep.
pub struct Running(Arc<Ticker>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Arc<Runtime>> {
        let mut c = Config::new();
        c.wasm_component_model(true);
        c.epoch_interruption(true);
        c.max_wasm_stack(1 << 20);
        // Profiling aid: a perf map names compiled guest functions for `perf`
        // (benches/README.md). Off unless asked for: the map grows per module.
        if std::env::var_os("OWNCAST_PLUGIN_PERFMAP").is_some() {
            c.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        if config.pooling {
            let mut p = PoolingAllocationConfig::default();
            let n = config.max_instances;
            p.total_component_instances(n);
            p.total_core_instances(n * 8);
            p.total_stacks(n);
            let pool = &config.pool;
            p.total_memories(n * 4);
            p.total_tables(n * 8);
            p.max_memory_size(config.limits.memory_bytes);
            p.max_tables_per_module(pool.tables_per_module);
            p.max_memories_per_module(pool.memories_per_module);
            p.table_elements(pool.table_elements);
            p.max_core_instances_per_component(32);
            p.max_memories_per_component(8 * pool.memories_per_module.max(1));
            p.max_tables_per_component(16 * pool.tables_per_module.max(1));
            p.max_component_instance_size(pool.component_instance_bytes);
            p.max_core_instance_size(pool.core_instance_bytes);
            c.allocation_strategy(InstanceAllocationStrategy::Pooling(p));
            c.memory_reservation(memory_reservation(config.limits.memory_bytes));
            c.memory_guard_size(MEMORY_GUARD);
        }
        let engine = Engine::new(&c).map_err(|e| anyhow::anyhow!("creating the Wasmtime engine: {e}"))?;
        let ticker = Arc::new(Ticker {
            running: 0.into(),
            sleeping: AtomicBool::new(false),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            ticks: 0.into(),
            wakeups: 0.into(),
        });
        {
            let engine = engine.clone();
            let ticker = ticker.clone();
            std::thread::Builder::new().name("owncast-plugin-epoch".into()).spawn(move || ticker.run(engine))?;
        }
        let cache = match &config.cache_dir {
            Some(dir) => Some(CodeCache::new(dir, &engine)?),
            None => None,
        };
        let pool = config.pooling.then_some(config.pool);
        Ok(Arc::new(Runtime { engine, cache, limits: config.limits, pool, ticker }))
    }

    /// Starts the epoch ticking (if it was idle) until the guard is dropped.
    /// Take it before running guest code: without it the epoch stands still
    /// and the CPU bound of the call cannot expire.
    pub fn running(&self) -> Running {
        // The ticker marks itself sleeping before it reads `running`: if it
        // is not marked after this increment, it will see the increment.
        if self.ticker.running.fetch_add(1, Ordering::SeqCst) == 0 && self.ticker.sleeping.load(Ordering::SeqCst) {
            // Under the lock it is waiting (it marks itself holding the
            // lock), so this wakes it; unmarking it spares the calls that
            // start before it runs a wake-up of their own.
            let _stop = self.ticker.stop.lock().unwrap();
            if self.ticker.sleeping.swap(false, Ordering::SeqCst) {
                self.ticker.wakeups.fetch_add(1, Ordering::Relaxed);
                self.ticker.wake.notify_one();
            }
        }
        Running(self.ticker.clone())
    }

    /// Arms the CPU bound of the guest code `store` is about to run for a
    /// call of `kind`, and keeps the epoch ticking until the returned guard
    /// is dropped. With the call's wall-clock `deadline` (set by the
    /// dispatcher) the guest is interrupted at the first tick past it, so a
    /// call abandoned at its deadline stops burning CPU at once; without one
    /// (tools calling an instance directly) after the kind's deadline in ticks.
    pub fn arm<T: 'static>(
        &self,
        store: &mut wasmtime::Store<T>,
        kind: CallKind,
        deadline: Option<std::time::Instant>,
    ) -> Running {
        match deadline {
            Some(at) => {
                store.set_epoch_deadline(1);
                store.epoch_deadline_callback(move |_| {
                    if std::time::Instant::now() >= at {
                        Err(wasmtime::Trap::Interrupt.into())
                    } else {
                        Ok(wasmtime::UpdateDeadline::Continue(1))
                    }
                });
            }
            None => {
                store.epoch_deadline_trap();
                store.set_epoch_deadline(self.limits.deadline_ticks(kind));
            }
        }
        self.running()
    }

    /// How many times the epoch has advanced (it only advances while guest
    /// code may be running).
    pub fn epoch_ticks(&self) -> u64 {
        self.ticker.ticks.load(Ordering::Relaxed)
    }

    /// How many times a call had to wake the sleeping ticker (at most once
    /// per tick: calls while it ticks do not).
    pub fn epoch_wakeups(&self) -> u64 {
        self.ticker.wakeups.load(Ordering::Relaxed)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// `(hits, misses)` of the on-disk compilation cache, if there is one.
    pub fn cache_stats(&self) -> Option<(usize, usize)> {
        self.cache.as_ref().map(|c| (c.hits.load(Ordering::Relaxed), c.misses.load(Ordering::Relaxed)))
    }

    /// Whether a core module fits this runtime's slots: each table, memory
    /// and count it defines against the limit that bounds it, named.
    pub fn check_module_fits(&self, bytes: &[u8]) -> Result<(), String> {
        let Some(shape) = crate::wasm::module_shape(bytes) else { return Ok(()) };
        let memory_cap = self.limits.memory_bytes as u64;
        for (i, &size) in shape.memories.iter().enumerate() {
            if size > memory_cap {
                return Err(format!(
                    "memory {i} starts at {size} bytes; the per-plugin memory limit (Limits::memory_bytes) is {memory_cap} bytes"
                ));
            }
        }
        let Some(pool) = &self.pool else { return Ok(()) };
        if shape.tables.len() > pool.tables_per_module as usize {
            return Err(format!(
                "the module defines {} tables; the pooling allocator allows {} per module (PoolLimits::tables_per_module)",
                shape.tables.len(),
                pool.tables_per_module
            ));
        }
        if shape.memories.len() > pool.memories_per_module as usize {
            return Err(format!(
                "the module defines {} memories; the pooling allocator allows {} per module (PoolLimits::memories_per_module)",
                shape.memories.len(),
                pool.memories_per_module
            ));
        }
        for (i, &elements) in shape.tables.iter().enumerate() {
            if elements > pool.table_elements as u64 {
                return Err(format!(
                    "table {i} starts with {elements} elements; the pooling allocator allows {} per table (PoolLimits::table_elements)",
                    pool.table_elements
                ));
            }
        }
        Ok(())
    }

    /// Adds the pooling limits to a compile error that is about them.
    fn explain(&self, e: wasmtime::Error) -> wasmtime::Error {
        let text = format!("{e:#}");
        match &self.pool {
            Some(pool) if text.contains("pooling allocator") || text.contains("instance allocator") => e.context(format!(
                "the module does not fit this host's pooling allocator (PoolLimits: {} tables and {} memories per module, {} table elements, \
                 {} bytes of core instance metadata, {} bytes of component instance metadata)",
                pool.tables_per_module, pool.memories_per_module, pool.table_elements, pool.core_instance_bytes, pool.component_instance_bytes
            )),
            _ => e,
        }
    }

    /// Compiles a core module, or maps it from the code cache. A module
    /// that does not fit the pooling allocator is refused with the limit named.
    pub fn compile_module(&self, bytes: &[u8]) -> wasmtime::Result<Module> {
        self.check_module_fits(bytes).map_err(wasmtime::Error::msg)?;
        self.compile_module_unchecked(bytes).map_err(|e| self.explain(e))
    }

    fn compile_module_unchecked(&self, bytes: &[u8]) -> wasmtime::Result<Module> {
        match &self.cache {
            None => Module::new(&self.engine, bytes),
            Some(c) => c.get(
                &self.engine,
                "module",
                bytes,
                |e, b| Module::new(e, b),
                |m| m.serialize(),
                // SAFETY: the cache directory belongs to the host; files are
                // written whole and renamed into place, never changed after.
                |e, p| unsafe { Module::deserialize_file(e, p) },
            ),
        }
    }

    /// Compiles a component, or maps it from the code cache.
    pub fn compile_component(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        self.compile_component_unchecked(bytes).map_err(|e| self.explain(e))
    }

    fn compile_component_unchecked(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        match &self.cache {
            None => Component::new(&self.engine, bytes),
            Some(c) => c.get(
                &self.engine,
                "component",
                bytes,
                |e, b| Component::new(e, b),
                |m| m.serialize(),
                // SAFETY: as in `compile_module`.
                |e, p| unsafe { Component::deserialize_file(e, p) },
            ),
        }
    }
}

/// Compiled code on disk, keyed by the code's hash and the engine's settings.
/// Entries are memory-mapped when loaded, so a restart does not recompile and
/// only the pages of machine code a plugin actually runs become resident
/// (and are shared with other processes through the page cache).
struct CodeCache {
    dir: PathBuf,
    engine_key: String,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

impl CodeCache {
    fn new(dir: &std::path::Path, engine: &Engine) -> anyhow::Result<Self> {
        use std::hash::{Hash, Hasher};
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("compilation cache at {}: {e}", dir.display()))?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Ok(CodeCache {
            dir: dir.to_path_buf(),
            engine_key: format!("{:016x}", h.finish()),
            hits: 0.into(),
            misses: 0.into(),
        })
    }

    fn get<T>(
        &self,
        engine: &Engine,
        kind: &str,
        bytes: &[u8],
        compile: impl FnOnce(&Engine, &[u8]) -> wasmtime::Result<T>,
        serialize: impl FnOnce(&T) -> wasmtime::Result<Vec<u8>>,
        load: impl Fn(&Engine, &std::path::Path) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<T> {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let path = self.dir.join(format!("{kind}-{hex}-{}.cwasm", self.engine_key));
        if path.is_file() {
            match load(engine, &path) {
                Ok(t) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(t);
                }
                Err(e) => tracing::warn!("ignoring unusable cache entry {}: {e}", path.display()),
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let compiled = compile(engine, bytes)?;
        let written = serialize(&compiled).map_err(|e| e.to_string()).and_then(|data| {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, data).and_then(|_| std::fs::rename(&tmp, &path)).map_err(|e| e.to_string())
        });
        match written {
            // Use the mapped copy, so the in-memory one can be dropped.
            Ok(()) => Ok(load(engine, &path).unwrap_or(compiled)),
            Err(e) => {
                tracing::warn!("could not write cache entry {}: {e}", path.display());
                Ok(compiled)
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        *self.ticker.stop.lock().unwrap() = true;
        self.ticker.wake.notify_one();
    }
}

/// The store limiter every plugin instance gets.
pub fn store_limits(limits: &Limits) -> wasmtime::StoreLimits {
    wasmtime::StoreLimitsBuilder::new()
        .memory_size(limits.memory_bytes)
        .table_elements(1 << 20)
        .instances(64)
        .tables(64)
        .memories(16)
        .trap_on_grow_failure(false)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_table_lists_every_field_readably() {
        let table = Limits::default().table();
        let get = |n: &str| table.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("memory_bytes"), Some("64 MiB"));
        assert_eq!(get("filter_deadline"), Some("50ms"));
        assert_eq!(get("max_strikes"), Some("5"));
        assert_eq!(get("fs_entries"), Some("10000"));
        let fields = format!("{:?}", Limits::default()).matches(": ").count();
        assert_eq!(table.len(), fields);
    }

    #[test]
    fn the_epoch_ticks_only_while_guest_code_may_run() {
        let rt = Runtime::new(RuntimeConfig { pooling: false, ..Default::default() }).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(rt.epoch_ticks(), 0, "an idle runtime does not tick");
        let guard = rt.running();
        let second = rt.running();
        std::thread::sleep(Duration::from_millis(40));
        drop(guard);
        let during = rt.epoch_ticks();
        assert!(during >= 5, "ticks while a call runs ({during})");
        std::thread::sleep(Duration::from_millis(20));
        assert!(rt.epoch_ticks() > during, "still ticking while one guard is left");
        drop(second);
        std::thread::sleep(Duration::from_millis(10));
        let after = rt.epoch_ticks();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(rt.epoch_ticks(), after, "idle again: no ticks");
        let _again = rt.running();
        std::thread::sleep(Duration::from_millis(20));
        assert!(rt.epoch_ticks() > after, "wakes up for the next call");
    }

    #[test]
    fn calls_in_quick_succession_do_not_wake_the_ticker_each_time() {
        let rt = Runtime::new(RuntimeConfig { pooling: false, ..Default::default() }).unwrap();
        std::thread::sleep(Duration::from_millis(20)); // the ticker is waiting
        let calls = 100_000;
        for _ in 0..calls {
            drop(rt.running());
        }
        let (wakeups, ticks) = (rt.epoch_wakeups(), rt.epoch_ticks());
        assert!(wakeups >= 1, "the first call wakes it");
        // Each wake-up is followed by at least one tick (the ticker sleeps a
        // tick before it looks again), so wake-ups follow time, not calls.
        assert!(wakeups <= ticks + 1, "{wakeups} wake-ups, {ticks} ticks");
        assert!(wakeups < calls / 10, "{wakeups} wake-ups for {calls} calls");
    }
}
