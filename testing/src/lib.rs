//! Test doubles for the Owncast plugin host (never in a production build of
//! the runtime, server or manager):
//!
//! - [`SimulatedOwncast`]: an in-memory Owncast that records every effect.
//! - [`CannedOutbound`]: a network answering from canned responses.

pub mod canned;
pub mod simulated;

pub use canned::{CannedOutbound, CannedResponse};
pub use simulated::{display_color, Effects, PluginLog, SimulatedData, SimulatedOwncast, AUTOPLAY_MODES};
