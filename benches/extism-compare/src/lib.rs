//! See benches/filter.rs.
