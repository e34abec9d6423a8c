//! `bindgen!` output for the `plugin` world. The `types` interface maps onto
//! [`crate::types`]; WASI onto `wasmtime-wasi` and `wasmtime-wasi-http`.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    imports: { default: trappable },
    exports: { default: async },
    require_store_data_send: true,
    with: {
        "owncast:plugin/types": crate::types,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
});
