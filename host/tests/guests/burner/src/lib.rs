//! A second plugin for the parallel fan-out test (with `hostile`): the
//! notification `burn` keeps a core busy for 100 ms, by the clock.

use owncast_plugin::wasi::clocks::monotonic_clock;
use owncast_plugin::{export_plugin, http, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse, Registration};

struct Burner;

impl Guest for Burner {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(event: Event) {
        if matches!(&event, Event::Custom(c) if c.event_type == "burn") {
            let start = monotonic_clock::now();
            let mut n = 0u64;
            while monotonic_clock::now() - start < 100_000_000 {
                for _ in 0..1000 {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
        }
    }

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(Burner);
