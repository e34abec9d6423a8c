//! A filter that misbehaves on command, for the host's deadline and memory-cap
//! tests: `spin` loops forever, `grow` allocates until memory runs out,
//! `deep` recurses until the stack overflows; anything else passes.

use owncast_plugin::{export_plugin, http, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse, Registration};

struct Hostile;

#[inline(never)]
#[allow(unconditional_recursion)]
fn deep(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 64]);
    pad[(n % 64) as usize] + deep(n + 1)
}

impl Guest for Hostile {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(_event: Event) {}

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
            _ => FilterResult::Pass,
        }
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(Hostile);
