//! `owncast-plugin loadtest`: the full host in this process (runtime,
//! dispatcher, HTTP server, SSE hub) with well-behaved example plugins and
//! hostile ones, driven over loopback for a fixed time:
//!
//! - chat messages at a target rate through the filter chain, then the
//!   notification fan-out of what passed (`Host::filter`, `Host::notify`:
//!   what Owncast calls), the fan-out running on while the next message
//!   comes (at most `MAX_FANOUTS` at once);
//! - HTTP requests to a well-behaved plugin's handler (`--http-plugin`);
//! - SSE viewers on that plugin's channel, fed frames through its
//!   `sse_send` host function (no example plugin sends SSE on its own);
//! - hostile commands in the same chat (`--hostile-rate` per second) that
//!   make the hostile plugins loop, allocate until their cap, recurse, flood
//!   emits, stall in host calls and sleep (`--hostile-http`: and HTTP
//!   requests that keep their handlers stalled).
//!
//! Reports throughput, filter-chain latency (p50/p99) of ordinary messages,
//! fan-out latency,
//! the host's own per-plugin latency, HTTP p50/p99, SSE frames received and
//! dropped, and the host's RSS once a second. Hostile plugins are kept
//! running (`max_strikes` is lifted) so they misbehave for the whole run.

use crate::bench::Stats;
use crate::setup;
use owncast_plugin_host::capabilities::http_outbound::NoNetwork;
use owncast_plugin_host::capabilities::sse::SseHub;
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::metrics::ProcessMemory;
use owncast_plugin_host::types::{self, ChatMessage, ChatUser};
use owncast_plugin_host::{Host, Limits, PluginBundle, Runtime, RuntimeConfig};
use owncast_plugin_server::{PluginServer, ServerConfig};
use owncast_plugin_testing::SimulatedOwncast;
use serde::Serialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(clap::Args)]
pub struct Args {
    /// Well-behaved plugin directories (built). Default: the JS example chain
    /// (profanity-filter, slow-mode, chat-logger, message-counter, overlay).
    #[arg(long = "plugin")]
    plugins: Vec<PathBuf>,
    /// Use the Rust component examples instead of the JS ones: profanity-filter
    /// and slow-mode filter, echo-bot and stream-tracker-rs are notified,
    /// file-manager-rs serves HTTP and SSE.
    #[arg(long)]
    rust: bool,
    /// Hostile plugin directories (built). Default: host/tests/guests/hostile
    /// (component), examples/js/safeguard-stress (JS), compat-extism/fixtures/hostile-legacy (Extism).
    #[arg(long = "hostile")]
    hostile: Vec<PathBuf>,
    /// Run without hostile plugins (a baseline).
    #[arg(long, conflicts_with = "hostile")]
    no_hostile: bool,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Chat messages per second to offer.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// Messages in flight at once (chat from many viewers).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Hostile commands per second, among the chat messages.
    #[arg(long, default_value_t = 5.0)]
    hostile_rate: f64,
    /// Also keep the hostile plugins' HTTP handlers stalled (a request
    /// every 500 ms that sleeps or spins until the HTTP deadline): a plugin
    /// busy in a handler makes each chat message wait for it up to the
    /// filter deadline, and its filter then fails open.
    #[arg(long)]
    hostile_http: bool,
    /// HTTP requests per second to the HTTP plugin.
    #[arg(long, default_value_t = 100)]
    http_rate: u64,
    /// The plugin (slug) whose HTTP handler and SSE channel are exercised
    /// (default: overlay, with `--rust` file-manager-rs).
    #[arg(long)]
    http_plugin: Option<String>,
    /// Its handler's path (default: overlay's /api/messages, file-manager-rs's /admin/api/files).
    #[arg(long)]
    http_path: Option<String>,
    /// SSE viewers that read as fast as they can.
    #[arg(long, default_value_t = 50)]
    viewers: usize,
    /// SSE viewers that read one chunk a second (they miss frames, others must not).
    #[arg(long, default_value_t = 2)]
    slow_viewers: usize,
    /// SSE frames per second sent to the channel.
    #[arg(long, default_value_t = 50)]
    sse_rate: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn default_plugins(rust: bool) -> Vec<PathBuf> {
    let names: &[&str] = if rust {
        &[
            "examples/rust/profanity-filter",
            "examples/rust/slow-mode",
            "examples/rust/echo-bot",
            "examples/rust/stream-tracker",
            "examples/rust/file-manager",
        ]
    } else {
        &[
            "examples/js/profanity-filter",
            "examples/js/slow-mode",
            "examples/js/chat-logger",
            "examples/js/message-counter",
            "examples/js/overlay",
        ]
    };
    names.iter().map(|n| repo().join(n)).collect()
}

fn default_hostile() -> Vec<PathBuf> {
    ["host/tests/guests/hostile", "examples/js/safeguard-stress", "compat-extism/fixtures/hostile-legacy"]
        .iter()
        .map(|n| repo().join(n))
        .collect()
}

/// Chat bodies that make one of the hostile plugins misbehave (each
/// plugin ignores the others' commands).
const HOSTILE_COMMANDS: &[&str] = &[
    "spin",               // hostile: endless loop
    "grow",               // hostile: allocates until the memory cap
    "deep",               // hostile: stack overflow
    "sleep",              // hostile and hostile-legacy: sleep in a host wait
    "!stress emit-storm", // safeguard-stress: emits in a loop
    "!stress slow-host",  // safeguard-stress: host calls in a loop
    "!stress alloc",      // safeguard-stress: allocates until the cap
    "!stress spin",       // safeguard-stress: endless loop
    "!stress recurse",    // safeguard-stress: recursion
];

/// Notification fan-outs running at once, at most.
const MAX_FANOUTS: usize = 4096;

/// The admin token of the run's server (it listens on loopback for the run only).
const LOADTEST_TOKEN: &str = "loadtest-admin";

/// HTTP paths that stall a hostile plugin's handler (`/plugins/<slug><path>`).
const HOSTILE_HTTP: &[(&str, &str)] = &[("hostile", "/sleep?ms=10000"), ("safeguard-stress", "/spin")];

const BODIES: &[&str] = &[
    "hello there, how is everyone doing today?",
    "what the hell, that was a damn good play",
    "gg",
    "is the stream lagging for anyone else?",
];

/// Chat message `n` of a chat at `rate` messages per second: 5,000 viewers
/// in turn, timestamps at the pace of the schedule (slow-mode goes by them).
/// A hostile command (`hostile`) comes from a viewer of its own, so no
/// well-behaved filter (slow-mode) drops it before the hostile plugins see it.
fn chat(n: u64, rate: u64, body: &str, hostile: bool) -> Event {
    let user = if hostile { format!("mischief{n}") } else { format!("u{}", n % 5000) };
    let ms = n * 1000 / rate.max(1);
    let (s, ms) = (ms / 1000, ms % 1000);
    Event::from(types::Event::ChatMessageReceived(ChatMessage {
        id: format!("m{n}"),
        user: Some(ChatUser { id: user.clone(), display_name: user, ..Default::default() }),
        body: body.into(),
        timestamp: format!("2024-01-01T{:02}:{:02}:{:02}.{ms:03}Z", s / 3600 % 24, s / 60 % 60, s % 60),
        client_id: Some(n % 5000),
    }))
}

/// Latencies counted in buckets 1% wide (1 µs to over an hour): the
/// tally's memory stays the same however many messages a run times (a list
/// of every latency grew the RSS this test watches).
struct Hist {
    counts: Vec<u64>,
    n: u64,
    sum_us: f64,
    min_us: f64,
    max_us: f64,
}

/// Bucket `i` holds latencies up to `GROWTH^i` µs.
const GROWTH: f64 = 1.01;
const BUCKETS: usize = 2300;

impl Default for Hist {
    fn default() -> Self {
        Hist { counts: vec![0; BUCKETS], n: 0, sum_us: 0.0, min_us: f64::INFINITY, max_us: 0.0 }
    }
}

impl Hist {
    fn record(&mut self, d: Duration) {
        let us = d.as_secs_f64() * 1e6;
        let i = if us <= 1.0 { 0 } else { ((us.ln() / GROWTH.ln()).ceil() as usize).min(BUCKETS - 1) };
        self.counts[i] += 1;
        self.n += 1;
        self.sum_us += us;
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
    }

    /// The upper bound of the bucket holding quantile `q` (at most the maximum seen).
    fn quantile(&self, q: f64) -> f64 {
        let rank = ((q * self.n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return GROWTH.powi(i as i32).min(self.max_us);
            }
        }
        self.max_us
    }

    fn stats(&self) -> Option<Stats> {
        (self.n > 0).then(|| Stats {
            n: self.n as usize,
            p50_us: self.quantile(0.5),
            p90_us: self.quantile(0.9),
            p99_us: self.quantile(0.99),
            mean_us: self.sum_us / self.n as f64,
            min_us: self.min_us,
            max_us: self.max_us,
        })
    }
}

#[derive(Default)]
struct Tally {
    chain_us: Mutex<Hist>,
    hostile_chain_us: Mutex<Hist>,
    /// Fan-outs of passed messages, from start to the last plugin's answer.
    fanout_us: Mutex<Hist>,
    done: AtomicU64,
    dropped_by_filter: AtomicU64,
    failed_steps_good: AtomicU64,
    failed_steps_hostile: AtomicU64,
    http_us: Mutex<Hist>,
    http_bad: AtomicU64,
    hostile_http: Mutex<Vec<u16>>,
    sse_frames: AtomicU64,
    sse_dropped_fast: AtomicU64,
    sse_dropped_slow: AtomicU64,
    sse_sent: AtomicU64,
    viewers_open: AtomicUsize,
    plugin_chat: AtomicU64,
}

#[derive(Serialize)]
struct RssSample {
    t_s: f64,
    rss_mib: f64,
}

#[derive(Serialize)]
struct PluginLine {
    slug: String,
    hostile: bool,
    enabled: bool,
    calls: u64,
    timeouts: u64,
    errors: u64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    seconds: f64,
    offered_rate: u64,
    messages: u64,
    messages_per_s: f64,
    hostile_commands: usize,
    dropped_by_filters: u64,
    /// Chat messages the plugins sent (the fan-out's effect).
    chat_sent_by_plugins: u64,
    /// Filter chain, ordinary messages (the hostile plugins are in the chain and pass them).
    chain: Option<Stats>,
    /// Filter chain, messages carrying a hostile command.
    chain_hostile: Option<Stats>,
    /// Notification fan-out of the messages that passed (every subscriber answered or was cut).
    fanout: Option<Stats>,
    failed_steps_well_behaved: u64,
    failed_steps_hostile: u64,
    http: Option<Stats>,
    http_failures: u64,
    /// Statuses of the requests that stall hostile handlers.
    hostile_http_statuses: Vec<u16>,
    sse_viewers: usize,
    sse_frames_sent: u64,
    sse_frames_received: u64,
    sse_dropped_fast_viewers: u64,
    sse_dropped_slow_viewers: u64,
    rss: Vec<RssSample>,
    /// RSS growth from the end of warm-up (first fifth of the run) to the end, in percent.
    rss_growth_after_warmup_pct: Option<f64>,
    plugins: Vec<PluginLine>,
}

/// Loads a built plugin; the one whose slug is `http_plugin` gets `http.sse` too.
async fn load_dir(host: &Host, dir: &Path, http_plugin: &str) -> anyhow::Result<String> {
    let mut bundle = PluginBundle::from_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: {e} (build it first: tools/build-js-examples.sh, tools/build-rust-guests.sh, tools/build-extism-fixtures.sh)", dir.display()))?;
    let slug: Value = serde_json::from_slice(&bundle.manifest)?;
    let extra_permissions: &[&str] = if slug["slug"] == http_plugin { &["http.sse"] } else { &[] };
    if !extra_permissions.is_empty() {
        // JS plugins take their registration from the host's manifest.
        let mut m: Value = serde_json::from_slice(&bundle.manifest)?;
        let perms =
            m["permissions"].as_array_mut().ok_or_else(|| anyhow::anyhow!("{}: no permissions", dir.display()))?;
        for p in extra_permissions {
            perms.push(Value::String(p.to_string()));
        }
        bundle.manifest = serde_json::to_vec(&m)?;
    }
    let loaded = host.load(bundle).await.map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    Ok(loaded.slug().to_string())
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread,
        "loadtest needs the multi-thread runtime"
    );
    let say = |s: String| {
        if !a.json {
            eprintln!("{s}");
        }
    };
    let limits = Limits { max_strikes: u32::MAX, ..Limits::default() };
    let runtime: Arc<Runtime> =
        Runtime::new(RuntimeConfig { limits, cache_dir: Some(setup::cache_dir()), ..Default::default() })?;
    let viewers_total = a.viewers + a.slow_viewers;
    let sse = SseHub::new(viewers_total + 16).with_max_per_client(viewers_total + 16);
    // Owncast's side, simulated; its record of effects is drained every second (below).
    let owncast = Arc::new(SimulatedOwncast::demo());
    let mut b = Host::builder(owncast.clone(), Arc::new(NoNetwork))
        .runtime(runtime)
        .sse(Arc::new(sse))
        .data_dir(std::env::temp_dir().join(format!("owncast-loadtest-{}", std::process::id())));
    for l in setup::loaders() {
        b = b.loader(l);
    }
    let host = Arc::new(b.build()?);
    let plugin_dirs = if a.plugins.is_empty() { default_plugins(a.rust) } else { a.plugins.clone() };
    let hostile_dirs = if a.no_hostile {
        Vec::new()
    } else if a.hostile.is_empty() {
        default_hostile()
    } else {
        a.hostile.clone()
    };
    let http_plugin =
        a.http_plugin.clone().unwrap_or_else(|| if a.rust { "file-manager-rs" } else { "overlay" }.into());
    let http_path = a
        .http_path
        .clone()
        .unwrap_or_else(|| if http_plugin == "file-manager-rs" { "/admin/api/files" } else { "/api/messages" }.into());
    let mut hostile_slugs = Vec::new();
    for d in &plugin_dirs {
        let slug = load_dir(&host, d, &http_plugin).await?;
        say(format!("loaded {slug}"));
    }
    for d in &hostile_dirs {
        let slug = load_dir(&host, d, "").await?;
        say(format!("loaded {slug} (hostile)"));
        hostile_slugs.push(slug);
    }
    let http_ctx = host
        .get(&http_plugin)
        .ok_or_else(|| anyhow::anyhow!("--http-plugin {http_plugin} is not loaded"))?
        .context()
        .clone();

    // The requests carry an admin token: a plugin's `/admin/*` routes (file-manager-rs's) are the admin's.
    let mut sc = ServerConfig::default().admin_token(LOADTEST_TOKEN);
    sc.limits.max_connections_per_client = viewers_total + 256;
    sc.limits.max_connections = viewers_total + 512;
    let server = Arc::new(PluginServer::new(host.clone(), sc));
    let running = server.bind("127.0.0.1:0".parse()?).await?;
    let addr = running.local_addr();

    let tally = Arc::new(Tally::default());
    let run_for = Duration::from_secs_f64(a.seconds);
    let start = Instant::now();
    let end = start + run_for;

    // SSE viewers and the frames they watch.
    let channel = "load";
    let mut tasks = Vec::new();
    for i in 0..viewers_total {
        let slow = i >= a.viewers;
        let (t, target) = (tally.clone(), format!("/plugins/{http_plugin}/_sse/{channel}"));
        tasks.push(tokio::spawn(async move { viewer(addr, &target, slow, end, &t).await }));
    }
    let opened = Instant::now();
    while tally.viewers_open.load(Relaxed) < viewers_total && opened.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    {
        let (t, ctx, rate) = (tally.clone(), http_ctx.clone(), a.sse_rate.max(1));
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                let _ = ctx.sse_send(channel, "tick", &format!("{n} {}", "f".repeat(200)));
                t.sse_sent.fetch_add(1, Relaxed);
                n += 1;
                tokio::time::sleep_until((start + Duration::from_secs_f64(n as f64 / rate as f64)).into()).await;
            }
        }));
    }

    // HTTP to the well-behaved handler, and stalls to the hostile ones.
    if a.http_rate > 0 {
        let (t, path, rate) = (tally.clone(), format!("/plugins/{http_plugin}{http_path}"), a.http_rate);
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                let t0 = Instant::now();
                match http_get(addr, &path).await {
                    Some(200) => t.http_us.lock().unwrap().record(t0.elapsed()),
                    _ => {
                        t.http_bad.fetch_add(1, Relaxed);
                    }
                }
                n += 1;
                tokio::time::sleep_until((start + Duration::from_secs_f64(n as f64 / rate as f64)).into()).await;
            }
        }));
        let stalls = HOSTILE_HTTP.iter().filter(|(s, _)| a.hostile_http && hostile_slugs.iter().any(|h| h == s));
        for (slug, p) in stalls {
            let (t, path) = (tally.clone(), format!("/plugins/{slug}{p}"));
            tasks.push(tokio::spawn(async move {
                while Instant::now() < end {
                    let code = http_get(addr, &path).await.unwrap_or(0);
                    t.hostile_http.lock().unwrap().push(code);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }));
        }
    }

    // RSS once a second; the chat the plugins sent, counted and forgotten.
    let rss = Arc::new(Mutex::new(Vec::new()));
    {
        let (rss, t, owncast) = (rss.clone(), tally.clone(), owncast.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                t.plugin_chat.fetch_add(owncast.take_effects().chat.len() as u64, Relaxed);
                if let Some(b) = ProcessMemory::rss_now() {
                    rss.lock()
                        .unwrap()
                        .push(RssSample { t_s: start.elapsed().as_secs_f64(), rss_mib: b as f64 / (1 << 20) as f64 });
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }

    // Chat: `concurrency` senders share one schedule at `rate`.
    let next = Arc::new(AtomicU64::new(0));
    let hostile_every = if hostile_slugs.is_empty() || a.hostile_rate <= 0.0 {
        u64::MAX
    } else {
        ((a.rate as f64 / a.hostile_rate).round() as u64).max(1)
    };
    let hostile_sent = Arc::new(AtomicUsize::new(0));
    let fanouts = Arc::new(tokio::sync::Semaphore::new(MAX_FANOUTS));
    let mut senders = Vec::new();
    for _ in 0..a.concurrency.max(1) {
        let (host, t, next, hostile_sent, hostile_slugs, fanouts) =
            (host.clone(), tally.clone(), next.clone(), hostile_sent.clone(), hostile_slugs.clone(), fanouts.clone());
        let rate = a.rate.max(1);
        senders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Relaxed);
                let due = start + Duration::from_secs_f64(n as f64 / rate as f64);
                // Messages the host could not take in time are not sent late.
                if due >= end || Instant::now() >= end {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                let hostile = n % hostile_every == hostile_every - 1;
                let body = if hostile {
                    let k = hostile_sent.fetch_add(1, Relaxed);
                    HOSTILE_COMMANDS[k % HOSTILE_COMMANDS.len()]
                } else {
                    BODIES[(n % BODIES.len() as u64) as usize]
                };
                let t0 = Instant::now();
                let out = host.filter(chat(n, rate, body, hostile)).await;
                let took = t0.elapsed();
                if hostile { &t.hostile_chain_us } else { &t.chain_us }.lock().unwrap().record(took);
                for s in &out.steps {
                    if let StepResult::Failed(_) = s.result {
                        if hostile_slugs.contains(&s.slug) { &t.failed_steps_hostile } else { &t.failed_steps_good }
                            .fetch_add(1, Relaxed);
                    }
                }
                if out.dropped.is_some() {
                    t.dropped_by_filter.fetch_add(1, Relaxed);
                } else {
                    // The fan-out runs on, as Owncast's does (`ocp_notify`
                    // returns at its timeout): a plugin slow to take its
                    // notification holds its own queue, not the chat. At
                    // most MAX_FANOUTS run at once; past that the chat waits.
                    let permit = fanouts.clone().acquire_owned().await.expect("never closed");
                    let (host, t) = (host.clone(), t.clone());
                    tokio::spawn(async move {
                        let t0 = Instant::now();
                        host.notify(&out.event).await;
                        t.fanout_us.lock().unwrap().record(t0.elapsed());
                        drop(permit);
                    });
                }
                t.done.fetch_add(1, Relaxed);
            }
        }));
    }
    say(format!(
        "running {:.0} s: {} msg/s offered ({} in flight), {} hostile command(s)/s, {} HTTP req/s, {} SSE viewers ({} slow), {} frames/s",
        a.seconds, a.rate, a.concurrency, a.hostile_rate, a.http_rate, viewers_total, a.slow_viewers, a.sse_rate
    ));
    for s in senders {
        s.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    // The fan-outs still running finish (each call has its deadline).
    let _ = tokio::time::timeout(Duration::from_secs(15), fanouts.acquire_many(MAX_FANOUTS as u32)).await;
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
    }
    running.shutdown().await;

    let rss = std::mem::take(&mut *rss.lock().unwrap());
    let warm = rss.iter().find(|s| s.t_s >= a.seconds / 5.0).map(|s| s.rss_mib);
    let growth = match (warm, rss.last()) {
        (Some(w), Some(l)) if w > 0.0 => Some((l.rss_mib - w) / w * 100.0),
        _ => None,
    };
    let take = |m: &Mutex<Hist>| m.lock().unwrap().stats();
    let mut plugins = Vec::new();
    for p in host.plugins() {
        let slug = p.slug().to_string();
        let m = host.metrics_snapshot(&slug).unwrap_or_default();
        plugins.push(PluginLine {
            hostile: hostile_slugs.contains(&slug),
            enabled: p.is_enabled(),
            calls: m.calls.filter + m.calls.event + m.calls.http,
            timeouts: m.timeouts.filter + m.timeouts.event + m.timeouts.http,
            errors: m.errors.filter + m.errors.event + m.errors.http,
            p50_ms: m.latency.p50_ms,
            p99_ms: m.latency.p99_ms,
            slug,
        });
    }
    let done = tally.done.load(Relaxed);
    let report = Report {
        seconds: elapsed,
        offered_rate: a.rate,
        messages: done,
        messages_per_s: done as f64 / elapsed,
        hostile_commands: hostile_sent.load(Relaxed),
        dropped_by_filters: tally.dropped_by_filter.load(Relaxed),
        chat_sent_by_plugins: tally.plugin_chat.load(Relaxed) + owncast.take_effects().chat.len() as u64,
        chain: take(&tally.chain_us),
        chain_hostile: take(&tally.hostile_chain_us),
        fanout: take(&tally.fanout_us),
        failed_steps_well_behaved: tally.failed_steps_good.load(Relaxed),
        failed_steps_hostile: tally.failed_steps_hostile.load(Relaxed),
        http: take(&tally.http_us),
        http_failures: tally.http_bad.load(Relaxed),
        hostile_http_statuses: std::mem::take(&mut *tally.hostile_http.lock().unwrap()),
        sse_viewers: tally.viewers_open.load(Relaxed),
        sse_frames_sent: tally.sse_sent.load(Relaxed),
        sse_frames_received: tally.sse_frames.load(Relaxed),
        sse_dropped_fast_viewers: tally.sse_dropped_fast.load(Relaxed),
        sse_dropped_slow_viewers: tally.sse_dropped_slow.load(Relaxed),
        rss,
        rss_growth_after_warmup_pct: growth,
        plugins,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("owncast-loadtest-{}", std::process::id())));
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &Report) {
    let st = |s: &Option<Stats>| match s {
        Some(s) => format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n={})",
            s.p50_us / 1e3,
            s.p99_us / 1e3,
            s.max_us / 1e3,
            s.n
        ),
        None => "none".into(),
    };
    println!(
        "{:.1} s: {} messages, {:.0} msg/s (offered {}), {} dropped by filters",
        r.seconds, r.messages, r.messages_per_s, r.offered_rate, r.dropped_by_filters
    );
    println!("chat messages the plugins sent: {}", r.chat_sent_by_plugins);
    println!("filter chain, ordinary messages: {}", st(&r.chain));
    println!("filter chain, {} hostile commands: {}", r.hostile_commands, st(&r.chain_hostile));
    println!("notification fan-out: {}", st(&r.fanout));
    println!("failed filter steps: well-behaved {}, hostile {}", r.failed_steps_well_behaved, r.failed_steps_hostile);
    println!(
        "HTTP: {} ({} failures); hostile handlers answered {:?}",
        st(&r.http),
        r.http_failures,
        r.hostile_http_statuses
    );
    println!(
        "SSE: {} viewers, {} frames sent, {} received, dropped: {} (fast viewers), {} (slow viewers)",
        r.sse_viewers, r.sse_frames_sent, r.sse_frames_received, r.sse_dropped_fast_viewers, r.sse_dropped_slow_viewers
    );
    let rss: Vec<String> = r.rss.iter().map(|s| format!("{:.0}", s.rss_mib)).collect();
    println!("RSS (MiB, each second): {}", rss.join(" "));
    if let Some(g) = r.rss_growth_after_warmup_pct {
        println!("RSS growth after warm-up: {g:+.1}%");
    }
    for p in &r.plugins {
        println!(
            "  {:<18} {:<8} {:<8} calls {:>8} timeouts {:>6} errors {:>6} p50 {:?} ms p99 {:?} ms",
            p.slug,
            if p.hostile { "hostile" } else { "" },
            if p.enabled { "enabled" } else { "DISABLED" },
            p.calls,
            p.timeouts,
            p.errors,
            p.p50_ms,
            p.p99_ms
        );
    }
}

/// One GET with `Connection: close`; the status, or `None` on a transport failure.
async fn http_get(addr: SocketAddr, path: &str) -> Option<u16> {
    let fut = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: loadtest\r\nAuthorization: Bearer {LOADTEST_TOKEN}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        std::str::from_utf8(buf.get(9..12)?).ok()?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(30), fut).await.ok().flatten()
}

/// An SSE viewer until `end`: counts `event:` frames and the host's
/// `: dropped N frames` notes.
async fn viewer(addr: SocketAddr, target: &str, slow: bool, end: Instant, t: &Tally) {
    let Ok(mut s) = TcpStream::connect(addr).await else { return };
    if s.write_all(format!("GET {target} HTTP/1.1\r\nHost: loadtest\r\n\r\n").as_bytes()).await.is_err() {
        return;
    }
    t.viewers_open.fetch_add(1, Relaxed);
    let mut buf = vec![0u8; if slow { 512 } else { 64 * 1024 }];
    let mut carry = String::new();
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        let n = match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => n,
        };
        carry.push_str(&String::from_utf8_lossy(&buf[..n]));
        // Count whole lines only.
        let cut = carry.rfind('\n').map(|i| i + 1).unwrap_or(0);
        for line in carry[..cut].lines() {
            if line.starts_with("event: ") {
                t.sse_frames.fetch_add(1, Relaxed);
            } else if let Some(n) =
                line.strip_prefix(": dropped ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse::<u64>().ok())
            {
                if slow { &t.sse_dropped_slow } else { &t.sse_dropped_fast }.fetch_add(n, Relaxed);
            }
        }
        carry.drain(..cut);
        if slow {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
