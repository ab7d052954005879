//! A throwaway PostgreSQL cluster of the test's own: `initdb` into a temporary directory,
//! `pg_ctl` on a free loopback port. Fault tests stop, restart and freeze it; the machine's
//! shared PostgreSQL (5432) is never touched.
//!
//! PostgreSQL refuses to run as root, so when the test runs as root (CI containers) the
//! server programs run as the `postgres` user through `runuser`, in a directory that user
//! owns. Dropping the cluster thaws, stops and deletes it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use bilten_test_support::needs;

use super::free_port;

pub struct Cluster {
    pub port: u16,
    dir: PathBuf,
    pg_ctl: PathBuf,
    /// `Some("postgres")` when the programs must not run as the current (root) user.
    run_as: Option<&'static str>,
}

impl Cluster {
    /// A new, running cluster with trust authentication for `postgres` on 127.0.0.1.
    pub fn start() -> Self {
        let initdb = needs::postgres_program("initdb");
        let pg_ctl = needs::postgres_program("pg_ctl");
        let run_as = is_root().then_some("postgres");
        if run_as.is_some() {
            needs::program(
                "runuser",
                "install util-linux (PostgreSQL will not run as root)",
            );
        }
        let dir = std::env::temp_dir()
            .join("bilten-tests")
            .join(format!("pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(user) = run_as {
            let chown = Command::new("chown")
                .arg(format!("{user}:"))
                .arg(&dir)
                .status()
                .unwrap();
            assert!(chown.success(), "chown {user} {}", dir.display());
        }
        let cluster = Self {
            port: free_port(),
            dir,
            pg_ctl,
            run_as,
        };
        let data = cluster.data_dir();
        cluster.run(
            &initdb,
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
        );
        cluster.start_again();
        cluster
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`, for creating databases.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start_again(&self) {
        let data = self.data_dir();
        let log = self.dir.join("server.log");
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c max_connections=60 -c shared_buffers=16MB",
            self.port,
            path_str(&self.dir)
        );
        self.run(
            &self.pg_ctl,
            &[
                "start",
                "-w",
                "-t",
                "30",
                "-D",
                path_str(&data),
                "-l",
                path_str(&log),
                "-o",
                &options,
            ],
        );
    }

    /// `pg_ctl stop -m fast`: sessions are terminated, the server shuts down cleanly.
    pub fn stop(&self) {
        let data = self.data_dir();
        self.run(
            &self.pg_ctl,
            &["stop", "-w", "-m", "fast", "-D", path_str(&data)],
        );
    }

    /// The postmaster and every server process it forked (backends, checkpointer, …).
    pub fn server_pids(&self) -> Vec<u32> {
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .expect("the cluster is running (postmaster.pid)");
        let postmaster: u32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces.
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if parent == Some(postmaster) {
                pids.push(pid);
            }
        }
        pids
    }

    /// Freezes the server (SIGSTOP to the postmaster and all its processes): connections stay
    /// open but nothing answers, as with a hung host.
    pub fn freeze(&self) {
        signal("STOP", &self.server_pids());
    }

    /// Undoes [`Cluster::freeze`].
    pub fn thaw(&self) {
        signal("CONT", &self.server_pids());
    }

    fn run(&self, program: &Path, args: &[&str]) -> Output {
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        let output = command.args(args).current_dir(&self.dir).output().unwrap();
        assert!(
            output.status.success(),
            "{} {args:?}: {}{}\n{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
        output
    }

    /// Waits until a TCP connection to the server's port is refused, i.e. it is really down.
    pub fn wait_refusing(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "PostgreSQL is still listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Ok(pid_file) = std::fs::read_to_string(self.data_dir().join("postmaster.pid")) {
            if pid_file.lines().next().is_some() {
                // Quietly: a process may be gone already, and a panic here would abort.
                let _ = Command::new("kill")
                    .arg("-CONT")
                    .args(self.server_pids().iter().map(ToString::to_string))
                    .stderr(std::process::Stdio::null())
                    .status();
            }
            let data = self.data_dir();
            let mut command = match self.run_as {
                Some(user) => {
                    let mut c = Command::new("runuser");
                    c.args(["-u", user, "--"]).arg(&self.pg_ctl);
                    c
                }
                None => Command::new(&self.pg_ctl),
            };
            let _ = command
                .args(["stop", "-w", "-m", "immediate", "-D", path_str(&data)])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `kill -NAME` to each process; the first (the postmaster) must get it, the others may have
/// exited since they were listed (a backend whose client went away).
fn signal(name: &str, pids: &[u32]) {
    for (i, pid) in pids.iter().enumerate() {
        let delivered = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(delivered || i > 0, "kill -{name} {pid} (the postmaster)");
    }
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
