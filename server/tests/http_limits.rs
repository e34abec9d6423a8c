//! Busy plugins and failing HTTP handlers behind the server, on a real
//! component that misbehaves on command (host/tests/guests/hostile).

mod common;

use common::{failure, hostile_host, msg};
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::Limits;
use owncast_plugin_server::PluginServer;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Slow HTTP requests hold the plugin's one instance; a chat filter of the
/// same plugin fails open at its deadline instead of queueing behind them,
/// and requests beyond the waiting limit get 503 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_plugin_does_not_stall_the_chat_and_sheds_excess_requests() {
    let limits = Limits { http_deadline: Duration::from_secs(3), ..Limits::default() };
    let Some(h) = hostile_host(limits).await else { return };
    let h = Arc::new(h);
    let (_server, running) = common::serve(PluginServer::new(h.clone(), common::config())).await;
    let a = running.local_addr();
    let queue = h.runtime().limits().http_queue;
    // One request runs, `queue` wait.
    let mut slow = Vec::new();
    for _ in 0..=queue {
        slow.push(tokio::spawn(async move { common::get(a, "/plugins/hostile/sleep?ms=400").await.status }));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let start = Instant::now();
    let out = h.filter(msg("hello")).await;
    let took = start.elapsed();
    assert!(failure(&out).contains("busy"), "{}", failure(&out));
    assert!(took < Duration::from_millis(400), "the filter gave up at its deadline ({took:?})");
    let start = Instant::now();
    let r = common::get(a, "/plugins/hostile/sleep?ms=400").await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert!(start.elapsed() < Duration::from_millis(300), "refused at once ({:?})", start.elapsed());
    for s in slow {
        assert_eq!(s.await.unwrap(), 200, "the waiting requests are served in turn");
    }
    let health = h.get("hostile").unwrap().health();
    assert_eq!((health.strikes, health.failures, health.http_failures), (0, 0, 0));
    assert!(health.busy >= 2, "{health:?}");
    assert_eq!(h.filter(msg("hello")).await.steps[0].result, StepResult::Pass);
}

/// Anonymous requests that make the HTTP handler fail (invalid JSON into the
/// handler, a trap, an answer over the cap or with an invalid status) get
/// 500/502 without the plugin's details, back the route off, and never
/// disable the plugin or its filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_http_handlers_never_disable_the_plugin() {
    let Some(h) = hostile_host(Limits::default()).await else { return };
    let h = Arc::new(h);
    let (_server, running) = common::serve(PluginServer::new(h.clone(), common::config())).await;
    let a = running.local_addr();
    let max = h.runtime().limits().max_strikes;
    let mut backed_off = std::collections::BTreeMap::new();
    for round in 0..(3 * max) {
        for (path, body, status, error) in [
            ("json", "{not json", 500, "plugin `hostile` failed to handle the request"),
            ("trap", "", 500, "plugin `hostile` failed to handle the request"),
            ("big", "", 502, "plugin `hostile` answered with an invalid response"),
        ] {
            let r = common::request(a, "POST", &format!("/plugins/hostile/{path}"), &[], body.as_bytes()).await;
            if r.status == 503 {
                assert!(round >= max, "{path} #{round}: backed off only after {max} failures in a row");
                assert!(r.header("retry-after").is_some());
                *backed_off.entry(path).or_insert(0) += 1;
                continue;
            }
            // Past the threshold a request may still get through when a
            // back-off window expired (on a slow machine); it fails again.
            assert_eq!((r.status, r.error()), (status, error.to_string()), "{path} #{round}");
            assert!(
                !r.text().contains("wasm") && !r.text().contains("trap"),
                "no details for the client: {}",
                r.text()
            );
        }
        let r = common::get(a, "/plugins/hostile/bad-status").await;
        assert_eq!(r.status, 502);
        assert_eq!(h.filter(msg("hello")).await.steps[0].result, StepResult::Pass, "the filter stays on");
    }
    for path in ["json", "trap", "big"] {
        assert!(backed_off.get(path).copied().unwrap_or(0) >= max, "{path} was backed off: {backed_off:?}");
    }
    let health = h.get("hostile").unwrap().health();
    assert!(health.disabled.is_none(), "{:?}", health.disabled);
    assert_eq!(health.strikes, 0);
    assert!(health.http_failures >= 3 * max as u64 && health.http_failures < 3 * 3 * max as u64, "{health:?}");
    assert!(
        health.last_error.as_deref().unwrap_or_default().contains("on_http_request"),
        "kept for the admin: {:?}",
        health.last_error
    );
    assert_eq!(common::get(a, "/plugins/hostile/other").await.status, 200, "other routes still work");
}
