#![no_main]
// What it fuzzes and how: owncast_plugin_fuzz::extism_kernel.
libfuzzer_sys::fuzz_target!(|data: &[u8]| owncast_plugin_fuzz::extism_kernel(data));
