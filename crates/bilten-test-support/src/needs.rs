//! The parts a test needs that a fresh machine with only Rust lacks: PostgreSQL and Redis
//! servers, programs (`redis-server`, `chromium`, `psql`, `initdb`), Python and npm packages.
//!
//! Such a test is `#[ignore = "needs …"]`, so plain `cargo test` lists it as ignored instead
//! of passing it without doing anything; `.ci/run` installs every part and runs them with
//! `-- --include-ignored`. Each helper here returns the part or **panics** naming what is
//! missing and how to get it, so an ignored test run without its part fails loudly — it never
//! returns early and passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How to get everything at once; every panic message ends with it.
const EVERYTHING: &str = "`.ci/run` installs and starts every part";

fn missing(what: &str, how: &str) -> ! {
    panic!("this test needs {what}, which is missing: {how} ({EVERYTHING})")
}

/// The PostgreSQL server to create test databases on (`TEST_DATABASE_URL`).
pub fn postgres() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => missing(
            "PostgreSQL",
            "set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres",
        ),
    }
}

/// The Redis server to use under a test's own key prefix (`TEST_REDIS_URL`).
pub fn redis() -> String {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => missing("Redis", "set TEST_REDIS_URL=redis://127.0.0.1:6379"),
    }
}

/// `(TEST_DATABASE_URL, TEST_REDIS_URL)`.
pub fn postgres_and_redis() -> (String, String) {
    (postgres(), redis())
}

/// The full path of `program` found on `PATH`.
pub fn program(program: &str, install: &str) -> PathBuf {
    find_on_path(program).unwrap_or_else(|| missing(&format!("`{program}` on the PATH"), install))
}

/// The first of `programs` found on `PATH` (distributions name some programs differently).
pub fn one_of_programs(programs: &[&str], install: &str) -> PathBuf {
    programs
        .iter()
        .find_map(|p| find_on_path(p))
        .unwrap_or_else(|| missing(&format!("one of {programs:?} on the PATH"), install))
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `python3` on the `PATH` with `module` importable; returns the interpreter's path.
pub fn python_module(module: &str, install: &str) -> PathBuf {
    let python = program("python3", "install Python 3");
    let importable = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable {
        missing(&format!("the Python package `{module}`"), install);
    }
    python
}

/// A file the test reads (e.g. an npm package's script).
pub fn file(path: &Path, install: &str) -> PathBuf {
    if !path.is_file() {
        missing(&path.display().to_string(), install);
    }
    path.to_owned()
}

/// A PostgreSQL server program (`initdb`, `pg_ctl`, `postgres`): on the `PATH`, or in
/// Debian's `/usr/lib/postgresql/<version>/bin` (newest version first), which is not on the
/// `PATH`.
pub fn postgres_program(name: &str) -> PathBuf {
    if let Some(found) = find_on_path(name) {
        return found;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin").join(name)))
        })
        .filter(|(_, p)| is_executable(p))
        .collect();
    versions.sort();
    versions.pop().map_or_else(
        || {
            missing(
                &format!("the PostgreSQL server program `{name}`"),
                "apt-get install postgresql",
            )
        },
        |(_, path)| path,
    )
}
