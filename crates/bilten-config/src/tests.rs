use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    let dir = std::env::temp_dir().join(format!("bilten-config-test-{}", rand::random::<u64>()));
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.entry("BILTEN_DATA_DIR".to_owned())
        .or_insert_with(|| dir.display().to_string());
    Config::from_lookup(|name| map.get(name).cloned())
}

const SECRET: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn an_empty_environment_is_a_working_development_setup() {
    let config = config(&[]).unwrap();
    assert_eq!(config.app_env, AppEnv::Development);
    assert!(config.database.url.is_none());
    assert!(config.redis.is_none());
    assert_eq!(config.jwt.access_ttl, Duration::from_secs(15 * 60));
    assert_eq!(config.jwt.refresh_ttl, Duration::from_secs(7 * 86_400));
    assert!(config.jwt.access_secret.expose_secret().len() >= 32);
}

#[test]
fn generated_development_secrets_are_kept_across_starts() {
    let dir = std::env::temp_dir().join(format!("bilten-config-keep-{}", rand::random::<u64>()));
    let dir = dir.display().to_string();
    let first = config(&[("BILTEN_DATA_DIR", &dir)]).unwrap();
    let second = config(&[("BILTEN_DATA_DIR", &dir)]).unwrap();
    assert_eq!(
        first.jwt.access_secret.expose_secret(),
        second.jwt.access_secret.expose_secret()
    );
    // The ticket root too: codes already sent must keep verifying after a restart.
    let root = first.ticket_signing_secret().unwrap();
    assert!(root.expose_secret().len() >= 32);
    assert_eq!(
        root.expose_secret(),
        second.ticket_signing_secret().unwrap().expose_secret()
    );
}

#[test]
fn production_requires_its_secrets_and_database() {
    let err = config(&[("APP_ENV", "production")]).unwrap_err();
    assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    let err = config(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://db/bilten"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("JWT_ACCESS_SECRET"), "{err}");
    let err = config(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://db/bilten"),
        ("JWT_ACCESS_SECRET", SECRET),
        ("JWT_REFRESH_SECRET", SECRET),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("TICKET_SIGNING_SECRET"), "{err}");
    let ok = config(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://db/bilten"),
        ("JWT_ACCESS_SECRET", SECRET),
        ("JWT_REFRESH_SECRET", SECRET),
        ("TICKET_SIGNING_SECRET", SECRET),
    ])
    .unwrap();
    assert_eq!(ok.ticket_signing_secret().unwrap().expose_secret(), SECRET);
    assert!(ok.log_json);
    assert_eq!(ok.bind_host, "0.0.0.0");
}

#[test]
fn each_bad_value_names_its_variable() {
    let cases = [
        ("PORT", "eighty"),
        ("PROMETHEUS_PORT", "70000"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_POOL_MAX", "0"),
        ("DATABASE_POOL_MIN", "-1"),
        ("REDIS_URL", "http://redis"),
        ("JWT_ACCESS_EXPIRES_IN", "soon"),
        ("JWT_REFRESH_EXPIRES_IN", "0s"),
        ("JWT_ACCESS_SECRET", "short"),
        ("TICKET_SIGNING_SECRET", "31-bytes-is-one-byte-too-short!"),
        ("SMTP_PORT", "x"),
        ("APP_ENV", "staging"),
        ("STRIPE_SECRET_KEY", "pk_live_123"),
        ("LOG_FORMAT", "xml"),
        ("BILTEN_PERSONAL_DATA_RETENTION_MONTHS", "0"),
        ("BILTEN_PERSONAL_DATA_RETENTION_MONTHS", "forever"),
    ];
    for (name, value) in cases {
        let mut vars = vec![(name, value)];
        if name == "SMTP_PORT" {
            vars.push(("SMTP_HOST", "localhost"));
        }
        let err = config(&vars).expect_err(name);
        assert!(err.to_string().starts_with(name), "{name}: {err}");
    }
}

#[test]
fn every_bad_or_missing_variable_is_reported_at_once() {
    let err = config(&[
        ("APP_ENV", "production"),
        ("PORT", "eighty"),
        ("JWT_ACCESS_SECRET", "short"),
        ("REDIS_URL", "http://redis"),
        ("REDIS_PREFIX", "has space:"),
        ("LOG_FORMAT", "xml"),
        ("SMTP_HOST", "mail"),
        ("SMTP_PORT", "x"),
    ])
    .unwrap_err();
    let names: Vec<&str> = err
        .iter()
        .map(|e| match e {
            ConfigError::Invalid { name, .. } | ConfigError::Missing { name } => *name,
            ConfigError::DevSecrets { .. } => "dev secrets",
        })
        .collect();
    for name in [
        "DATABASE_URL",
        "JWT_REFRESH_SECRET",
        "TICKET_SIGNING_SECRET",
        "PORT",
        "JWT_ACCESS_SECRET",
        "REDIS_URL",
        "REDIS_PREFIX",
        "LOG_FORMAT",
        "SMTP_PORT",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(err.len(), 9, "{err}");
    // One per line, each naming its variable.
    let text = err.to_string();
    assert_eq!(text.lines().count(), 9, "{text}");
}

#[test]
fn the_redis_prefix_defaults_and_is_checked() {
    assert_eq!(config(&[]).unwrap().redis_prefix, "bilten:");
    assert_eq!(config(&[]).unwrap().redis_prefix, DEFAULT_REDIS_PREFIX);
    assert_eq!(
        config(&[("REDIS_PREFIX", "bilten-staging:")])
            .unwrap()
            .redis_prefix,
        "bilten-staging:"
    );
    for bad in ["two words", "tab\there", &"x".repeat(65), "ümlaut"] {
        let err = config(&[("REDIS_PREFIX", bad)]).unwrap_err();
        assert!(err.to_string().starts_with("REDIS_PREFIX"), "{bad}: {err}");
    }
}

#[test]
fn pool_min_may_not_exceed_pool_max() {
    let err = config(&[("DATABASE_POOL_MIN", "20"), ("DATABASE_POOL_MAX", "5")]).unwrap_err();
    assert!(err.to_string().contains("DATABASE_POOL_MIN"));
}

#[test]
fn debug_output_never_contains_secrets() {
    let config = config(&[
        (
            "JWT_ACCESS_SECRET",
            "access-secret-access-secret-access-secret",
        ),
        (
            "JWT_REFRESH_SECRET",
            "refresh-secret-refresh-secret-refresh",
        ),
        ("REDIS_PASSWORD", "redis-password-value"),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("SMTP_HOST", "mail"),
        ("SMTP_PASS", "smtp-password-value"),
        ("STRIPE_SECRET_KEY", "sk_test_stripe-secret-value"),
    ])
    .unwrap();
    let debug = format!("{config:?}");
    for secret in [
        "access-secret",
        "refresh-secret",
        "redis-password",
        "smtp-password",
        "stripe-secret",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
}

#[test]
fn durations_parse_the_usual_units() {
    assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
    assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
    assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
    assert_eq!(parse_duration("m"), None);
    assert_eq!(parse_duration("5y"), None);
    assert_eq!(parse_duration("-5m"), None);
}

#[test]
fn the_personal_data_retention_defaults_to_24_months_and_can_be_off() {
    assert_eq!(
        config(&[]).unwrap().personal_data_retention_months,
        Some(24)
    );
    let set = config(&[("BILTEN_PERSONAL_DATA_RETENTION_MONTHS", "120")]).unwrap();
    assert_eq!(set.personal_data_retention_months, Some(120));
    let off = config(&[("BILTEN_PERSONAL_DATA_RETENTION_MONTHS", "off")]).unwrap();
    assert_eq!(off.personal_data_retention_months, None);
}
