//! Reading a core module's custom sections without a full parse (the
//! section walker is the host's, shared with its pooling-limit check).

pub use owncast_plugin_host::wasm::has_custom_section;
