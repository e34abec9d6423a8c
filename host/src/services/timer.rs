//! `timer` — no permission (upstream's ambient `owncast_timer_set`,
//! `owncast_timer_clear`): the sandbox has no `setTimeout`, so a plugin asks
//! the host to call it back. When timer `id` falls due the host delivers a
//! `timer.fire` event (payload `{"id": id}`) to that plugin's `on_event`,
//! subscribed or not. Timers live in memory: capped per plugin, delays
//! clamped to [`MIN_DELAY_MS`]..=[`MAX_DELAY_MS`], cancelled when the plugin
//! is unloaded or replaced. A repeating timer is re-armed only after its
//! callback returned, so a slow callback cannot pile fires up.
//!
//! The hub also keeps each plugin's `tick`: a plugin subscribed to the
//! `tick` event (upstream's `onTick`) gets it about once a second, payload
//! `{"now": <wall-clock ms>}`, independent of its own timers and outside
//! their cap. Ticks run on the real clock only: a scenario sends `tick`
//! events as steps, so its results do not depend on how long it runs.
//!
//! The clock is real (the server drives it with [`Host::start_timers`]) or
//! manual (scenario tests move it with [`Host::advance_timers`]).

use crate::event::Event;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Instant;

/// Pending timers one plugin may have (upstream's `DefaultMaxTimersPerPlugin`).
pub const MAX_TIMERS_PER_PLUGIN: usize = 64;
/// Shorter delays are raised to this (upstream's `DefaultMinTimerDelay`).
pub const MIN_DELAY_MS: u64 = 100;
/// Longer delays are cut to this: one day (upstream's `maxTimerDelayMs`).
pub const MAX_DELAY_MS: u64 = 24 * 60 * 60 * 1000;
/// The event a due timer delivers; plugins cannot emit it.
pub const TIMER_FIRE: &str = "timer.fire";
/// The event subscribed plugins get about once a second; plugins cannot emit it.
pub const TICK: &str = "tick";
/// How often a subscribed plugin gets [`TICK`] (upstream: about once a second).
pub const TICK_INTERVAL_MS: u64 = 1000;
/// Fires one [`Host::advance_timers`] call may deliver before it gives up.
pub const MAX_FIRES_PER_ADVANCE: usize = 10_000;

/// The `timer.fire` event for timer `id`.
pub fn fire_event(id: u64) -> Event {
    Event::new(TIMER_FIRE, &serde_json::json!({ "id": id }))
}

/// The `tick` event at wall-clock time `now_ms`.
pub fn tick_event(now_ms: u64) -> Event {
    Event::new(TICK, &serde_json::json!({ "now": now_ms }))
}

/// Which of a plugin's timers: one it armed, or the host's tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerId {
    Plugin(u64),
    Tick,
}

impl Fire {
    /// The event this fire delivers.
    pub fn event(&self) -> Event {
        match self.id {
            TimerId::Plugin(id) => fire_event(id),
            TimerId::Tick => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                tick_event(now.as_millis() as u64)
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// Due time on the hub's clock (ms); `None` while its fire is being delivered.
    due: Option<u64>,
    delay: u64,
    repeat: bool,
    /// Which arming this is: a re-`set` during delivery is a new timer.
    seq: u64,
}

/// One due timer taken for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Fire {
    pub slug: String,
    pub id: TimerId,
    seq: u64,
}

#[derive(Default)]
pub(crate) struct Timers {
    entries: BTreeMap<(String, TimerId), Entry>,
    seq: u64,
    /// The manual clock's time (ms).
    pub(crate) manual_now: u64,
}

/// Every plugin's pending timers.
pub struct TimerHub {
    pub(crate) timers: Mutex<Timers>,
    /// `None`: a manual clock.
    pub(crate) started: Option<Instant>,
    pub(crate) changed: tokio::sync::Notify,
    pub(crate) driving: AtomicBool,
    pub max_per_plugin: usize,
}

impl Default for TimerHub {
    fn default() -> Self {
        TimerHub::real()
    }
}

impl TimerHub {
    /// Timers on the wall clock.
    pub fn real() -> Self {
        TimerHub {
            timers: Mutex::default(),
            started: Some(Instant::now()),
            changed: Default::default(),
            driving: AtomicBool::new(false),
            max_per_plugin: MAX_TIMERS_PER_PLUGIN,
        }
    }

    /// Timers on a clock that moves only by [`TimerHub::advance_to`].
    pub fn manual() -> Self {
        TimerHub { started: None, ..TimerHub::real() }
    }

    pub fn is_manual(&self) -> bool {
        self.started.is_none()
    }

    /// The hub's clock, in ms.
    pub fn now(&self) -> u64 {
        match self.started {
            Some(t) => t.elapsed().as_millis() as u64,
            None => self.timers.lock().unwrap().manual_now,
        }
    }

    /// Arms (or re-arms) timer `id` of `slug`; `false` when the plugin already
    /// has its maximum pending and `id` is not one of them.
    pub fn set(&self, slug: &str, id: u64, delay_ms: u64, repeat: bool) -> bool {
        let delay = delay_ms.clamp(MIN_DELAY_MS, MAX_DELAY_MS);
        let now = self.now();
        let mut t = self.timers.lock().unwrap();
        let key = (slug.to_string(), TimerId::Plugin(id));
        if !t.entries.contains_key(&key) && Self::armed_by(&t, slug) >= self.max_per_plugin {
            return false;
        }
        t.seq += 1;
        let seq = t.seq;
        t.entries.insert(key, Entry { due: Some(now + delay), delay, repeat, seq });
        drop(t);
        self.changed.notify_one();
        true
    }

    /// Starts `slug`'s tick (on the real clock only; nothing if it runs).
    pub fn start_tick(&self, slug: &str) {
        if self.is_manual() {
            return;
        }
        let now = self.now();
        let mut t = self.timers.lock().unwrap();
        t.seq += 1;
        let seq = t.seq;
        let entry = Entry { due: Some(now + TICK_INTERVAL_MS), delay: TICK_INTERVAL_MS, repeat: true, seq };
        t.entries.entry((slug.to_string(), TimerId::Tick)).or_insert(entry);
        drop(t);
        self.changed.notify_one();
    }

    /// Cancels timer `id` of `slug` (nothing if it is not pending).
    pub fn clear(&self, slug: &str, id: u64) {
        self.timers.lock().unwrap().entries.remove(&(slug.to_string(), TimerId::Plugin(id)));
    }

    fn armed_by(t: &Timers, slug: &str) -> usize {
        t.entries.keys().filter(|(s, id)| s == slug && matches!(id, TimerId::Plugin(_))).count()
    }

    /// Cancels every timer of `slug`.
    pub fn cancel_plugin(&self, slug: &str) {
        self.timers.lock().unwrap().entries.retain(|(s, _), _| s != slug);
    }

    /// Timers `slug` has armed and pending (its tick not counted).
    pub fn pending(&self, slug: &str) -> usize {
        Self::armed_by(&self.timers.lock().unwrap(), slug)
    }

    /// Whether `slug`'s tick runs.
    pub fn ticking(&self, slug: &str) -> bool {
        self.timers.lock().unwrap().entries.contains_key(&(slug.to_string(), TimerId::Tick))
    }

    pub(crate) fn next_due(&self) -> Option<u64> {
        self.timers.lock().unwrap().entries.values().filter_map(|e| e.due).min()
    }

    /// Takes the earliest timer due at or before `now` for delivery.
    pub(crate) fn take_due(&self, now: u64) -> Option<Fire> {
        let mut t = self.timers.lock().unwrap();
        let (key, e) = t
            .entries
            .iter_mut()
            .filter(|(_, e)| e.due.is_some_and(|d| d <= now))
            .min_by_key(|(_, e)| (e.due, e.seq))?;
        e.due = None;
        Some(Fire { slug: key.0.clone(), id: key.1, seq: e.seq })
    }

    /// After `fire` was delivered: a repeating timer runs again `delay` from
    /// `now`, a one-shot is gone. A timer cleared or re-set meanwhile is left alone.
    pub(crate) fn finish(&self, fire: &Fire, now: u64) {
        let mut t = self.timers.lock().unwrap();
        let key = (fire.slug.clone(), fire.id);
        match t.entries.get_mut(&key) {
            Some(e) if e.seq == fire.seq && e.repeat => e.due = Some(now + e.delay),
            Some(e) if e.seq == fire.seq => {
                t.entries.remove(&key);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_clamps_and_orders() {
        let hub = TimerHub { max_per_plugin: 2, ..TimerHub::manual() };
        assert!(hub.set("p", 1, 0, false));
        assert!(hub.set("p", 2, 500, true));
        assert!(!hub.set("p", 3, 500, false), "third timer refused");
        assert!(hub.set("p", 1, 50, false), "re-arming an existing id is not a new timer");
        assert!(hub.set("q", 3, 500, false), "the cap is per plugin");
        assert_eq!(hub.next_due(), Some(MIN_DELAY_MS), "a delay under the minimum is raised");
        let f = hub.take_due(100).unwrap();
        assert_eq!((f.slug.as_str(), f.id), ("p", TimerId::Plugin(1)));
        assert_eq!(hub.take_due(100), None, "nothing else is due yet");
        hub.finish(&f, 100);
        assert_eq!(hub.pending("p"), 1, "a one-shot is gone after its fire");
        let f = hub.take_due(500).unwrap();
        hub.finish(&f, 500);
        assert_eq!(hub.next_due(), Some(500), "q's timer is next");
        hub.clear("q", 3);
        assert_eq!(hub.next_due(), Some(1000), "the repeating timer runs again 500 ms after its fire");
        hub.set("p", 9, u64::MAX, false);
        assert!(hub.timers.lock().unwrap().entries[&("p".to_string(), TimerId::Plugin(9))].delay == MAX_DELAY_MS);
        hub.cancel_plugin("p");
        assert_eq!(hub.pending("p"), 0);
        assert_eq!(hub.next_due(), None);
    }

    #[test]
    fn ticks_repeat_outside_the_cap_and_only_on_the_real_clock() {
        let manual = TimerHub::manual();
        manual.start_tick("p");
        assert!(!manual.ticking("p"), "a scenario's manual clock sends no ticks");

        let hub = TimerHub { max_per_plugin: 1, ..TimerHub::real() };
        hub.start_tick("p");
        hub.start_tick("p");
        assert!(hub.ticking("p"));
        assert_eq!(hub.pending("p"), 0, "the tick is not one of the plugin's timers");
        assert!(hub.set("p", 1, 5000, false), "nor does it take a place under the cap");
        let due = hub.next_due().unwrap();
        assert!(due <= hub.now() + TICK_INTERVAL_MS);
        let f = hub.take_due(due).unwrap();
        assert_eq!(f.id, TimerId::Tick);
        let ev = f.event();
        assert_eq!(ev.event_type(), TICK);
        assert!(ev.payload_json()["now"].as_u64().unwrap() > 1_600_000_000_000, "wall-clock ms");
        hub.finish(&f, due);
        assert!(hub.ticking("p"), "a tick repeats");
        hub.cancel_plugin("p");
        assert!(!hub.ticking("p"));
    }

    #[test]
    fn a_timer_re_set_during_its_fire_is_kept() {
        let hub = TimerHub::manual();
        hub.set("p", 1, 100, false);
        let f = hub.take_due(100).unwrap();
        hub.set("p", 1, 300, false);
        hub.finish(&f, 100);
        assert_eq!(hub.pending("p"), 1);
    }
}
