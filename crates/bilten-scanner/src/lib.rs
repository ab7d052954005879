//! The scanner role. Until its issue lands, the `bilten` binary serves this role's operations
//! endpoints (`/health`, `/ready`, `/metrics`) so probes and deployments work from day one.
