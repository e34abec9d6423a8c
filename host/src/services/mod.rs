//! Host services the runtime keeps for plugins, apart from the capabilities
//! that reach them (so [`crate::context`] can hold them without depending on
//! the capabilities).

pub mod auth_gate;
pub mod config;
pub mod sql;
pub mod sse;
pub mod storage;
pub mod timer;
