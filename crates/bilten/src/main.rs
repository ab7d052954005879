//! `bilten`: one binary for every role of the platform.
//!
//! Thin on purpose: parse the command line, load the configuration, start telemetry, then
//! hand over to `bootstrap` (shared dependencies) and `roles` (the servers).

mod bench;
mod bootstrap;
mod cli;
mod roles;

use std::process::ExitCode;

use clap::Parser;

use cli::{AdminCommand, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match bilten_config::Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            // All of them, one per line, so one restart shows everything left to fix.
            for error in errors.iter() {
                eprintln!("bilten: configuration error: {error}");
            }
            return ExitCode::from(2);
        }
    };
    // The benchmark speaks to its user directly; its children log to their own files.
    let _sentry = if matches!(
        cli.command,
        Some(Command::Bench(_) | Command::Healthcheck { .. })
    ) {
        None
    } else {
        bootstrap::init_telemetry(&config)
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bilten: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("bilten: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Asks the local server for its health; an error (exit 1) names what went wrong.
async fn healthcheck(config: &bilten_config::Config, url: Option<String>) -> anyhow::Result<()> {
    let url = url.unwrap_or_else(|| {
        format!(
            "http://127.0.0.1:{}/health",
            config.port.unwrap_or(roles::Role::Frontend.default_port())
        )
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()?;
    let status = client.get(&url).send().await?.status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}

/// `bilten migrate`: applies what is pending; a database a later release already migrated
/// is left as it is and said so.
async fn migrate(config: &bilten_config::Config) -> anyhow::Result<()> {
    let store = bootstrap::connect_store(config).await?;
    let applied = bilten_store::migrate::run(&store).await?;
    let newer = bilten_store::migrate::status(&store)
        .await?
        .describe_newer();
    let version = bilten_store::migrate::latest_version();
    let message = if newer.is_empty() {
        format!("migrations: {applied} applied; schema at version {version}")
    } else {
        format!(
            "migrations: {applied} applied; the database also has migrations newer than this \
             build's {version}: {newer}"
        )
    };
    say(config, &message);
    Ok(())
}

async fn run(cli: Cli, config: bilten_config::Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or_default() {
        Command::Serve(ports) => roles::serve_all(config, ports).await,
        Command::Backend => roles::serve_one(config, roles::Role::Backend).await,
        Command::Gateway => roles::serve_one(config, roles::Role::Gateway).await,
        Command::Scanner => roles::serve_one(config, roles::Role::Scanner).await,
        Command::Frontend => roles::serve_one(config, roles::Role::Frontend).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Healthcheck { url } => healthcheck(&config, url).await,
        Command::Migrate => migrate(&config).await,
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    password,
                    name,
                },
        } => {
            let store = bootstrap::connect_store(&config).await?;
            bootstrap::ensure_schema(&config, &store, true).await?;
            let outcome =
                bilten_backend::admin::create_admin(&store, &email, &password, name.as_deref())
                    .await?;
            match outcome {
                bilten_backend::admin::AdminOutcome::Created(id) => {
                    say(&config, &format!("created admin {email} ({id})"));
                }
                bilten_backend::admin::AdminOutcome::Promoted(id) => {
                    say(
                        &config,
                        &format!(
                            "{email} ({id}) already existed and is now an admin; password unchanged"
                        ),
                    );
                }
            }
            Ok(())
        }
    }
}

/// A result line of a command: plain text on stdout, or a log event when logs are JSON (then
/// every line on stdout is JSON).
fn say(config: &bilten_config::Config, line: &str) {
    if config.log_json {
        tracing::info!("{line}");
    } else {
        println!("{line}");
    }
}
