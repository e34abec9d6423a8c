//! A call into a plugin as the host makes it: the kinds of call
//! ([`GuestCall`]: what is sent, what comes back, the checks of the answer),
//! the observer of dispatch and the per-route health of HTTP handlers. Used by
//! [`crate::host`] (one deadline per call) and [`crate::dispatcher`] (chains,
//! fan-out, strikes); depends on neither.

use crate::context::CallScope;
use crate::event::{Event, Verdict};
use crate::metrics::Outcome;
use crate::plugin::{CallError, PluginInstance};
use crate::runtime::{CallKind, Limits};
use crate::types::{ContentRequest, HttpRequest, HttpResponse};
use crate::ui::{ContentHook, MAX_CONTRIBUTION_BYTES};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Hooks for watching dispatch (the demo prints them; tests record them).
pub trait Observer: Send + Sync + 'static {
    fn emitted(&self, _from: &str, _event: &Event, _depth: u32) {}
    fn delivered(&self, _to: &str, _event: &Event) {}
    fn failed(&self, _slug: &str, _what: &str, _error: &CallError) {}
    fn disabled(&self, _slug: &str, _reason: &str) {}
}

pub struct NoObserver;
impl Observer for NoObserver {}

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
    pub(crate) fn backing_off(&self, route: &str, now: Instant) -> Option<Duration> {
        let until = self.routes.get(route)?.until?;
        (until > now).then(|| until - now)
    }

    /// Records a result; after `threshold` failures in a row the route is
    /// backed off, doubling with each further failure.
    pub(crate) fn record(&mut self, route: &str, ok: bool, threshold: u32, now: Instant) {
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
    /// Runs just before the guest is called, on the call's scope.
    fn before(&self, _call: &mut CallScope) {}
    /// Runs just after, whatever the result (the call may amend it).
    fn after(&self, _call: &mut CallScope, _result: &mut Result<Self::Output, CallError>) {}
}

pub(crate) struct Notify(pub Event);
pub(crate) struct Filter(pub Event);
pub(crate) struct Http(pub HttpRequest);
/// The `auth.gate` plugin's `on_auth_check` (its JSON input).
pub(crate) struct AuthCheck(pub serde_json::Value);

impl GuestCall for AuthCheck {
    type Output = Option<serde_json::Value>;
    const KIND: CallKind = CallKind::Http;
    fn invoke<'a>(
        &'a self,
        instance: &'a mut dyn PluginInstance,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, CallError>> {
        instance.on_auth_check(&self.0)
    }
}

/// A page-content export (its request, for the tab and page-slot exports).
pub(crate) struct Content(pub ContentHook, pub Option<ContentRequest>);

impl GuestCall for Content {
    type Output = Option<String>;
    const KIND: CallKind = CallKind::Content;
    fn invoke<'a>(&'a self, instance: &'a mut dyn PluginInstance) -> BoxFuture<'a, Result<Option<String>, CallError>> {
        instance.content(self.0, self.1.as_ref())
    }
    /// What the page inlines has the size cap of a contributed file.
    fn check(&self, output: &Option<String>, _limits: &Limits) -> Result<(), CallError> {
        match output {
            Some(text) if text.len() as u64 > MAX_CONTRIBUTION_BYTES => Err(CallError::BadOutput(format!(
                "{}: returned {} bytes; the limit is {MAX_CONTRIBUTION_BYTES}",
                self.0.export(),
                text.len()
            ))),
            _ => Ok(()),
        }
    }
}

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
    /// `auth.gate`'s session calls are meaningful only inside `on_http_request`.
    fn before(&self, call: &mut CallScope) {
        call.begin_http();
    }
    /// The session cookie the plugin granted or ended goes on its response.
    fn after(&self, call: &mut CallScope, result: &mut Result<HttpResponse, CallError>) {
        let change = call.end_http();
        if let Ok(resp) = result {
            crate::services::auth_gate::apply_session(resp, change);
        }
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
