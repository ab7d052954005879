//! The gateway against real servers on loopback: upstreams are small axum servers in this
//! process, each gateway is built and served exactly as the binary does it.

// Helpers outside `#[test]` functions are test code too; clippy's allow-unwrap-in-tests only
// covers the test functions themselves.
#![allow(clippy::unwrap_used)]

mod balancing;
mod edge;
mod helpers;
mod limits;
mod proxying;
mod upstream_tls;
