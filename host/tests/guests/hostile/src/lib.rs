//! A plugin that misbehaves on command, for the host's deadline, memory-cap,
//! parallelism and HTTP-failure tests.
//!
//! Chat filter (`chat.message.received`), by message body: `spin` loops
//! forever, `grow` allocates until memory runs out, `deep` recurses until the
//! stack overflows, `sleep` waits 10 s on a WASI clock (a host wait),
//! `fetch <url>` waits for an outgoing `wasi:http` request, `history` asks
//! the host for chat history (a slow Owncast callback in the tests),
//! `panic` panics (in `explode`, kept out of line); anything else passes.
//!
//! Notification `burn`: keeps a core busy for 100 ms (by the clock).
//!
//! HTTP: `/sleep?ms=N` waits N ms on a WASI clock, then answers; `/json`
//! parses the body as JSON and traps when it is not; `/trap` traps; `/big`
//! answers over the host's body cap; `/bad-status` answers status 99;
//! `/echo` answers with the request it received (the component's view of the
//! envelope); anything else answers `ok`.

use owncast_plugin::wasi::clocks::monotonic_clock;
use owncast_plugin::{chat_history, export_plugin, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse, Registration};

struct Hostile;

#[inline(never)]
#[allow(unconditional_recursion)]
fn deep(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 64]);
    pad[(n % 64) as usize] + deep(n + 1)
}

/// Panics with a message naming `what`: the host's error for the call must
/// carry the message and this function's name.
#[inline(never)]
fn explode(what: &str) -> FilterResult {
    let parts: Vec<&str> = what.split(' ').collect();
    panic!("hostile exploded on {:?} ({} parts)", std::hint::black_box(what), parts.len())
}

fn sleep_ms(ms: u64) {
    monotonic_clock::subscribe_duration(ms * 1_000_000).block();
}

fn burn_ms(ms: u64) {
    let start = monotonic_clock::now();
    let mut n = 0u64;
    while monotonic_clock::now() - start < ms * 1_000_000 {
        for _ in 0..1000 {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

/// A GET through `wasi:http/outgoing-handler`; the response status.
fn fetch(url: &str) -> Result<u16, String> {
    use owncast_plugin::wasi::http::outgoing_handler;
    use owncast_plugin::wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
    let (scheme, rest) = url.split_once("://").ok_or("no scheme")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let req = OutgoingRequest::new(Fields::new());
    req.set_method(&Method::Get).map_err(|_| "method")?;
    req.set_scheme(Some(&if scheme == "https" { Scheme::Https } else { Scheme::Http })).map_err(|_| "scheme")?;
    req.set_authority(Some(authority)).map_err(|_| "authority")?;
    req.set_path_with_query(Some(path)).map_err(|_| "path")?;
    let body = req.body().map_err(|_| "body")?;
    let pending = outgoing_handler::handle(req, None).map_err(|e| format!("{e:?}"))?;
    OutgoingBody::finish(body, None).map_err(|e| format!("{e:?}"))?;
    pending.subscribe().block();
    let resp = pending.get().ok_or("no response")?.map_err(|_| "taken")?.map_err(|e| format!("{e:?}"))?;
    Ok(resp.status())
}

fn text(status: u16, body: String) -> HttpResponse {
    HttpResponse { status, headers: vec![], body }
}

impl Guest for Hostile {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(event: Event) {
        if let Event::Custom(c) = event {
            if c.event_type == "burn" {
                burn_ms(100);
            }
        }
    }

    fn on_filter(event: Event) -> FilterResult {
        let Event::ChatMessageReceived(m) = event else { return FilterResult::Pass };
        match m.body.as_str() {
            "spin" => {
                let mut n = 0u64;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "deep" => FilterResult::Drop(deep(0).to_string()),
            "sleep" => {
                sleep_ms(10_000);
                FilterResult::Drop("woke up".into())
            }
            "history" => FilterResult::Drop(format!("{} messages", chat_history::history(10).len())),
            "panic" => explode(&m.body),
            body => match body.strip_prefix("fetch ") {
                Some(url) => FilterResult::Drop(format!("fetched: {:?}", fetch(url))),
                None => FilterResult::Pass,
            },
        }
    }

    fn on_http_request(request: HttpRequest) -> HttpResponse {
        let pairs = |list: &[(String, String)]| -> serde_json::Map<String, serde_json::Value> {
            list.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect()
        };
        match request.path.trim_start_matches('/') {
            "sleep" => {
                let ms = request.query.iter().find(|(k, _)| k == "ms").and_then(|(_, v)| v.parse().ok()).unwrap_or(1000);
                sleep_ms(ms);
                text(200, format!("slept {ms} ms"))
            }
            "json" => match serde_json::from_str::<serde_json::Value>(&request.body) {
                Ok(v) => text(200, v.to_string()),
                Err(e) => panic!("the body is not JSON: {e}"),
            },
            "trap" => std::process::abort(),
            "big" => text(200, "x".repeat((10 << 20) + 1)),
            "echo" => text(
                200,
                serde_json::json!({
                    "method": request.method,
                    "path": request.path,
                    "query": pairs(&request.query),
                    "headers": pairs(&request.headers),
                    "body": request.body,
                    "remoteAddr": request.remote_addr,
                    "authenticated": request.authenticated,
                })
                .to_string(),
            ),
            "bad-status" => text(99, "?".into()),
            _ => text(200, "ok".into()),
        }
    }
}

export_plugin!(Hostile);
