//! The command line.

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bilten",
    version,
    about = "Bilten: event management and ticketing"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every role in one process (the default).
    Serve(ServePorts),
    /// Run only the REST API (port 3001, or PORT).
    Backend,
    /// Run only the gateway (port 8080, or PORT).
    Gateway,
    /// Run only the scanner service (port 3002, or PORT).
    Scanner,
    /// Run only the web app (port 3000, or PORT).
    Frontend,
    /// Apply database migrations and exit.
    Migrate,
    /// Measure the platform under load on this machine (starts it, drives clients, reports).
    Bench(crate::bench::BenchArgs),
    /// Exit 0 when this container's server answers `GET /health` within 2 s, else 1 (the
    /// images' HEALTHCHECK: they carry no curl).
    Healthcheck {
        /// What to ask; by default `http://127.0.0.1:$PORT/health` (port 3000 without PORT).
        #[arg(long)]
        url: Option<String>,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

impl Default for Command {
    fn default() -> Self {
        Self::Serve(ServePorts::default())
    }
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create the platform admin (or promote an existing account).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: Option<String>,
    },
}

/// Ports of the all-in-one process; each can be moved when its default is taken.
#[derive(Args, Clone)]
pub struct ServePorts {
    #[arg(long, env = "BILTEN_FRONTEND_PORT", default_value_t = 3000)]
    pub frontend_port: u16,
    #[arg(long, env = "BILTEN_BACKEND_PORT", default_value_t = 3001)]
    pub backend_port: u16,
    #[arg(long, env = "BILTEN_SCANNER_PORT", default_value_t = 3002)]
    pub scanner_port: u16,
    #[arg(long, env = "BILTEN_GATEWAY_PORT", default_value_t = 8080)]
    pub gateway_port: u16,
    /// Do not create the demo organization and events on first start.
    #[arg(long)]
    pub no_demo: bool,
}

impl Default for ServePorts {
    fn default() -> Self {
        Self {
            frontend_port: 3000,
            backend_port: 3001,
            scanner_port: 3002,
            gateway_port: 8080,
            no_demo: false,
        }
    }
}
