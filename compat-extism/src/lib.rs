//! Runs legacy Owncast plugins — Extism core modules built by extism-js or
//! any Extism PDK — on the Owncast plugin host, without the Extism runtime.
//!
//! - [`kernel`]: Extism's kernel memory (offsets, blocks, input/output,
//!   error, vars), natively in Rust.
//! - [`env`]: the kernel functions of `extism:host/env`.
//! - [`user`]: the `owncast_*` functions of `extism:host/user`, each a
//!   translation onto the same [`PluginContext`](owncast_plugin_host::PluginContext)
//!   method the WIT interfaces use.
//! - [`ExtismLoader`]: tells core modules from components by their bytes,
//!   checks imports against the grant, and runs shared engines (one
//!   interpreter module per language, the plugin's script in Extism config).
//! - [`snapshot`]: modules built on the Owncast JS engine split into the
//!   engine's code (compiled once for all of them) and each plugin's
//!   snapshot (its memory image and globals).
//!
//! See README.md for the ABI mapping.

pub mod env;
pub mod kernel;
mod loader;
pub mod snapshot;
pub mod state;
pub mod user;
pub mod wasm;

pub use loader::{ExtismLoader, RawInstance, ENGINE_SECTION};
