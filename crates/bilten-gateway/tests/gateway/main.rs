//! The gateway against real servers on loopback: upstreams are small axum servers in this
//! process, each gateway is built and served exactly as the binary does it.

mod helpers;
mod proxying;
mod balancing;
