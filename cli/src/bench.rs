//! `owncast-plugin bench`: performance figures of a filter plugin (JS, or a
//! Rust or Python component), measured through the same runtime and loaders
//! as `test` and `demo`.
//!
//! 1. Filter call latency: `Host::filter` on a chat message, through the
//!    dispatcher into one loaded plugin (default: the built JS
//!    profanity-filter), for a message it passes and one it modifies.
//! 2. Instantiation of the compiled, pre-initialized module:
//!    `PluginCode::instantiate` (a fresh instance, as after a trap or for each
//!    scenario case), and instantiate + the first call (`register`).
//! 3. Resident memory per loaded plugin: process RSS before and after loading
//!    N more copies through `Host::load`, one per host on the same runtime
//!    (each compiled on its own, with its own instance, then one filter call
//!    each; the empty hosts' memory is left out), divided by N; then, roughly
//!    (freed allocations are reused), the same N split into compiling and
//!    instantiating.
//!
//! With `--engine <wasm>` the same figures are taken for the shared-engine
//! form too: `<slug>.js` from `owncast-plugin build --script`, run by one
//! engine module compiled once for all plugins.
//!
//! `--memory-only` measures memory the way a host holds plugins: in this
//! fresh process, one host loads N copies (each its own slug and its own
//! bytes, a custom section naming the copy, so nothing is shared that N
//! different plugins would not share), one chat message goes through the
//! filter chain (every copy is called once), and the growth of the process's
//! resident set over the empty host, divided by N, is the figure
//! (everything a loaded, once-called plugin holds, shared code included).

use crate::setup;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::metrics::ProcessMemory;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::types::{self, ChatMessage, ChatUser};
use owncast_plugin_host::{Host, Manifest, PluginBundle, PluginContext, PluginLoader, Runtime};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// A built plugin directory with a chat-message filter.
    #[arg(default_value = "examples/js/profanity-filter")]
    dir: PathBuf,
    /// Timed filter calls per message kind.
    #[arg(long, default_value_t = 5000)]
    calls: usize,
    /// Timed instantiations.
    #[arg(long, default_value_t = 200)]
    instances: usize,
    /// Extra copies loaded for the memory figure.
    #[arg(long, default_value_t = 50)]
    plugins: usize,
    /// Also measure the shared-engine form: this engine wasm running
    /// `<dir>/<slug>.js` (from `owncast-plugin build --script`).
    #[arg(long)]
    engine: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The chat message the filter must change (its word list decides).
    #[arg(long, default_value = DIRTY)]
    dirty: String,
    /// Only the memory figure: `--plugins` distinct copies in one host of
    /// this fresh process, each called once (with `--engine`, only the
    /// shared-engine form).
    #[arg(long)]
    memory_only: bool,
    /// Load modules built on the JS engine whole, each with its own compiled
    /// code (how the host loaded them before it shared the engine's code).
    #[arg(long)]
    whole_modules: bool,
}

/// Latency percentiles in microseconds.
#[derive(serde::Serialize)]
pub(crate) struct Stats {
    pub n: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
    pub min_us: f64,
    pub max_us: f64,
}

pub(crate) fn stats(mut d: Vec<Duration>) -> Stats {
    d.sort();
    let us = |x: Duration| x.as_secs_f64() * 1e6;
    let at = |q: f64| us(d[((d.len() as f64 - 1.0) * q).round() as usize]);
    Stats {
        n: d.len(),
        p50_us: at(0.5),
        p90_us: at(0.9),
        p99_us: at(0.99),
        mean_us: d.iter().map(|x| us(*x)).sum::<f64>() / d.len() as f64,
        min_us: us(d[0]),
        max_us: us(d[d.len() - 1]),
    }
}

fn message(n: usize, body: &str) -> Event {
    Event::from(types::Event::ChatMessageReceived(ChatMessage {
        id: format!("m{n}"),
        user: Some(ChatUser { id: "u-alice".into(), display_name: "alice".into(), ..Default::default() }),
        body: body.into(),
        timestamp: format!("2024-01-01T00:00:{:02}Z", n % 60),
        client_id: Some(1),
    }))
}

/// The bundle with another slug (JS plugins built by the SDK take their
/// manifest from the host, so one module can be loaded under many slugs).
fn with_slug(bundle: &PluginBundle, slug: &str) -> anyhow::Result<PluginBundle> {
    let mut m: Value = serde_json::from_slice(&bundle.manifest)?;
    m["slug"] = Value::String(slug.into());
    let mut b = bundle.clone();
    b.manifest = serde_json::to_vec(&m)?;
    Ok(b)
}

fn is_wasm(code: &[u8]) -> bool {
    code.starts_with(b"\0asm")
}

const CLEAN: &str = "hello there, how is everyone doing today?";
const DIRTY: &str = "what the hell, that was a damn good play";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(b: f64) -> f64 {
    b / (1 << 20) as f64
}

struct Bench<'a> {
    args: &'a Args,
    runtime: Arc<Runtime>,
    loader: Arc<dyn PluginLoader>,
}

impl Bench<'_> {
    fn say(&self, s: String) {
        if !self.args.json {
            eprintln!("{s}");
        }
    }

    fn host(&self) -> anyhow::Result<Host> {
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .runtime(self.runtime.clone())
            .loader(self.loader.clone())
            .build()
    }

    async fn measure(&self, label: &str, bundle: &PluginBundle) -> anyhow::Result<Value> {
        let args = self.args;
        let host = self.host()?;
        let t = Instant::now();
        let loaded = host.load(bundle.clone()).await?;
        let first_load = t.elapsed();
        let slug = loaded.slug().to_string();
        anyhow::ensure!(!host.filter_chain("chat.message.received").is_empty(), "{slug} has no chat-message filter");
        self.say(format!(
            "== {label}: {slug} ({}, {} bytes of code), first load {:.1} ms",
            loaded.kind,
            bundle.code.len(),
            ms(first_load)
        ));
        let mut out = serde_json::Map::new();
        out.insert("plugin".into(), json!({ "slug": slug, "kind": loaded.kind, "code_bytes": bundle.code.len(), "first_load_ms": ms(first_load) }));

        // 1. Filter calls through the host.
        for i in 0..200 {
            host.filter(message(i, if i % 2 == 0 { CLEAN } else { &args.dirty })).await;
        }
        for (kind, body, expect_change) in [("pass", CLEAN, false), ("modify", args.dirty.as_str(), true)] {
            let mut times = Vec::with_capacity(args.calls);
            for i in 0..args.calls {
                let ev = message(i, body);
                let t = Instant::now();
                let outcome = host.filter(ev.clone()).await;
                times.push(t.elapsed());
                if i == 0 {
                    let changed = outcome.event != ev;
                    anyhow::ensure!(
                        changed == expect_change && outcome.dropped.is_none(),
                        "unexpected filter outcome for the {kind} message: {:?}",
                        outcome.steps.iter().map(|s| format!("{}: {:?}", s.slug, s.result)).collect::<Vec<_>>()
                    );
                }
            }
            let s = stats(times);
            self.say(format!(
                "filter via Host::filter ({kind}): p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs (n={})",
                s.p50_us, s.p90_us, s.p99_us, s.n
            ));
            out.insert(format!("filter_{kind}"), serde_json::to_value(&s)?);
        }

        // 2. Instantiation of the compiled code.
        let manifest = Arc::new(Manifest::parse(&bundle.manifest, &bundle.manifest_file)?);
        let code = self.compile(bundle, &manifest)?;
        let ctx = PluginContext::new(manifest.clone(), manifest.permissions.clone(), host.services().clone());
        for _ in 0..20 {
            drop(code.instantiate(ctx.clone(), None).await?);
        }
        let (mut inst, mut inst_reg) = (Vec::new(), Vec::new());
        for _ in 0..args.instances {
            let t = Instant::now();
            let i = code.instantiate(ctx.clone(), None).await?;
            inst.push(t.elapsed());
            drop(i);
            let t = Instant::now();
            let mut i = code.instantiate(ctx.clone(), None).await?;
            i.register().await?;
            inst_reg.push(t.elapsed());
        }
        let (si, sr) = (stats(inst), stats(inst_reg));
        self.say(format!("instantiate: p50 {:.3} ms, p90 {:.3} ms (n={})", si.p50_us / 1e3, si.p90_us / 1e3, si.n));
        self.say(format!(
            "instantiate + first call (register): p50 {:.3} ms, p90 {:.3} ms",
            sr.p50_us / 1e3,
            sr.p90_us / 1e3
        ));
        out.insert("instantiate".into(), serde_json::to_value(&si)?);
        out.insert("instantiate_register".into(), serde_json::to_value(&sr)?);
        drop(code);

        // 3. Resident memory per loaded plugin, through Host::load: N more
        // hosts on the same runtime (a plugin's compiled-in identity, as
        // Rust and Python components have, allows one copy per host), the
        // hosts' own memory measured first and left out.
        let n = args.plugins;
        let empty = ProcessMemory::rss_now();
        let hosts: Vec<Host> = (0..n).map(|_| self.host()).collect::<anyhow::Result<_>>()?;
        let before = ProcessMemory::rss_now();
        let t = Instant::now();
        for h in &hosts {
            h.load(bundle.clone()).await?;
        }
        let load_each = ms(t.elapsed()) / n as f64;
        for h in &hosts {
            h.filter(message(0, &args.dirty)).await; // every instance runs once
            anyhow::ensure!(h.filter_chain("chat.message.received").len() == 1, "a copy did not load as a filter");
        }
        let after = ProcessMemory::rss_now();
        if let (Some(e), Some(b)) = (empty, before) {
            self.say(format!("({n} empty hosts: {:.2} MiB, left out)", mib(b.saturating_sub(e) as f64)));
        }

        // The same, split: compile n copies, then instantiate each and call it.
        let copies: Vec<(Arc<Manifest>, PluginBundle)> = (0..n)
            .map(|k| {
                let b = with_slug(bundle, &format!("{slug}-split-{k}"))?;
                Ok((Arc::new(Manifest::parse(&b.manifest, &b.manifest_file)?), b))
            })
            .collect::<anyhow::Result<_>>()?;
        let split0 = ProcessMemory::rss_now();
        let codes: Vec<_> = copies.iter().map(|(m, b)| self.compile(b, m)).collect::<anyhow::Result<_>>()?;
        let split1 = ProcessMemory::rss_now();
        let mut live = Vec::new();
        for ((m, _), code) in copies.iter().zip(&codes) {
            let ctx = PluginContext::new(m.clone(), m.permissions.clone(), host.services().clone());
            let mut i = code.instantiate(ctx, None).await?;
            i.register().await?;
            i.on_filter(&message(0, &args.dirty)).await?;
            live.push(i);
        }
        let split2 = ProcessMemory::rss_now();

        let mem = match (before, after, split0, split1, split2) {
            (Some(a), Some(b), Some(s0), Some(s1), Some(s2)) => {
                let per = b.saturating_sub(a) as f64 / n as f64;
                let code_per = s1.saturating_sub(s0) as f64 / n as f64;
                let inst_per = s2.saturating_sub(s1) as f64 / n as f64;
                self.say(format!(
                    "memory: RSS {:.1} -> {:.1} MiB after {n} more plugins: {:.2} MiB per plugin (load {:.1} ms each); rough split (allocator reuse skews it): compiled code {:.2} MiB + instance {:.2} MiB",
                    mib(a as f64),
                    mib(b as f64),
                    mib(per),
                    load_each,
                    mib(code_per),
                    mib(inst_per)
                ));
                json!({
                    "plugins": n,
                    "rss_before_bytes": a,
                    "rss_after_bytes": b,
                    "per_plugin_mib": mib(per),
                    "load_ms_each": load_each,
                    "compiled_code_per_plugin_mib": mib(code_per),
                    "instance_per_plugin_mib": mib(inst_per),
                })
            }
            _ => {
                self.say("memory: resident set size not available on this platform".into());
                Value::Null
            }
        };
        out.insert("memory".into(), mem);
        drop(live);
        drop(hosts);
        Ok(Value::Object(out))
    }

    /// `--memory-only`: N distinct copies loaded into one host and called
    /// once each, resident memory per plugin.
    async fn memory(&self, label: &str, bundle: &PluginBundle) -> anyhow::Result<Value> {
        let n = self.args.plugins;
        let host = self.host()?;
        let base = ProcessMemory::now();
        let t = Instant::now();
        let mut slug = String::new();
        for k in 0..n {
            let mut b = with_slug(bundle, &format!("bench-copy-{k}"))?;
            if is_wasm(&b.code) {
                b.code = owncast_compat_extism::snapshot::with_custom_section(
                    &b.code,
                    "owncast-bench-copy",
                    k.to_string().as_bytes(),
                );
            } else {
                b.code.extend_from_slice(format!("\n// copy {k}\n").as_bytes());
            }
            slug = host.load(b).await?.slug().to_string();
        }
        let load = t.elapsed();
        let loaded = ProcessMemory::now();
        let chain = host.filter_chain("chat.message.received").len();
        anyhow::ensure!(chain == n, "{chain} of {n} copies loaded as chat-message filters");
        let t = Instant::now();
        let outcome = host.filter(message(0, &self.args.dirty)).await;
        let call = t.elapsed();
        let failed: Vec<String> = outcome
            .steps
            .iter()
            .filter(|s| matches!(s.result, StepResult::Failed(_)))
            .map(|s| format!("{}: {:?}", s.slug, s.result))
            .collect();
        anyhow::ensure!(failed.is_empty(), "filter calls failed: {failed:?}");
        anyhow::ensure!(outcome.steps.len() == n, "{} of {n} copies were called", outcome.steps.len());
        let called = ProcessMemory::now();
        let (Some(base), Some(loaded), Some(called)) = (base, loaded, called) else {
            self.say("memory: /proc/self/smaps_rollup is not available on this platform".into());
            return Ok(Value::Null);
        };
        let out = json!({
            "plugins": n,
            "form": label,
            "code_bytes": bundle.code.len(),
            "load_ms_each": ms(load) / n as f64,
            "first_filter_chain_ms": ms(call),
            "loaded": loaded.per_plugin_since(base, n),
            "loaded_and_called": called.per_plugin_since(base, n),
            "process_rss_mib": mib(called.rss as f64),
        });
        self.say(format!(
            "== {label}: {n} copies of {} in one host, load {:.1} ms each, one filter call through all {:.1} ms",
            slug.trim_end_matches(char::is_numeric),
            ms(load) / n as f64,
            ms(call)
        ));
        for (what, r) in [("loaded", loaded), ("loaded + called once", called)] {
            let v = r.per_plugin_since(base, n);
            self.say(format!(
                "{what}: per plugin RSS {:.2} MiB (PSS {:.2}, anonymous {:.2}); process RSS {:.1} MiB",
                v.rss_mib,
                v.pss_mib,
                v.anonymous_mib,
                mib(r.rss as f64)
            ));
        }
        Ok(out)
    }

    fn compile(
        &self,
        bundle: &PluginBundle,
        manifest: &Manifest,
    ) -> anyhow::Result<Arc<dyn owncast_plugin_host::PluginCode>> {
        Ok(self.loader.load(LoadRequest {
            runtime: &self.runtime,
            bytes: &bundle.code,
            file: &bundle.code_file,
            manifest,
            grants: &manifest.permissions,
        })?)
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bundle = PluginBundle::from_dir(&args.dir)
        .map_err(|e| anyhow::anyhow!("{e} (build it first: tools/build-js-examples.sh)"))?;
    anyhow::ensure!(
        args.plugins > 0 && args.calls > 0 && args.instances > 0,
        "--plugins, --calls and --instances must be positive"
    );
    let runtime = setup::runtime()?;
    // The legacy loaders, then the host's own component loader (Rust and
    // Python plugins), as Host::load picks them.
    let component: Arc<dyn PluginLoader> = Arc::new(owncast_plugin_host::component::ComponentLoader);
    let mut loader = setup::loaders()
        .into_iter()
        .chain([component])
        .find(|l| l.recognizes(&bundle.code, &bundle.code_file))
        .ok_or_else(|| anyhow::anyhow!("{}: not a plugin this host can load", bundle.code_file))?;
    if args.whole_modules {
        anyhow::ensure!(loader.kind() == "extism", "--whole-modules is about modules built on the JS engine");
        loader = Arc::new(ExtismLoader::new().with_whole_engine_modules());
    }
    let mut report = serde_json::Map::new();
    let bench = Bench { args: &args, runtime: runtime.clone(), loader };
    // `--memory-only --engine`: only the shared-engine form, so each form
    // is measured in a process of its own.
    if !(args.memory_only && args.engine.is_some()) {
        let pre = if args.memory_only {
            bench.memory("pre-initialized module", &bundle).await?
        } else {
            bench.measure("pre-initialized module", &bundle).await?
        };
        report.insert("preinitialized".into(), pre);
    }

    if let Some(engine) = &args.engine {
        let slug = Manifest::parse(&bundle.manifest, &bundle.manifest_file)?.slug;
        let script = args.dir.join(format!("{slug}.js"));
        let code = std::fs::read(&script).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e} (build it with: owncast-plugin build --script {})",
                script.display(),
                args.dir.display()
            )
        })?;
        let shared = PluginBundle { code, code_file: script.display().to_string(), ..bundle.clone() };
        let loader: Arc<dyn PluginLoader> = Arc::new(ExtismLoader::new().with_shared_engine_file("js", engine)?);
        let bench = Bench { args: &args, runtime, loader };
        let r = if args.memory_only {
            bench.memory("shared engine + script", &shared).await?
        } else {
            bench.measure("shared engine + script", &shared).await?
        };
        report.insert("shared_engine".into(), r);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    }
    Ok(ExitCode::SUCCESS)
}
