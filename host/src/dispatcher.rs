//! Dispatch: notifications fan out in parallel (each call on its own task);
//! filter chains run in priority order, each filter seeing the previous
//! one's output, failing open; emitted events re-enter one level deeper, up
//! to the depth cap; consecutive failures of filters and notifications earn
//! strikes until the plugin is disabled. HTTP handler failures (anyone can
//! cause them) never strike: a route that keeps failing is backed off.

use crate::event::{Event, Verdict};
use crate::host::{Host, LoadedPlugin};
use crate::metrics::Outcome;
use crate::permissions::Permission;
use crate::plugin::{CallError, PluginInstance};
use crate::runtime::{CallKind, Limits};
use crate::types::{HttpRequest, HttpResponse};
use futures::future::{join_all, BoxFuture};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What happened in one link of a filter chain.
#[derive(Debug, Clone, PartialEq)]
pub enum StepResult {
    Pass,
    Modified,
    Dropped(String),
    /// The filter failed and the chain went on as if it had passed.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct FilterStep {
    pub slug: String,
    pub result: StepResult,
}

/// The outcome of a filter chain.
#[derive(Debug, Clone)]
pub struct FilterOutcome {
    /// The event after the last filter that ran (the input if none changed it).
    pub event: Event,
    /// `(plugin, reason)` when a filter dropped the event.
    pub dropped: Option<(String, String)>,
    pub steps: Vec<FilterStep>,
}

/// Hooks for watching dispatch (the demo prints them; tests record them).
pub trait Observer: Send + Sync + 'static {
    fn emitted(&self, _from: &str, _event: &Event, _depth: u32) {}
    fn delivered(&self, _to: &str, _event: &Event) {}
    fn failed(&self, _slug: &str, _what: &str, _error: &CallError) {}
    fn disabled(&self, _slug: &str, _reason: &str) {}
}

pub struct NoObserver;
impl Observer for NoObserver {}

/// Why a request to a plugin's HTTP handler got no answer from it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpDispatchError {
    #[error("no plugin `{0}`")]
    NoSuchPlugin(String),
    #[error("plugin {0} is disabled")]
    Disabled(String),
    #[error("{0}")]
    NotServing(crate::context::HostCallError),
    /// The plugin was busy: too many requests were waiting for it, or this
    /// one could not start within its deadline.
    #[error("plugin {slug} is busy: {error}")]
    Busy { slug: String, error: CallError },
    /// The route failed too often in a row; it is not called until `retry_after` has passed.
    #[error("plugin {slug}: /{route} keeps failing; retry in {retry_after:?}")]
    BackingOff { slug: String, route: String, retry_after: Duration },
    /// The plugin exports no HTTP handler (answered 404 with an empty body).
    #[error("plugin {0} has no HTTP handler")]
    NoHandler(String),
    #[error("plugin {slug} failed: {error}")]
    Failed { slug: String, error: CallError },
}

/// Consecutive failures per HTTP route of one plugin, and their back-off.
#[derive(Default)]
pub struct RouteHealth {
    routes: HashMap<String, RouteState>,
}

struct RouteState {
    failures: u32,
    last_failure: Instant,
    until: Option<Instant>,
}

/// Routes remembered per plugin (anyone can invent paths: the oldest are forgotten).
const MAX_ROUTES: usize = 256;
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

impl RouteHealth {
    /// How long `route` is still backed off, if it is.
    fn backing_off(&self, route: &str, now: Instant) -> Option<Duration> {
        let until = self.routes.get(route)?.until?;
        (until > now).then(|| until - now)
    }

    /// Records a result; after `threshold` failures in a row the route is
    /// backed off, doubling with each further failure.
    fn record(&mut self, route: &str, ok: bool, threshold: u32, now: Instant) {
        if ok {
            self.routes.remove(route);
            return;
        }
        if !self.routes.contains_key(route) && self.routes.len() >= MAX_ROUTES {
            if let Some(oldest) = self.routes.iter().min_by_key(|(_, r)| r.last_failure).map(|(k, _)| k.clone()) {
                self.routes.remove(&oldest);
            }
        }
        let r =
            self.routes.entry(route.to_string()).or_insert(RouteState { failures: 0, last_failure: now, until: None });
        r.failures += 1;
        r.last_failure = now;
        if r.failures >= threshold {
            let doublings = (r.failures - threshold).min(6);
            r.until = Some(now + (BACKOFF_START * 2u32.pow(doublings)).min(BACKOFF_MAX));
        }
    }
}

/// One kind of call into a plugin: what it sends, what it gets back, and
/// the checks of the answer that apply whatever kind of code the plugin is
/// (so both kinds get the same consequence). Owned: a call runs on its own task.
pub(crate) trait GuestCall: Send + 'static {
    type Output: Send + 'static;
    const KIND: CallKind;
    fn invoke<'a>(&'a self, instance: &'a mut dyn PluginInstance) -> BoxFuture<'a, Result<Self::Output, CallError>>;
    fn check(&self, _output: &Self::Output, _limits: &Limits) -> Result<(), CallError> {
        Ok(())
    }
    /// The filter outcome an answer counts as in the plugin's metrics (filters only).
    fn outcome(_output: &Self::Output) -> Option<Outcome> {
        None
    }
}

pub(crate) struct Notify(pub Event);
pub(crate) struct Filter(pub Event);
pub(crate) struct Http(pub HttpRequest);

impl GuestCall for Notify {
    type Output = ();
    const KIND: CallKind = CallKind::Event;
    fn invoke<'a>(&'a self, instance: &'a mut dyn PluginInstance) -> BoxFuture<'a, Result<(), CallError>> {
        instance.on_event(&self.0)
    }
}

impl GuestCall for Filter {
    type Output = Verdict;
    const KIND: CallKind = CallKind::Filter;
    fn invoke<'a>(&'a self, instance: &'a mut dyn PluginInstance) -> BoxFuture<'a, Result<Verdict, CallError>> {
        instance.on_filter(&self.0)
    }
    fn outcome(output: &Verdict) -> Option<Outcome> {
        Some(match output {
            Verdict::Pass => Outcome::Pass,
            Verdict::Modify(_) => Outcome::Modify,
            Verdict::Drop(_) => Outcome::Drop,
        })
    }
    /// A filter may not change the event type.
    fn check(&self, output: &Verdict, _limits: &Limits) -> Result<(), CallError> {
        match output {
            Verdict::Modify(e) if e.event_type() != self.0.event_type() => Err(CallError::BadOutput(format!(
                "filter turned a `{}` event into `{}`",
                self.0.event_type(),
                e.event_type()
            ))),
            _ => Ok(()),
        }
    }
}

impl GuestCall for Http {
    type Output = HttpResponse;
    const KIND: CallKind = CallKind::Http;
    fn invoke<'a>(&'a self, instance: &'a mut dyn PluginInstance) -> BoxFuture<'a, Result<HttpResponse, CallError>> {
        instance.on_http_request(&self.0)
    }
    /// A response body has a size cap (upstream's 10 MiB).
    fn check(&self, output: &HttpResponse, limits: &Limits) -> Result<(), CallError> {
        if output.body.len() > limits.http_response_bytes {
            return Err(CallError::BadOutput(format!(
                "on_http_request: the response body is {} bytes; the limit is {}",
                output.body.len(),
                limits.http_response_bytes
            )));
        }
        Ok(())
    }
}

impl Host {
    /// Plugins subscribed to `event_type` as notifications.
    fn notify_targets(&self, event_type: &str) -> Vec<Arc<LoadedPlugin>> {
        self.plugins().into_iter().filter(|p| p.is_enabled() && p.notifies(event_type)).collect()
    }

    /// The filter chain for `event_type`, lowest priority first (slug breaks ties).
    pub fn filter_chain(&self, event_type: &str) -> Vec<Arc<LoadedPlugin>> {
        let mut chain: Vec<_> =
            self.plugins().into_iter().filter(|p| p.is_enabled() && p.filters(event_type)).collect();
        chain.sort_by_key(|p| (p.filter_priority(event_type), p.slug().to_string()));
        chain
    }

    /// Fans a notification out to every subscriber, concurrently; then the
    /// events they emitted, one level deeper. Returns when all have run.
    pub async fn notify(&self, event: &Event) {
        self.notify_at(event.clone(), 0).await
    }

    fn notify_at(&self, event: Event, depth: u32) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let targets = self.notify_targets(event.event_type());
            let calls = targets.iter().map(|p| async {
                let (result, emitted) = p.call(Notify(event.clone())).await;
                self.account(p, "on_event", &result);
                if result.is_ok() {
                    self.observer.delivered(p.slug(), &event);
                }
                (p.slug().to_string(), emitted)
            });
            let results = join_all(calls).await;
            self.dispatch_emitted(results, depth).await;
        })
    }

    /// Delivers a notification to one plugin only, if it is enabled and
    /// subscribes to the event (e.g. `sse.connect` to the channel's owner);
    /// returns whether it was called. Events it emits fan out as usual.
    pub async fn notify_plugin(&self, slug: &str, event: &Event) -> bool {
        let Some(p) = self.get(slug) else { return false };
        if !p.is_enabled() || !p.notifies(event.event_type()) {
            return false;
        }
        let (result, emitted) = p.call(Notify(event.clone())).await;
        self.account(&p, "on_event", &result);
        if result.is_ok() {
            self.observer.delivered(p.slug(), event);
        }
        self.dispatch_emitted(vec![(slug.to_string(), emitted)], 0).await;
        true
    }

    async fn dispatch_emitted(&self, emitted: Vec<(String, Vec<Event>)>, depth: u32) {
        for (from, events) in emitted {
            for e in events {
                if depth + 1 > self.runtime().limits().max_emit_depth {
                    tracing::warn!(
                        plugin = %from,
                        event = %e.event_type(),
                        "dropped emitted event: nesting deeper than {}",
                        self.runtime().limits().max_emit_depth
                    );
                    continue;
                }
                self.observer.emitted(&from, &e, depth + 1);
                self.notify_at(e, depth + 1).await;
            }
        }
    }

    /// Runs the filter chain for `event`.
    pub async fn filter(&self, event: Event) -> FilterOutcome {
        let chain = self.filter_chain(event.event_type());
        let mut current = event;
        let mut steps = Vec::new();
        let mut emitted = Vec::new();
        let mut dropped = None;
        for p in chain {
            let (result, em) = p.call(Filter(current.clone())).await;
            emitted.push((p.slug().to_string(), em));
            self.account(&p, "on_filter", &result);
            let step = match result {
                Ok(Verdict::Pass) => StepResult::Pass,
                Ok(Verdict::Modify(e)) => {
                    current = e;
                    StepResult::Modified
                }
                Ok(Verdict::Drop(reason)) => StepResult::Dropped(reason),
                Err(e) => StepResult::Failed(e.to_string()),
            };
            let stop = matches!(step, StepResult::Dropped(_));
            if let StepResult::Dropped(r) = &step {
                dropped = Some((p.slug().to_string(), r.clone()));
            }
            steps.push(FilterStep { slug: p.slug().to_string(), result: step });
            if stop {
                break;
            }
        }
        self.dispatch_emitted(emitted, 0).await;
        FilterOutcome { event: current, dropped, steps }
    }

    /// Sends a request to a plugin's `on_http_request`. Its failures are
    /// accounted apart from strikes: anonymous clients can cause them, and
    /// must not be able to disable the plugin's filters and notifications.
    pub async fn http_request(&self, slug: &str, req: &HttpRequest) -> Result<HttpResponse, HttpDispatchError> {
        let p = self.get(slug).ok_or_else(|| HttpDispatchError::NoSuchPlugin(slug.to_string()))?;
        if !p.is_enabled() {
            return Err(HttpDispatchError::Disabled(slug.to_string()));
        }
        p.context().require(Permission::HttpServe, "on_http_request").map_err(HttpDispatchError::NotServing)?;
        let route = req.path.clone();
        if let Some(retry_after) = p.routes.lock().unwrap().backing_off(&route, Instant::now()) {
            return Err(HttpDispatchError::BackingOff { slug: slug.to_string(), route, retry_after });
        }
        let (result, emitted) = p.call(Http(req.clone())).await;
        if let Err(CallError::MissingExport(_)) = result {
            // Not a failure: the plugin has no handler (a legacy module without
            // `on_http_request`).
            return Err(HttpDispatchError::NoHandler(slug.to_string()));
        }
        self.account_http(&p, &route, &result);
        self.dispatch_emitted(vec![(slug.to_string(), emitted)], 0).await;
        result.map_err(|error| match error {
            CallError::Busy(_) | CallError::QueueFull(_) => HttpDispatchError::Busy { slug: slug.to_string(), error },
            error => HttpDispatchError::Failed { slug: slug.to_string(), error },
        })
    }

    /// Strike accounting: a success clears the strikes; a failure adds one, and
    /// `max_strikes` in a row disables the plugin with the reason recorded.
    /// A call that could not start because the plugin was busy is not the
    /// plugin's failure: it is counted, not struck.
    fn account<T>(&self, p: &LoadedPlugin, what: &str, result: &Result<T, CallError>) {
        let max = self.runtime().limits().max_strikes;
        let mut h = p.health.lock().unwrap();
        h.calls += 1;
        match result {
            Ok(_) => h.strikes = 0,
            Err(e) if e.is_busy() => {
                h.busy += 1;
                tracing::warn!(plugin = %p.slug(), "{what} skipped: {e}");
                self.observer.failed(p.slug(), what, e);
            }
            Err(e) => {
                h.failures += 1;
                h.strikes += 1;
                h.last_error = Some(format!("{what}: {e}"));
                h.last_error_at_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_millis() as u64);
                tracing::warn!(plugin = %p.slug(), strikes = h.strikes, "{what} failed: {e}");
                self.observer.failed(p.slug(), what, e);
                if h.strikes >= max && h.disabled.is_none() {
                    let reason = format!("disabled after {max} consecutive failures; last: {what}: {e}");
                    tracing::error!(plugin = %p.slug(), "{reason}");
                    h.disabled = Some(reason.clone());
                    drop(h);
                    self.observer.disabled(p.slug(), &reason);
                }
            }
        }
    }

    /// HTTP handler accounting: failures are counted and kept as the last
    /// error (for the admin), and back off the route after `max_strikes` in
    /// a row; strikes are not touched either way.
    fn account_http<T>(&self, p: &LoadedPlugin, route: &str, result: &Result<T, CallError>) {
        let threshold = self.runtime().limits().max_strikes;
        let mut h = p.health.lock().unwrap();
        h.calls += 1;
        match result {
            Err(e) if e.is_busy() => {
                h.busy += 1;
                tracing::warn!(plugin = %p.slug(), route, "on_http_request refused: {e}");
            }
            Ok(_) => p.routes.lock().unwrap().record(route, true, threshold, Instant::now()),
            Err(e) => {
                h.http_failures += 1;
                h.last_error = Some(format!("on_http_request: {e}"));
                h.last_error_at_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_millis() as u64);
                tracing::warn!(plugin = %p.slug(), route, "on_http_request failed: {e}");
                self.observer.failed(p.slug(), "on_http_request", e);
                p.routes.lock().unwrap().record(route, false, threshold, Instant::now());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_route_backs_off_longer_each_time_and_a_success_clears_it() {
        let mut r = RouteHealth::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            r.record("fail", false, 5, t0);
        }
        assert_eq!(r.backing_off("fail", t0), None, "not before the threshold");
        r.record("fail", false, 5, t0);
        assert_eq!(r.backing_off("fail", t0), Some(BACKOFF_START));
        assert_eq!(r.backing_off("other", t0), None, "per route");
        r.record("fail", false, 5, t0);
        assert_eq!(r.backing_off("fail", t0), Some(2 * BACKOFF_START));
        for _ in 0..20 {
            r.record("fail", false, 5, t0);
        }
        assert_eq!(r.backing_off("fail", t0), Some(BACKOFF_MAX), "capped");
        assert_eq!(r.backing_off("fail", t0 + BACKOFF_MAX), None, "expires");
        r.record("fail", true, 5, t0);
        r.record("fail", false, 5, t0);
        assert_eq!(r.backing_off("fail", t0), None, "a success starts over");
    }

    #[test]
    fn invented_routes_do_not_grow_the_table_without_bound() {
        let mut r = RouteHealth::default();
        let t0 = Instant::now();
        for i in 0..(MAX_ROUTES * 4) {
            r.record(&format!("r{i}"), false, 5, t0 + Duration::from_millis(i as u64));
        }
        assert_eq!(r.routes.len(), MAX_ROUTES);
        assert!(r.routes.contains_key(&format!("r{}", MAX_ROUTES * 4 - 1)), "the newest are kept");
    }
}
