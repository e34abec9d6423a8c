//! The Owncast plugin contract, without an engine: what a plugin and the
//! host agree on, and the seams an embedder implements. No Wasmtime here
//! (the `component-model` feature adds the component encodings of the WIT
//! records, for the runtime), so parsers can be tested and fuzzed cheaply.
//!
//! - [`types`], [`event`]: the WIT records and their legacy JSON shapes.
//! - [`manifest`]: `plugin.manifest.json` and the `register()` cross-check.
//! - [`permissions`]: what each permission opens.
//! - [`commands`]: chat commands the host routes (`chat.command`, `!help`).
//! - [`ui`]: UI contributions (action buttons, styles, scripts, page content, tabs).
//! - [`bundle`]: a plugin's files (`PluginBundle`, a plugin directory).
//! - [`owncast`], [`outbound`]: the seams Owncast implements (its server, its network).
//! - [`contract`]: the WIT contract as a document model (`docs/WIRE_PROTOCOL.md`, TypeScript types).

pub mod bundle;
pub mod commands;
pub mod contract;
pub mod event;
pub mod manifest;
pub mod outbound;
pub mod owncast;
pub mod permissions;
pub mod types;
pub mod ui;

pub use bundle::{PluginAssets, PluginBundle};
pub use manifest::Manifest;
pub use permissions::{Permission, Permissions};
