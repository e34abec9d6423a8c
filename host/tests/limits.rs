//! Deadlines and memory caps on a real component that misbehaves on command.

mod common;

use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::types::{ChatMessage, Event};
use owncast_plugin_host::{Host, Limits, Runtime, RuntimeConfig};
use std::time::{Duration, Instant};

fn msg(body: &str) -> Event {
    Event::ChatMessageReceived(ChatMessage { body: body.into(), ..Default::default() })
}

async fn hostile_host(limits: Limits) -> Option<Host> {
    let bundle = common::test_guest("hostile")?;
    let rt = Runtime::new(RuntimeConfig { limits, max_instances: 8, ..Default::default() }).unwrap();
    let h = Host::builder().runtime(rt).build().unwrap();
    h.load(bundle).await.unwrap();
    Some(h)
}

fn failure(out: &owncast_plugin_host::dispatcher::FilterOutcome) -> String {
    match &out.steps[0].result {
        StepResult::Failed(e) => e.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_filter_is_stopped_at_its_deadline_and_the_next_call_gets_a_fresh_instance() {
    let Some(h) = hostile_host(Limits::default()).await else { return };
    let start = Instant::now();
    let out = h.filter(msg("spin")).await;
    let took = start.elapsed();
    assert!(out.dropped.is_none(), "fails open");
    assert!(failure(&out).contains("timed out after 50ms"), "{}", failure(&out));
    assert!(took < Duration::from_secs(2), "stopped near its 50 ms deadline, not left running ({took:?})");
    let out = h.filter(msg("hello")).await;
    assert_eq!(out.steps[0].result, StepResult::Pass, "a fresh instance answers the next call");
    assert_eq!(h.get("hostile").unwrap().health().strikes, 0);
}

#[tokio::test]
async fn memory_is_capped_per_instance() {
    let limits = Limits { memory_bytes: 16 << 20, ..Limits::default() };
    let Some(h) = hostile_host(limits).await else { return };
    let out = h.filter(msg("grow")).await;
    let err = failure(&out);
    assert!(err.contains("trapped"), "{err}");
    assert_eq!(h.filter(msg("hello")).await.steps[0].result, StepResult::Pass);
}

#[tokio::test]
async fn a_stack_overflow_traps_without_hurting_the_host() {
    let Some(h) = hostile_host(Limits::default()).await else { return };
    let out = h.filter(msg("deep")).await;
    assert!(failure(&out).contains("trapped"), "{}", failure(&out));
    assert_eq!(h.filter(msg("hello")).await.steps[0].result, StepResult::Pass);
}
