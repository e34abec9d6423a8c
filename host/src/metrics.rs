//! Per-plugin metrics: calls by kind, errors, timeouts, a latency histogram,
//! filter outcomes, instance memory and outgoing HTTP, recorded on the hot
//! path with relaxed atomic adds only (no lock, no allocation, no label
//! lookup: each plugin's [`PluginMetrics`] is resolved once, when its context
//! is created). Strikes and KV usage are read when a snapshot is taken.
//!
//! A [`PluginSnapshot`] is what the admin API shows as JSON; [`encode_text`]
//! writes the same numbers in the Prometheus text exposition format through
//! `prometheus-client` (a collector over the snapshots), so the exposition
//! is the crate's, not hand-written.

use crate::error::CallError;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How a filter answered, as the metrics count it (index into the outcome counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass = 0,
    Modify = 1,
    Drop = 2,
}
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::runtime::CallKind;

/// The counter index of a kind of call (`register` is counted with events: it
/// runs once per instance).
fn kind_index(kind: CallKind) -> usize {
    match kind {
        CallKind::Filter => 0,
        CallKind::Event | CallKind::Register => 1,
        // Page content is asked for by page loads, as HTTP requests are.
        CallKind::Http | CallKind::Content => 2,
    }
}

const KIND_NAMES: [&str; 3] = ["filter", "event", "http"];
const OUTCOME_NAMES: [&str; 3] = ["pass", "modify", "drop"];

/// Upper bounds of the latency buckets, in microseconds (the last bucket,
/// `+Inf`, is implicit).
pub const LATENCY_BUCKETS_US: [u64; 16] = [
    25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 5_000_000,
];

/// One plugin's counters. Shared by every instance the plugin gets, and kept
/// across reloads of the same slug, so counts are cumulative until the
/// plugin is deleted.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    calls: [AtomicU64; 3],
    errors: [AtomicU64; 3],
    timeouts: [AtomicU64; 3],
    latency: [AtomicU64; LATENCY_BUCKETS_US.len() + 1],
    latency_sum_us: AtomicU64,
    filter: [AtomicU64; 3],
    memory_bytes: AtomicU64,
    http_requests: AtomicU64,
    http_denied: AtomicU64,
}

impl PluginMetrics {
    /// Records one finished guest call: `Ok(Some(_))` for a filter's answer.
    #[inline]
    pub fn call(&self, kind: CallKind, elapsed: Duration, result: Result<Option<Outcome>, &CallError>) {
        let k = kind_index(kind);
        self.calls[k].fetch_add(1, Relaxed);
        let us = elapsed.as_micros().min(u64::MAX as u128) as u64;
        let bucket = LATENCY_BUCKETS_US.iter().position(|b| us <= *b).unwrap_or(LATENCY_BUCKETS_US.len());
        self.latency[bucket].fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(us, Relaxed);
        match result {
            Ok(Some(f)) => {
                self.filter[f as usize].fetch_add(1, Relaxed);
            }
            Ok(None) => {}
            Err(e) => {
                self.errors[k].fetch_add(1, Relaxed);
                if matches!(e, CallError::Timeout(_)) {
                    self.timeouts[k].fetch_add(1, Relaxed);
                }
            }
        }
    }

    /// An outgoing HTTP request the plugin asked for; `denied` when the host refused it.
    pub fn http_request(&self, denied: bool) {
        self.http_requests.fetch_add(1, Relaxed);
        if denied {
            self.http_denied.fetch_add(1, Relaxed);
        }
    }

    fn memory_grew(&self, by: u64) {
        self.memory_bytes.fetch_add(by, Relaxed);
    }
    fn memory_released(&self, by: u64) {
        // Never below zero, even if instances of an old and a new load overlap.
        let _ = self.memory_bytes.fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(by)));
    }
}

/// The store limiter every plugin instance gets: the host's limits, plus the
/// instance's linear memory counted in the plugin's metrics (on growth only,
/// so calls that do not grow memory pay nothing).
pub struct MeteredLimits {
    inner: wasmtime::StoreLimits,
    metrics: Arc<PluginMetrics>,
    held: u64,
}

impl MeteredLimits {
    pub fn new(inner: wasmtime::StoreLimits, metrics: Arc<PluginMetrics>) -> Self {
        MeteredLimits { inner, metrics, held: 0 }
    }
}

impl Drop for MeteredLimits {
    fn drop(&mut self) {
        self.metrics.memory_released(self.held);
    }
}

impl wasmtime::ResourceLimiter for MeteredLimits {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let ok = self.inner.memory_growing(current, desired, maximum)?;
        if ok {
            let by = desired.saturating_sub(current) as u64;
            self.held += by;
            self.metrics.memory_grew(by);
        }
        Ok(ok)
    }
    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.memory_grow_failed(error)
    }
    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }
    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.table_grow_failed(error)
    }
    fn instances(&self) -> usize {
        self.inner.instances()
    }
    fn tables(&self) -> usize {
        self.inner.tables()
    }
    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Every plugin's metrics, by slug.
#[derive(Debug, Default)]
pub struct Metrics {
    plugins: RwLock<BTreeMap<String, Arc<PluginMetrics>>>,
}

impl Metrics {
    /// The plugin's counters, created on first use.
    pub fn plugin(&self, slug: &str) -> Arc<PluginMetrics> {
        if let Some(m) = self.plugins.read().unwrap().get(slug) {
            return m.clone();
        }
        self.plugins.write().unwrap().entry(slug.to_string()).or_default().clone()
    }
    /// Existing counters only.
    /// The plugins that have metrics, in slug order.
    pub fn slugs(&self) -> Vec<String> {
        self.plugins.read().unwrap().keys().cloned().collect()
    }
    pub fn get(&self, slug: &str) -> Option<Arc<PluginMetrics>> {
        self.plugins.read().unwrap().get(slug).cloned()
    }
    /// Forgets a plugin's counters (it was deleted).
    pub fn remove(&self, slug: &str) {
        self.plugins.write().unwrap().remove(slug);
    }
}

/// Counts by call kind.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct ByKind {
    pub filter: u64,
    pub event: u64,
    pub http: u64,
}

impl ByKind {
    fn of(a: &[AtomicU64; 3]) -> Self {
        ByKind { filter: a[0].load(Relaxed), event: a[1].load(Relaxed), http: a[2].load(Relaxed) }
    }
    fn values(&self) -> [u64; 3] {
        [self.filter, self.event, self.http]
    }
    pub fn total(&self) -> u64 {
        self.filter + self.event + self.http
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    pub count: u64,
    pub sum_ms: f64,
    /// Upper bound of the bucket holding the median, in milliseconds (null with no calls).
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// `[upper bound in ms (null for +Inf), calls in that bucket]`, not cumulative.
    pub buckets: Vec<(Option<f64>, u64)>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct FilterOutcomes {
    pub pass: u64,
    pub modify: u64,
    pub drop: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct KvUsage {
    pub keys: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct HttpOut {
    pub requests: u64,
    pub denied: u64,
}

/// One plugin's numbers at one moment (the admin API's `metrics`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PluginSnapshot {
    pub calls: ByKind,
    pub errors: ByKind,
    pub timeouts: ByKind,
    pub strikes: u32,
    pub latency: Latency,
    pub filter_outcomes: FilterOutcomes,
    pub memory_bytes: u64,
    pub kv: KvUsage,
    pub http_out: HttpOut,
}

fn quantile(buckets: &[(Option<f64>, u64)], count: u64, q: f64) -> Option<f64> {
    if count == 0 {
        return None;
    }
    let rank = ((count as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (bound, n) in buckets {
        seen += n;
        if seen >= rank {
            // The +Inf bucket reports the largest finite bound.
            return Some(bound.unwrap_or(LATENCY_BUCKETS_US[LATENCY_BUCKETS_US.len() - 1] as f64 / 1000.0));
        }
    }
    None
}

impl PluginMetrics {
    /// The counters now; `strikes` and `kv` come from the caller.
    pub fn snapshot(&self, strikes: u32, kv: KvUsage) -> PluginSnapshot {
        let buckets: Vec<(Option<f64>, u64)> = self
            .latency
            .iter()
            .enumerate()
            .map(|(i, n)| (LATENCY_BUCKETS_US.get(i).map(|us| *us as f64 / 1000.0), n.load(Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        PluginSnapshot {
            calls: ByKind::of(&self.calls),
            errors: ByKind::of(&self.errors),
            timeouts: ByKind::of(&self.timeouts),
            strikes,
            latency: Latency {
                count,
                sum_ms: self.latency_sum_us.load(Relaxed) as f64 / 1000.0,
                p50_ms: quantile(&buckets, count, 0.5),
                p99_ms: quantile(&buckets, count, 0.99),
                buckets,
            },
            filter_outcomes: FilterOutcomes {
                pass: self.filter[0].load(Relaxed),
                modify: self.filter[1].load(Relaxed),
                drop: self.filter[2].load(Relaxed),
            },
            memory_bytes: self.memory_bytes.load(Relaxed),
            kv,
            http_out: HttpOut { requests: self.http_requests.load(Relaxed), denied: self.http_denied.load(Relaxed) },
        }
    }
}

/// Snapshots of several plugins, as a `prometheus-client` collector.
#[derive(Debug)]
struct Snapshots(Vec<(String, PluginSnapshot)>);

type Labels = Vec<(&'static str, String)>;

fn family<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    ty: MetricType,
    rows: impl Iterator<Item = (Labels, M)>,
) -> Result<(), std::fmt::Error> {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return Ok(());
    }
    let mut m = encoder.encode_descriptor(name, help, None, ty)?;
    for (labels, metric) in rows {
        metric.encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for Snapshots {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let plugin = |slug: &str| -> Labels { vec![("plugin", slug.to_string())] };
        let by_kind = |slug: &str, k: usize| -> Labels {
            vec![("plugin", slug.to_string()), ("kind", KIND_NAMES[k].to_string())]
        };
        let per_kind = |f: fn(&PluginSnapshot) -> ByKind| {
            self.0.iter().flat_map(move |(s, p)| {
                f(p).values().into_iter().enumerate().map(move |(k, v)| (by_kind(s, k), ConstCounter::new(v)))
            })
        };
        family(&mut e, "owncast_plugin_calls", "Guest calls by kind.", MetricType::Counter, per_kind(|p| p.calls))?;
        family(
            &mut e,
            "owncast_plugin_call_errors",
            "Guest calls that failed, by kind.",
            MetricType::Counter,
            per_kind(|p| p.errors),
        )?;
        family(
            &mut e,
            "owncast_plugin_call_timeouts",
            "Guest calls that ran out of time, by kind.",
            MetricType::Counter,
            per_kind(|p| p.timeouts),
        )?;
        family(
            &mut e,
            "owncast_plugin_strikes",
            "Consecutive failed calls (the plugin is disabled at the limit).",
            MetricType::Gauge,
            self.0.iter().map(|(s, p)| (plugin(s), ConstGauge::new(p.strikes as i64))),
        )?;
        family(
            &mut e,
            "owncast_plugin_filter_outcomes",
            "Filter answers by outcome.",
            MetricType::Counter,
            self.0.iter().flat_map(|(s, p)| {
                let f = p.filter_outcomes;
                [f.pass, f.modify, f.drop].into_iter().enumerate().map(move |(i, v)| {
                    (vec![("plugin", s.clone()), ("outcome", OUTCOME_NAMES[i].to_string())], ConstCounter::new(v))
                })
            }),
        )?;
        family(
            &mut e,
            "owncast_plugin_memory_bytes",
            "Linear memory of the plugin's live instance.",
            MetricType::Gauge,
            self.0.iter().map(|(s, p)| (plugin(s), ConstGauge::new(p.memory_bytes as i64))),
        )?;
        family(
            &mut e,
            "owncast_plugin_kv_keys",
            "Keys in the plugin's KV namespace.",
            MetricType::Gauge,
            self.0.iter().map(|(s, p)| (plugin(s), ConstGauge::new(p.kv.keys as i64))),
        )?;
        family(
            &mut e,
            "owncast_plugin_kv_bytes",
            "Bytes of keys and values in the plugin's KV namespace.",
            MetricType::Gauge,
            self.0.iter().map(|(s, p)| (plugin(s), ConstGauge::new(p.kv.bytes as i64))),
        )?;
        family(
            &mut e,
            "owncast_plugin_http_out_requests",
            "Outgoing HTTP requests the plugin made.",
            MetricType::Counter,
            self.0.iter().map(|(s, p)| (plugin(s), ConstCounter::new(p.http_out.requests))),
        )?;
        family(
            &mut e,
            "owncast_plugin_http_out_denied",
            "Outgoing HTTP requests the host refused (permission or allowed hosts).",
            MetricType::Counter,
            self.0.iter().map(|(s, p)| (plugin(s), ConstCounter::new(p.http_out.denied))),
        )?;
        if !self.0.is_empty() {
            let mut m = e.encode_descriptor(
                "owncast_plugin_call_duration_seconds",
                "Guest call latency.",
                None,
                MetricType::Histogram,
            )?;
            for (s, p) in &self.0 {
                // Per-bucket counts, as prometheus-client's own histogram keeps them.
                let buckets: Vec<(f64, u64)> =
                    p.latency.buckets.iter().map(|(b, n)| (b.map(|ms| ms / 1000.0).unwrap_or(f64::MAX), *n)).collect();
                let labels = plugin(s);
                m.encode_family(&labels)?.encode_histogram::<Labels>(
                    p.latency.sum_ms / 1000.0,
                    p.latency.count,
                    &buckets,
                    None,
                )?;
            }
        }
        Ok(())
    }
}

/// The Prometheus text exposition of these plugins' snapshots.
pub fn encode_text(snapshots: Vec<(String, PluginSnapshot)>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshots(snapshots)));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry).expect("writing to a String does not fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_quantiles() {
        let m = PluginMetrics::default();
        for _ in 0..98 {
            m.call(CallKind::Filter, Duration::from_micros(80), Ok(Some(Outcome::Pass)));
        }
        m.call(CallKind::Filter, Duration::from_millis(3), Ok(Some(Outcome::Drop)));
        m.call(CallKind::Event, Duration::from_millis(60), Err(&CallError::Timeout(Duration::from_millis(50))));
        m.http_request(false);
        m.http_request(true);
        let s = m.snapshot(1, KvUsage { keys: 2, bytes: 10 });
        assert_eq!(s.calls, ByKind { filter: 99, event: 1, http: 0 });
        assert_eq!(s.errors.event, 1);
        assert_eq!(s.timeouts.event, 1);
        assert_eq!(s.filter_outcomes, FilterOutcomes { pass: 98, modify: 0, drop: 1 });
        assert_eq!(s.latency.count, 100);
        assert_eq!(s.latency.p50_ms, Some(0.1));
        assert_eq!(s.latency.p99_ms, Some(5.0));
        assert_eq!(s.http_out, HttpOut { requests: 2, denied: 1 });

        let text = encode_text(vec![("echo".into(), s)]);
        assert!(text.contains("owncast_plugin_calls_total{plugin=\"echo\",kind=\"filter\"} 99"), "{text}");
        assert!(text.contains("owncast_plugin_call_duration_seconds_count{plugin=\"echo\"} 100"), "{text}");
        assert!(
            text.contains("owncast_plugin_call_duration_seconds_bucket{le=\"0.0001\",plugin=\"echo\"} 98"),
            "{text}"
        );
        assert!(text.contains("owncast_plugin_kv_keys{plugin=\"echo\"} 2"), "{text}");
        assert!(text.contains("owncast_plugin_http_out_denied_total{plugin=\"echo\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}

/// This process's memory by kind (Linux: `/proc/self/smaps_rollup`), for
/// figures of what loaded plugins cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessMemory {
    pub rss: u64,
    /// Proportional set size: a page mapped k times counts 1/k each time.
    pub pss: u64,
    /// Private anonymous memory (heap, dirtied linear memory and stacks).
    pub anonymous: u64,
}

/// The growth from one [`ProcessMemory`] to another, per plugin, in MiB.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MemoryPerPlugin {
    pub rss_mib: f64,
    pub pss_mib: f64,
    pub anonymous_mib: f64,
}

impl ProcessMemory {
    /// This process's resident set size in bytes now (Linux `/proc/self/statm`,
    /// cheaper than [`ProcessMemory::now`]: for sampling), else `None`.
    pub fn rss_now() -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }

    /// Now; `None` where `/proc/self/smaps_rollup` cannot be read.
    pub fn now() -> Option<ProcessMemory> {
        Self::parse(&std::fs::read_to_string("/proc/self/smaps_rollup").ok()?)
    }

    fn parse(text: &str) -> Option<ProcessMemory> {
        let mut m = ProcessMemory::default();
        for line in text.lines() {
            let mut it = line.split_whitespace();
            let (Some(key), Some(kb)) = (it.next(), it.next().and_then(|v| v.parse::<u64>().ok())) else { continue };
            match key {
                "Rss:" => m.rss = kb * 1024,
                "Pss:" => m.pss = kb * 1024,
                "Anonymous:" => m.anonymous = kb * 1024,
                _ => {}
            }
        }
        (m.rss > 0).then_some(m)
    }

    /// What `n` plugins added since `base`, each.
    pub fn per_plugin_since(self, base: ProcessMemory, n: usize) -> MemoryPerPlugin {
        let each = |a: u64, b: u64| a.saturating_sub(b) as f64 / n.max(1) as f64 / (1 << 20) as f64;
        MemoryPerPlugin {
            rss_mib: each(self.rss, base.rss),
            pss_mib: each(self.pss, base.pss),
            anonymous_mib: each(self.anonymous, base.anonymous),
        }
    }
}

#[cfg(test)]
mod process_memory_tests {
    use super::ProcessMemory;

    #[test]
    fn smaps_rollup_is_read_and_divided_per_plugin() {
        let text = "55d0-7ffe ---p 00000000 00:00 0 [rollup]\nRss:  4096 kB\nPss:  2048 kB\nAnonymous:  1024 kB\n";
        let m = ProcessMemory::parse(text).unwrap();
        assert_eq!((m.rss, m.pss, m.anonymous), (4 << 20, 2 << 20, 1 << 20));
        let per = m.per_plugin_since(ProcessMemory::default(), 2);
        assert_eq!((per.rss_mib, per.pss_mib, per.anonymous_mib), (2.0, 1.0, 0.5));
        assert!(ProcessMemory::parse("nothing").is_none());
        if cfg!(target_os = "linux") {
            assert!(ProcessMemory::now().unwrap().rss > 0);
            assert!(ProcessMemory::rss_now().unwrap() > 0);
        }
    }
}
