//! The scenario test runner behind `owncast-plugin test`.
//!
//! Each case runs against a fresh host with the real built plugin, through
//! the same loaders, dispatcher and host services production uses; only
//! Owncast itself ([`SimulatedOwncast`](owncast_plugin_testing::SimulatedOwncast)),
//! the store and the network are simulated.

pub mod format;
mod runner;

pub use format::{parse_file, Case, FormatError};
pub use runner::{json_contains, CaseReport, PluginReport, ScenarioRunner};
