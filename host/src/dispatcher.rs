//! Dispatch: notifications fan out concurrently; filter chains run in
//! priority order, each filter seeing the previous one's output, failing
//! open; emitted events re-enter one level deeper, up to the depth cap;
//! consecutive failures of any kind of call earn strikes until the plugin is
//! disabled.

use crate::host::{Host, LoadedPlugin};
use crate::permissions::Permission;
use crate::plugin::CallError;
use crate::types::{Event, FilterResult, HttpRequest, HttpResponse};
use futures::future::{join_all, BoxFuture};
use std::sync::Arc;

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
    #[error("plugin {0} does not serve HTTP (permission http.serve)")]
    NotServing(String),
    #[error("plugin {slug} failed: {error}")]
    Failed { slug: String, error: CallError },
}

impl Host {
    /// Plugins subscribed to `event_type` as notifications.
    fn notify_targets(&self, event_type: &str) -> Vec<Arc<LoadedPlugin>> {
        self.plugins().into_iter().filter(|p| p.is_enabled() && p.notifies(event_type)).collect()
    }

    /// The filter chain for `event_type`, lowest priority first (slug breaks ties).
    pub fn filter_chain(&self, event_type: &str) -> Vec<Arc<LoadedPlugin>> {
        let mut chain: Vec<_> = self.plugins().into_iter().filter(|p| p.is_enabled() && p.filters(event_type)).collect();
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
                let (result, emitted) = p.on_event(&event, depth).await;
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
        let (result, emitted) = p.on_event(event, 0).await;
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
            let (result, em) = p.on_filter(&current, 0).await;
            emitted.push((p.slug().to_string(), em));
            self.account(&p, "on_filter", &result);
            let step = match result {
                Ok(FilterResult::Pass) => StepResult::Pass,
                Ok(FilterResult::Modify(e)) if e.event_type() == current.event_type() => {
                    current = e;
                    StepResult::Modified
                }
                Ok(FilterResult::Modify(e)) => {
                    let err = CallError::BadOutput(format!(
                        "filter turned a `{}` event into `{}`",
                        current.event_type(),
                        e.event_type()
                    ));
                    self.account(&p, "on_filter", &Err::<(), _>(err.clone()));
                    StepResult::Failed(err.to_string())
                }
                Ok(FilterResult::Drop(reason)) => StepResult::Dropped(reason),
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

    /// Sends a request to a plugin's `on_http_request`.
    pub async fn http_request(&self, slug: &str, req: &HttpRequest) -> Result<HttpResponse, HttpDispatchError> {
        let p = self.get(slug).ok_or_else(|| HttpDispatchError::NoSuchPlugin(slug.to_string()))?;
        if !p.is_enabled() {
            return Err(HttpDispatchError::Disabled(slug.to_string()));
        }
        if !p.grants().contains(Permission::HttpServe) {
            return Err(HttpDispatchError::NotServing(slug.to_string()));
        }
        let (result, emitted) = p.on_http_request(req).await;
        self.account(&p, "on_http_request", &result);
        self.dispatch_emitted(vec![(slug.to_string(), emitted)], 0).await;
        result.map_err(|error| HttpDispatchError::Failed { slug: slug.to_string(), error })
    }

    /// Strike accounting: a success clears the strikes; a failure adds one, and
    /// `max_strikes` in a row disables the plugin with the reason recorded.
    fn account<T>(&self, p: &LoadedPlugin, what: &str, result: &Result<T, CallError>) {
        let max = self.runtime().limits().max_strikes;
        let mut h = p.health.lock().unwrap();
        h.calls += 1;
        match result {
            Ok(_) => h.strikes = 0,
            Err(e) => {
                h.failures += 1;
                h.strikes += 1;
                h.last_error = Some(format!("{what}: {e}"));
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
}
