#![no_main]
// What it fuzzes and how: owncast_plugin_fuzz::manifest.
libfuzzer_sys::fuzz_target!(|data: &[u8]| owncast_plugin_fuzz::manifest(data));
