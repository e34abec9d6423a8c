//! Modules shaped like extism-js output load and run: two defined tables
//! (host imports called through the second with call_indirect) and a data
//! segment of several MB, through the same loader path as any legacy
//! plugin. A module past a pooling limit is refused with the limit named.

mod common;

use common::*;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::{LoadError, PoolLimits};

const DATA_BYTES: usize = 6 << 20;
const TAIL: &str = "end-of-6MiB-data";

/// The fixture (tests/wat/extism-js-shape.wat) with its 6 MiB data segment.
fn extism_js_shaped() -> Vec<u8> {
    let src = include_str!("wat/extism-js-shape.wat");
    assert_eq!(src.matches(";;BIG-DATA;;").count(), 1, "one marker for the data segment");
    let start = 65536;
    let filler = "x".repeat(DATA_BYTES - TAIL.len());
    let data = format!(
        "(global $data_end i32 (i32.const {end}))\n  (data (i32.const {start}) \"{filler}{TAIL}\")",
        end = start + DATA_BYTES
    );
    let wasm = wat::parse_str(src.replace(";;BIG-DATA;;", &data)).unwrap_or_else(|e| {
        let m = e.to_string();
        panic!("the fixture does not assemble: {}", &m[..m.len().min(400)])
    });
    assert!(wasm.len() > DATA_BYTES, "the fixture carries its large data segment");
    wasm
}

#[tokio::test]
async fn an_extism_js_shaped_module_with_two_tables_loads_and_calls_the_host_through_the_second() {
    let code = extism_js_shaped();
    let shape = owncast_plugin_host::wasm::module_shape(&code).unwrap();
    assert_eq!(shape.tables.len(), 2, "the fixture defines two tables");
    // The runtime the CLI, server and scenario runner use (default pool limits).
    let h = host_with(runtime(|_| {}), ExtismLoader::new());
    let plugin = load(&h, &manifest("js-shaped", &["storage.kv", "chat.filter"]), code)
        .await
        .expect("an extism-js shaped module loads");
    let outcome = h.filter(chat("hello")).await;
    assert_eq!(
        outcome.dropped.as_ref().map(|(slug, reason)| (slug.as_str(), reason.as_str())),
        Some(("js-shaped", format!("big|{TAIL}").as_str())),
        "{:?}",
        outcome.steps
    );
    assert_eq!(plugin.context().kv_get("hits").unwrap().as_deref(), Some("big"));
}

#[tokio::test]
async fn a_module_past_a_pooling_limit_is_refused_naming_the_limit() {
    let code = extism_js_shaped();
    let one_table = runtime(|c| c.pool = PoolLimits { tables_per_module: 1, ..PoolLimits::default() });
    let h = host_with(one_table, ExtismLoader::new());
    let err = load_err(&h, &manifest("js-shaped", &["storage.kv", "chat.filter"]), code.clone()).await;
    let text = err.to_string();
    assert!(matches!(err, LoadError::Code { .. }), "{err:?}");
    assert!(
        text.contains("defines 2 tables")
            && text.contains("PoolLimits::tables_per_module")
            && text.contains("1 per module"),
        "{text}"
    );

    let small_tables = runtime(|c| c.pool = PoolLimits { table_elements: 1, ..PoolLimits::default() });
    let h = host_with(small_tables, ExtismLoader::new());
    let text = load_err(&h, &manifest("js-shaped", &["storage.kv", "chat.filter"]), code.clone()).await.to_string();
    assert!(text.contains("table 0 starts with 2 elements") && text.contains("PoolLimits::table_elements"), "{text}");

    let small_memory = runtime(|c| c.limits.memory_bytes = 4 << 20);
    let h = host_with(small_memory, ExtismLoader::new());
    let text = load_err(&h, &manifest("js-shaped", &["storage.kv", "chat.filter"]), code).await.to_string();
    assert!(text.contains("memory 0 starts at 10485760 bytes") && text.contains("Limits::memory_bytes"), "{text}");
}
