#![no_main]
// What it fuzzes and how: owncast_plugin_fuzz::package.
libfuzzer_sys::fuzz_target!(|data: &[u8]| owncast_plugin_fuzz::package(data));
