//! Host services the runtime keeps for plugins, apart from the capabilities
//! that reach them (so [`crate::context`] can hold them without depending on
//! the capabilities).

pub mod config;
pub mod sse;
