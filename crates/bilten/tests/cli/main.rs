//! The `bilten` binary as people and the platform run it: real processes on real ports. One
//! test binary (one link instead of six), a module per former test file:
//!
//! - `cli`: the binary as a newcomer and an operator use it;
//! - `bench`: `bilten bench`, run tiny;
//! - `replicas`, `topology`: the production shape, several processes on one PostgreSQL and
//!   Redis (ignored by plain `cargo test`);
//! - `faults`: the fault battery (ignored by plain `cargo test`);
//! - `processes`: starting and stopping `bilten` roles, shared by the above.
//!
//! The tests share nothing in the process (each starts its own children on free ports, with
//! their own database and data directory), so they run in parallel like separate binaries'.

mod processes;

mod bench;
mod cli;
mod faults;
mod replicas;
mod topology;
