//! Dispatch: notifications fan out in parallel (each call on its own task);
//! filter chains run in priority order, each filter seeing the previous
//! one's output, failing open; emitted events re-enter one level deeper, up
//! to the depth cap; consecutive failures of filters and notifications earn
//! strikes until the plugin is disabled. HTTP handler failures (anyone can
//! cause them) never strike: a route that keeps failing is backed off.

use crate::call::{Filter, Http, Notify};
pub use crate::call::{NoObserver, Observer};
use crate::commands::{self, ChatLine};
use crate::event::{Event, Verdict};
use crate::host::{Host, LoadedPlugin};
use crate::owncast::{Caller, ChatSend};
use crate::permissions::Permission;
use crate::plugin::CallError;
use crate::services::auth_gate::{AuthVerdict, Session, SESSION_COOKIE};
use crate::services::timer::{Fire, MAX_FIRES_PER_ADVANCE};
use crate::types::User;
use crate::types::{HttpRequest, HttpResponse};
use futures::future::{join_all, BoxFuture};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The event of an accepted chat message.
const CHAT_MESSAGE_RECEIVED: &str = "chat.message.received";

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

impl Host {
    /// Enabled plugins subscribed to `event_type` as notifications.
    fn notify_targets(&self, event_type: &str) -> Vec<Arc<LoadedPlugin>> {
        self.route(event_type, false).iter().filter(|p| p.is_enabled()).cloned().collect()
    }

    /// The filter chain for `event_type`, lowest priority first (slug breaks ties).
    pub fn filter_chain(&self, event_type: &str) -> Vec<Arc<LoadedPlugin>> {
        self.route(event_type, true).iter().filter(|p| p.is_enabled()).cloned().collect()
    }

    /// Fans a notification out to every subscriber, concurrently; then the
    /// events they emitted, one level deeper. Returns when all have run.
    ///
    /// A `chat.message.received` notification is how Owncast hands over a
    /// chat message its filters accepted: after the fan-out the message runs
    /// the plugins' chat commands and the built-in `!help`
    /// ([`Host::run_chat_commands`]).
    pub async fn notify(&self, event: &Event) {
        self.notify_at(event.clone(), 0).await;
        if event.event_type() == CHAT_MESSAGE_RECEIVED {
            self.run_chat_commands(event).await;
        }
    }

    /// Matches an accepted chat message against every enabled plugin's
    /// declared commands and delivers each match to its plugin's `on_event`
    /// as `chat.command`, concurrently (duplicates all run; a mod-only command
    /// from a non-moderator, one cooling down and an unknown one are silent);
    /// answers `!help` with a system message listing the commands. Messages
    /// from bots run nothing. Returns how many commands were delivered.
    pub async fn run_chat_commands(&self, message: &Event) -> usize {
        let plugins: Vec<_> = self.plugins().into_iter().filter(|p| p.is_enabled() && !p.commands.is_empty()).collect();
        if plugins.is_empty() {
            // Nothing to run and nothing for `!help` to list.
            return 0;
        }
        let Some(line) = ChatLine::read(&message.payload_json()) else { return 0 };
        if line.bot {
            return 0;
        }
        let mut targets = Vec::new();
        for p in &plugins {
            for c in &p.commands {
                let Some(inv) = commands::match_command(&line.body, c) else { continue };
                if !commands::allowed(&line, c) || !p.cooldowns.lock().unwrap().ready(&line, c) {
                    continue;
                }
                let payload = commands::command_payload(message.payload_text(), &inv);
                targets.push((p.slug().to_string(), Event::from_text(commands::CHAT_COMMAND, &payload)));
            }
        }
        let delivered = join_all(targets.iter().map(|(slug, e)| self.deliver(slug, e))).await;
        if commands::is_help(&line.body) {
            let listed = plugins.iter().map(|p| (p.manifest.name.as_str(), p.commands.as_slice()));
            if let Some(html) = commands::help_html(listed, line.moderator) {
                self.services().owncast.send_chat(&Caller::HOST, ChatSend::System { html });
            }
        }
        delivered.into_iter().filter(|d| *d).count()
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
        match self.get(slug) {
            Some(p) if p.notifies(event.event_type()) => self.deliver(slug, event).await,
            _ => false,
        }
    }

    /// Delivers an event to one enabled plugin's `on_event` whether it
    /// subscribes or not (a `timer.fire` to the timer's owner); returns
    /// whether it was called. Events it emits fan out as usual.
    pub async fn deliver(&self, slug: &str, event: &Event) -> bool {
        let Some(p) = self.get(slug) else { return false };
        if !p.is_enabled() {
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

    /// Fans out what one call of plugin `from` emitted.
    pub(crate) async fn dispatch_emitted_from(&self, from: &str, emitted: Vec<Event>) {
        if !emitted.is_empty() {
            self.dispatch_emitted(vec![(from.to_string(), emitted)], 0).await;
        }
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
        let chain = self.route(event.event_type(), true);
        let mut current = event;
        let mut steps = Vec::with_capacity(chain.len());
        let mut emitted = Vec::new();
        let mut dropped = None;
        for p in chain.iter().filter(|p| p.is_enabled()) {
            let (result, em) = p.call(Filter(current.clone())).await;
            if !em.is_empty() {
                emitted.push((p.slug().to_string(), em));
            }
            self.account(p, "on_filter", &result);
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
        if !emitted.is_empty() {
            self.dispatch_emitted(emitted, 0).await;
        }
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
            error if error.is_busy() => HttpDispatchError::Busy { slug: slug.to_string(), error },
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
        self.account_unstruck(p, "on_http_request", route, result)
    }

    /// Accounting of calls anyone can cause (HTTP handlers, page content):
    /// failures are counted and kept as the last error (for the admin), and
    /// back off `route` after `max_strikes` in a row; strikes are not touched.
    pub(crate) fn account_unstruck<T>(&self, p: &LoadedPlugin, what: &str, route: &str, result: &Result<T, CallError>) {
        let threshold = self.runtime().limits().max_strikes;
        let mut h = p.health.lock().unwrap();
        h.calls += 1;
        match result {
            Err(e) if e.is_busy() => {
                h.busy += 1;
                tracing::warn!(plugin = %p.slug(), route, "{what} refused: {e}");
            }
            Ok(_) => p.routes.lock().unwrap().record(route, true, threshold, Instant::now()),
            Err(e) => {
                h.http_failures += 1;
                h.last_error = Some(format!("{what}: {e}"));
                h.last_error_at_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_millis() as u64);
                tracing::warn!(plugin = %p.slug(), route, "{what} failed: {e}");
                self.observer.failed(p.slug(), what, e);
                p.routes.lock().unwrap().record(route, false, threshold, Instant::now());
            }
        }
    }
}

impl Host {
    async fn fire(&self, fire: &Fire) {
        self.deliver(&fire.slug, &fire.event()).await;
        let timers = &self.services().timers;
        timers.finish(fire, timers.now());
    }

    /// Drives real-clock timers from a background task until the host is
    /// dropped (the server starts it; calling it again does nothing).
    pub fn start_timers(self: &Arc<Self>) {
        let timers = self.services().timers.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("timers not started: no tokio runtime");
            return;
        };
        if timers.is_manual() || timers.driving.swap(true, Ordering::SeqCst) {
            return;
        }
        let host = Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                let Some(h) = host.upgrade() else { return };
                while let Some(fire) = timers.take_due(timers.now()) {
                    let h = h.clone();
                    tokio::spawn(async move { h.fire(&fire).await });
                }
                drop(h);
                // Wake for the next due timer, a change, or at least every
                // second to notice the host is gone.
                let wait = timers.next_due().map(|d| d.saturating_sub(timers.now())).unwrap_or(1000).min(1000);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    _ = timers.changed.notified() => {}
                }
            }
        });
    }

    /// Moves a manual clock `ms` forward, delivering every timer that falls
    /// due on the way in order (a repeating one as often as it falls due);
    /// returns how many fired.
    pub async fn advance_timers(&self, ms: u64) -> Result<usize, String> {
        let timers = self.services().timers.clone();
        if !timers.is_manual() {
            return Err("the host's timers run on the real clock".into());
        }
        let target = timers.now().saturating_add(ms);
        let mut fired = 0;
        while let Some(due) = timers.next_due().filter(|d| *d <= target) {
            if fired >= MAX_FIRES_PER_ADVANCE {
                return Err(format!("more than {MAX_FIRES_PER_ADVANCE} timer fires in {ms} ms"));
            }
            timers.timers.lock().unwrap().manual_now = due;
            let fire = timers.take_due(due).expect("a timer is due");
            self.fire(&fire).await;
            fired += 1;
        }
        timers.timers.lock().unwrap().manual_now = target;
        Ok(fired)
    }
}

impl Host {
    /// The enabled plugin holding `auth.gate`, if any.
    pub fn gate(&self) -> Option<std::sync::Arc<crate::host::LoadedPlugin>> {
        self.plugins().into_iter().find(|p| p.is_enabled() && p.grants().contains(Permission::AuthGate))
    }

    /// The valid session in a `Cookie` header value, if it was granted by the
    /// gate plugin loaded now.
    pub fn session(&self, cookie_header: &str) -> Option<Session> {
        let token =
            cookie_header.split(';').filter_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('=')).next()?;
        let s = self.services().sessions.verify(token)?;
        self.gate().filter(|g| g.slug() == s.plugin).map(|_| s)
    }

    /// Asks the gate plugin to re-validate `user`'s session (`on_auth_check`).
    /// `ok` when there is no gate, it has no `on_auth_check`, or the call fails
    /// (a broken gate is reported, not allowed to lock every viewer out).
    pub async fn auth_check(&self, user: Option<&User>) -> Result<AuthVerdict, String> {
        let Some(gate) = self.gate() else { return Ok(AuthVerdict::ok()) };
        let input = serde_json::json!({ "user": user });
        match gate.call(crate::call::AuthCheck(input)).await.0 {
            Ok(None) => Ok(AuthVerdict::ok()),
            Ok(Some(v)) => {
                let verdict: AuthVerdict = serde_json::from_value(v.clone())
                    .map_err(|e| format!("plugin {}: on_auth_check returned {v}: {e}", gate.slug()))?;
                if !["ok", "refresh", "deny"].contains(&verdict.action.as_str()) {
                    return Err(format!(
                        "plugin {}: on_auth_check action \"{}\" is not ok, refresh or deny",
                        gate.slug(),
                        verdict.action
                    ));
                }
                Ok(verdict)
            }
            Err(e) => Err(format!("plugin {}: on_auth_check failed: {e}", gate.slug())),
        }
    }
}
