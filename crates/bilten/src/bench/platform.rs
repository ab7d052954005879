//! The platform under test, as child processes of this executable: `bilten serve` (the
//! embedded default) or `bilten backend` ×N (+ scanners, a frontend, a gateway) on a scratch
//! PostgreSQL database. Each child is started as its container would start it, with the
//! environment cleared and set explicitly (so a `DATABASE_URL` in the caller's shell cannot
//! leak in), listens on a free port on 127.0.0.1, and logs to a file in the run's directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bilten_store::{ConnectSettings, Store};

use super::{BenchArgs, Scenario};

/// The organizer account that sets the event up (created out of band, as an operator would).
pub struct Organizer {
    pub email: String,
    pub password: String,
}

/// Base URLs (`http://127.0.0.1:port`) by what they serve; several when replicas run without a
/// gateway, and then clients spread over them round-robin.
#[derive(Default)]
pub struct Endpoints {
    pub api: Vec<String>,
    pub scanner: Vec<String>,
    pub web: Vec<String>,
}

impl Endpoints {
    /// The `i`-th client's base among `bases` (round-robin).
    pub fn pick(bases: &[String], i: u64) -> &str {
        &bases[(i % bases.len() as u64) as usize]
    }
}

/// A server process of the run.
pub struct ServerProcess {
    /// `serve`, `backend-1`, `gateway`, …
    pub name: String,
    pub pid: u32,
    /// Its `/metrics`, when it talks to the database (and so counts statements).
    pub metrics_url: Option<String>,
    child: Child,
    log: PathBuf,
}

/// The fresh database of a PostgreSQL run.
pub struct ScratchDatabase {
    pub name: String,
    pub url: String,
    /// A connection to the server's administrative database: creates and drops the scratch
    /// database, and reads the server-wide statistics without adding transactions to it.
    pub admin: Store,
}

enum Mode {
    Embedded,
    Postgres {
        admin_url: String,
        redis_url: Option<String>,
        replicas: u16,
        pool_max: u32,
    },
}

pub struct Platform {
    run_id: String,
    dir: PathBuf,
    mode: Mode,
    gateway: bool,
    scenario: Scenario,
    pub organizer: Organizer,
    pub endpoints: Endpoints,
    pub servers: Vec<ServerProcess>,
    pub database: Option<ScratchDatabase>,
}

/// Every client of a run comes from 127.0.0.1: the gateway's per-address rate limits would
/// measure themselves, not the path behind them.
fn unlimited_gateway() -> (&'static str, String) {
    ("GATEWAY_RATE_LIMITS", "off".to_owned())
}

/// A port the kernel just handed out; free again when we return (a small race we accept).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn base(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// `admin_url` with its database replaced by `name` (query parameters kept).
fn database_url(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let (path, query) = match admin_url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (admin_url, None),
    };
    let Some((server, _)) = path.rsplit_once('/').filter(|(s, _)| s.contains("://")) else {
        bail!("--database-url must name a database: postgres://user@host:port/postgres");
    };
    Ok(match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

impl Platform {
    pub fn new(args: &BenchArgs) -> anyhow::Result<Self> {
        let run_id = random_hex()[..12].to_owned();
        let dir = std::env::temp_dir().join(format!("bilten-bench-{run_id}"));
        std::fs::create_dir_all(dir.join("data"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let mode = match &args.database_url {
            None => Mode::Embedded,
            Some(url) => {
                anyhow::ensure!(
                    url.starts_with("postgres://") || url.starts_with("postgresql://"),
                    "--database-url must be a postgres:// URL"
                );
                Mode::Postgres {
                    admin_url: url.clone(),
                    redis_url: args.redis_url.clone(),
                    replicas: args.replicas,
                    pool_max: args.pool_max,
                }
            }
        };
        Ok(Self {
            organizer: Organizer {
                email: format!("bench-organizer-{run_id}@example.com"),
                password: format!("Bench-passw0rd-{}", random_hex()),
            },
            run_id,
            dir,
            mode,
            gateway: args.gateway,
            scenario: args.scenario,
            endpoints: Endpoints::default(),
            servers: Vec::new(),
            database: None,
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// For people: what runs.
    pub fn describe(&self) -> String {
        let label = self.setup_label();
        match &self.mode {
            Mode::Embedded => format!("{label}: one `bilten serve` process"),
            Mode::Postgres { .. } => format!("{label}: a scratch database bench_{}", self.run_id),
        }
    }

    /// The setup part of a result's title; a later run with the same label replaces it.
    pub fn setup_label(&self) -> String {
        let through = if self.gateway {
            ", through the gateway"
        } else {
            ""
        };
        match &self.mode {
            Mode::Embedded => format!("embedded default (SQLite){through}"),
            Mode::Postgres {
                redis_url,
                replicas,
                ..
            } => {
                let redis = if redis_url.is_some() { " + Redis" } else { "" };
                let plural = if *replicas == 1 { "" } else { "s" };
                format!("PostgreSQL{redis}, {replicas} backend{plural}{through}")
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.mode, Mode::Postgres { .. })
    }

    /// A store on the run's database, for the ledger checks (and PostgreSQL's per-database
    /// statistics). One connection, so its own transactions are few and known.
    pub async fn connect_database(&self) -> anyhow::Result<Store> {
        let url = match &self.database {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", self.dir.join("data/bilten.db").display()),
        };
        let mut settings = ConnectSettings::new(url);
        settings.pool_max = 1;
        settings.acquire_timeout = Duration::from_secs(30);
        Ok(Store::connect(&settings).await?)
    }

    pub async fn start(&mut self, args: &BenchArgs) -> anyhow::Result<()> {
        match &self.mode {
            Mode::Embedded => self.start_embedded(args).await,
            Mode::Postgres {
                admin_url,
                redis_url,
                replicas,
                pool_max,
            } => {
                let (admin_url, redis_url, replicas, pool_max) =
                    (admin_url.clone(), redis_url.clone(), *replicas, *pool_max);
                self.start_postgres(&admin_url, redis_url.as_deref(), replicas, pool_max)
                    .await
            }
        }
    }

    async fn start_embedded(&mut self, args: &BenchArgs) -> anyhow::Result<()> {
        let mut env = vec![
            ("APP_ENV", "development".to_owned()),
            ("BIND_HOST", "127.0.0.1".to_owned()),
            (
                "BILTEN_DATA_DIR",
                self.dir.join("data").display().to_string(),
            ),
            ("RUST_LOG", "warn".to_owned()),
        ];
        if args.gateway {
            env.push(unlimited_gateway());
        }
        // Creates the database file (migrated) and the organizer before the server starts.
        self.create_organizer(&env)?;
        let [frontend, backend, scanner, gateway] =
            [free_port()?, free_port()?, free_port()?, free_port()?];
        let ports = [
            format!("--frontend-port={frontend}"),
            format!("--backend-port={backend}"),
            format!("--scanner-port={scanner}"),
            format!("--gateway-port={gateway}"),
        ];
        let mut command = bilten(&["serve", "--no-demo"], &env)?;
        command.args(&ports);
        self.spawn("serve", command, Some(format!("{}/metrics", base(backend))))?;
        self.endpoints = if args.gateway {
            Endpoints {
                api: vec![base(gateway)],
                scanner: vec![base(gateway)],
                web: vec![base(gateway)],
            }
        } else {
            Endpoints {
                api: vec![base(backend)],
                scanner: vec![base(scanner)],
                web: vec![base(frontend)],
            }
        };
        let mut ready: Vec<String> = [backend, scanner, frontend]
            .into_iter()
            .map(|port| format!("{}/ready", base(port)))
            .collect();
        if args.gateway {
            ready.push(format!("{}/ready", base(gateway)));
        }
        self.wait_ready(&ready).await
    }

    async fn start_postgres(
        &mut self,
        admin_url: &str,
        redis_url: Option<&str>,
        replicas: u16,
        pool_max: u32,
    ) -> anyhow::Result<()> {
        let name = format!("bench_{}", self.run_id);
        let mut settings = ConnectSettings::new(admin_url);
        settings.pool_max = 2;
        let admin = Store::connect(&settings)
            .await
            .context("connecting to --database-url")?;
        bilten_store::bench::create_database(admin.primary(), &name)
            .await
            .context("creating the scratch database")?;
        let url = database_url(admin_url, &name)?;
        self.database = Some(ScratchDatabase {
            name,
            url: url.clone(),
            admin,
        });

        let front_port = free_port()?;
        let mut env = vec![
            ("APP_ENV", "production".to_owned()),
            ("BIND_HOST", "127.0.0.1".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
            ("DATABASE_URL", url),
            ("DATABASE_POOL_MAX", pool_max.to_string()),
            (
                "BILTEN_DATA_DIR",
                self.dir.join("data").display().to_string(),
            ),
            ("JWT_ACCESS_SECRET", random_hex()),
            ("JWT_REFRESH_SECRET", random_hex()),
            ("TICKET_SIGNING_SECRET", random_hex()),
            ("PUBLIC_URL", base(front_port)),
        ];
        if let Some(redis) = redis_url {
            env.push(("REDIS_URL", redis.to_owned()));
        }
        // The migration job runs before any rollout; roles refuse an older schema.
        self.run_to_end("migrate", bilten(&["migrate"], &env)?)?;
        self.create_organizer(&env)?;

        let mut backends = Vec::new();
        for i in 1..=replicas {
            backends.push(self.spawn_role(&format!("backend-{i}"), "backend", &env, true)?);
        }
        let mut scanners = Vec::new();
        if self.scenario == Scenario::Checkin {
            for i in 1..=replicas {
                scanners.push(self.spawn_role(&format!("scanner-{i}"), "scanner", &env, true)?);
            }
        }
        let mut frontends = Vec::new();
        if self.scenario == Scenario::Reads {
            let mut env = env.clone();
            env.push(("BACKEND_URL", backends[0].clone()));
            frontends.push(self.spawn_role("frontend", "frontend", &env, false)?);
        }
        let mut ready: Vec<String> = [&backends, &scanners, &frontends]
            .into_iter()
            .flatten()
            .map(|base| format!("{base}/ready"))
            .collect();
        self.endpoints = if self.gateway {
            let mut env = env.clone();
            env.push(unlimited_gateway());
            env.push(("GATEWAY_HEALTH_INTERVAL", "500ms".to_owned()));
            env.push(("GATEWAY_UPSTREAMS_BACKEND", backends.join(",")));
            if !scanners.is_empty() {
                env.push(("GATEWAY_UPSTREAMS_SCANNER", scanners.join(",")));
            }
            if !frontends.is_empty() {
                env.push(("GATEWAY_UPSTREAMS_FRONTEND", frontends.join(",")));
            }
            let gateway = self.spawn_role_on("gateway", "gateway", &env, false, front_port)?;
            // The gateway is `/ready` only when every route group has a replica, and groups
            // this scenario does not start have none: wait until it routes the API instead.
            ready.push(format!("{gateway}/api/v1/events"));
            Endpoints {
                api: vec![gateway.clone()],
                scanner: vec![gateway.clone()],
                web: vec![gateway],
            }
        } else {
            Endpoints {
                api: backends,
                scanner: scanners,
                web: frontends,
            }
        };
        self.wait_ready(&ready).await
    }

    /// `bilten admin create` for the organizer (a verified account, as an operator makes it).
    fn create_organizer(&mut self, env: &[(&str, String)]) -> anyhow::Result<()> {
        let command = bilten(
            &[
                "admin",
                "create",
                "--email",
                &self.organizer.email,
                "--password",
                &self.organizer.password,
                "--name",
                "Bench Organizer",
            ],
            env,
        )?;
        self.run_to_end("admin-create", command)
    }

    fn spawn_role(
        &mut self,
        name: &str,
        role: &str,
        env: &[(&str, String)],
        database: bool,
    ) -> anyhow::Result<String> {
        self.spawn_role_on(name, role, env, database, free_port()?)
    }

    fn spawn_role_on(
        &mut self,
        name: &str,
        role: &str,
        env: &[(&str, String)],
        database: bool,
        port: u16,
    ) -> anyhow::Result<String> {
        let mut command = bilten(&[role], env)?;
        command.env("PORT", port.to_string());
        let metrics = database.then(|| format!("{}/metrics", base(port)));
        self.spawn(name, command, metrics)?;
        Ok(base(port))
    }

    fn spawn(
        &mut self,
        name: &str,
        mut command: Command,
        metrics_url: Option<String>,
    ) -> anyhow::Result<()> {
        let log = self.dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        command.stdout(file.try_clone()?).stderr(file);
        let child = command
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        self.servers.push(ServerProcess {
            name: name.to_owned(),
            pid: child.id(),
            metrics_url,
            child,
            log,
        });
        Ok(())
    }

    /// Runs a one-shot `bilten` command to its end; its output goes to `<name>.log`.
    fn run_to_end(&self, name: &str, mut command: Command) -> anyhow::Result<()> {
        let log = self.dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        command.stdout(file.try_clone()?).stderr(file);
        let status = command
            .status()
            .with_context(|| format!("running bilten {name}"))?;
        if !status.success() {
            bail!("bilten {name} failed ({status}):\n{}", tail(&log, 20));
        }
        Ok(())
    }

    /// Waits (≤ 60 s) until every URL answers 2xx, failing early when a child exits.
    async fn wait_ready(&mut self, urls: &[String]) -> anyhow::Result<()> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        for url in urls {
            loop {
                for server in &mut self.servers {
                    if let Some(status) = server.child.try_wait()? {
                        bail!(
                            "{} exited during start-up ({status}):\n{}",
                            server.name,
                            tail(&server.log, 20)
                        );
                    }
                }
                let ready = client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ready {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("{url} did not answer 2xx within 60 s");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// The last lines of every child's log, for a failed run.
    pub fn print_log_tails(&self) {
        for server in &self.servers {
            eprintln!("--- {} (last lines of its log)", server.name);
            eprintln!("{}", tail(&server.log, 15));
        }
    }

    /// Kills the children, drops the scratch database and removes the run's directory.
    pub async fn shutdown(&mut self) {
        for server in &mut self.servers {
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
        self.servers.clear();
        if let Some(database) = self.database.take() {
            match bilten_store::bench::drop_database(database.admin.primary(), &database.name).await
            {
                Ok(()) => println!("bench: dropped database {}", database.name),
                Err(error) => eprintln!(
                    "bench: could not drop database {} ({error}); drop it by hand",
                    database.name
                ),
            }
            database.admin.close().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Platform {
    /// The last line of defence (a panic): never leave servers running.
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
    }
}

/// `bilten ARGS` from this very executable, with exactly `env`.
fn bilten(args: &[&str], env: &[(&str, String)]) -> anyhow::Result<Command> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let mut command = Command::new(exe);
    command.args(args).env_clear().stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    Ok(command)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_scratch_database_replaces_the_admin_database_in_the_url() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "bench_1").unwrap(),
            "postgres://postgres@127.0.0.1:5432/bench_1"
        );
        assert_eq!(
            database_url("postgres://u:p@db/admin?sslmode=disable", "bench_1").unwrap(),
            "postgres://u:p@db/bench_1?sslmode=disable"
        );
        assert!(database_url("postgres://host", "bench_1").is_err());
    }
}
