use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn config() -> Config {
    let env: HashMap<&str, &str> = [
        ("JWT_ACCESS_SECRET", "a".repeat(32).leak() as &str),
        ("JWT_REFRESH_SECRET", "r".repeat(32).leak() as &str),
        ("PUBLIC_URL", "https://tickets.example.com/"),
    ]
    .into_iter()
    .collect();
    Config::from_lookup(|name| env.get(name).map(|v| (*v).to_owned())).unwrap()
}

fn local() -> UpstreamDefaults {
    UpstreamDefaults {
        backend: vec!["http://127.0.0.1:3001".to_owned()],
        scanner: vec!["http://127.0.0.1:3002".to_owned()],
        frontend: vec!["http://127.0.0.1:3000".to_owned()],
    }
}

fn read(vars: &[(&str, &str)]) -> Result<GatewaySettings, GatewayConfigError> {
    let env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    GatewaySettings::from_lookup(&config(), &local(), |name| env.get(name).cloned())
}

fn error_names(vars: &[(&str, &str)]) -> String {
    match read(vars) {
        Ok(_) => panic!("{vars:?} was accepted"),
        Err(GatewayConfigError::Invalid { name, .. }) => name.to_owned(),
    }
}

#[test]
fn without_variables_the_local_roles_and_defaults_are_used() {
    let settings = read(&[]).unwrap();
    assert_eq!(settings.backend[0].label(), "127.0.0.1:3001");
    assert_eq!(settings.max_body, DEFAULT_MAX_BODY);
    assert_eq!(settings.retries, 1);
    assert_eq!(settings.routes, RouteTable::default());
    assert_eq!(
        settings.cors_origins,
        CorsOrigins::List(vec![HeaderValue::from_static(
            "https://tickets.example.com"
        )])
    );
    assert!(settings.trusted_proxies.is_empty());
    assert_eq!(settings.timeouts.connect, Duration::from_secs(2));
}

#[test]
fn upstream_variables_replace_the_local_defaults() {
    let settings = read(&[(
        "GATEWAY_UPSTREAMS_BACKEND",
        "http://10.0.0.1:3001, http://10.0.0.2:3001",
    )])
    .unwrap();
    assert_eq!(settings.backend.len(), 2);
    assert_eq!(
        settings.upstreams(Group::Backend)[1].label(),
        "10.0.0.2:3001"
    );
    assert_eq!(settings.scanner[0].label(), "127.0.0.1:3002");
}

#[test]
fn every_setting_can_be_overridden() {
    let settings = read(&[
        ("GATEWAY_ROUTES", "/admin=backend"),
        ("GATEWAY_PUBLIC_ROUTES", "GET /api/v1/venues"),
        ("GATEWAY_CORS_ORIGINS", "*"),
        ("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
        ("GATEWAY_RATE_LIMITS", "login=3/1m"),
        ("GATEWAY_MAX_BODY", "1MiB"),
        ("GATEWAY_CONNECT_TIMEOUT", "250ms"),
        ("GATEWAY_UPSTREAM_TIMEOUT", "5s"),
        ("GATEWAY_HEADER_TIMEOUT", "3s"),
        ("GATEWAY_BODY_TIMEOUT", "4s"),
        ("GATEWAY_RETRIES", "2"),
        ("GATEWAY_HEALTH_INTERVAL", "200ms"),
        ("GATEWAY_HEALTH_TIMEOUT", "100ms"),
        ("GATEWAY_HEALTH_RISE", "1"),
        ("GATEWAY_HEALTH_FALL", "3"),
        ("GATEWAY_EJECT_AFTER", "5"),
        ("GATEWAY_EJECT_FOR", "1s"),
    ])
    .unwrap();
    assert_eq!(settings.routes.group_for("/admin/x"), Group::Backend);
    assert_eq!(
        settings.public_routes.len(),
        default_public_routes().len() + 1
    );
    assert_eq!(settings.cors_origins, CorsOrigins::Any);
    assert_eq!(settings.trusted_proxies.len(), 2);
    assert_eq!(settings.max_body, 1 << 20);
    assert_eq!(settings.timeouts.connect, Duration::from_millis(250));
    assert_eq!(settings.timeouts.upstream, Duration::from_secs(5));
    assert_eq!(
        settings.server_timeouts().header_read,
        Duration::from_secs(3)
    );
    assert_eq!(settings.timeouts.client_body, Duration::from_secs(4));
    assert_eq!(settings.retries, 2);
    assert_eq!(settings.health.interval, Duration::from_millis(200));
    assert_eq!((settings.health.rise, settings.health.fall), (1, 3));
    assert_eq!(settings.ejection.after_failures, 5);
    assert_eq!(settings.ejection.duration, Duration::from_secs(1));
}

#[test]
fn a_bad_value_names_its_variable() {
    let cases = [
        ("GATEWAY_UPSTREAMS_SCANNER", "ftp://scanner:3002"),
        ("GATEWAY_UPSTREAMS_FRONTEND", " , "),
        ("GATEWAY_ROUTES", "/x=nowhere"),
        ("GATEWAY_PUBLIC_ROUTES", "no-slash"),
        ("GATEWAY_CORS_ORIGINS", "https://x.example/path"),
        ("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/40"),
        ("GATEWAY_RATE_LIMITS", "login=lots"),
        ("GATEWAY_MAX_BODY", "huge"),
        ("GATEWAY_CONNECT_TIMEOUT", "soon"),
        ("GATEWAY_RETRIES", "9"),
        ("GATEWAY_HEALTH_RISE", "0"),
        ("GATEWAY_EJECT_FOR", "0s"),
        ("GATEWAY_UPSTREAM_CA_FILE", "/nonexistent/ca.pem"),
    ];
    for (name, value) in cases {
        assert_eq!(error_names(&[(name, value)]), name, "{name}={value}");
    }
    let message = read(&[("GATEWAY_RETRIES", "9")]).unwrap_err().to_string();
    assert!(message.starts_with("GATEWAY_RETRIES: "), "{message}");
}

#[test]
fn a_group_without_upstreams_is_an_error() {
    let env: HashMap<String, String> = HashMap::new();
    let error = GatewaySettings::from_lookup(&config(), &UpstreamDefaults::default(), |n| {
        env.get(n).cloned()
    })
    .unwrap_err();
    assert!(
        error.to_string().starts_with("GATEWAY_UPSTREAMS_BACKEND"),
        "{error}"
    );
}

#[test]
fn https_upstreams_and_a_ca_file_of_certificates_are_accepted() {
    let dir = std::env::temp_dir();
    let not_pem = dir.join(format!(
        "bilten-gateway-not-a-ca-{}.pem",
        std::process::id()
    ));
    std::fs::write(&not_pem, "no certificate here").unwrap();
    assert_eq!(
        error_names(&[("GATEWAY_UPSTREAM_CA_FILE", not_pem.to_str().unwrap())]),
        "GATEWAY_UPSTREAM_CA_FILE"
    );
    std::fs::remove_file(&not_pem).unwrap();

    let settings = read(&[(
        "GATEWAY_UPSTREAMS_BACKEND",
        "https://bilten-api.azurewebsites.net,http://127.0.0.1:3001",
    )])
    .unwrap();
    assert!(settings.backend[0].https && !settings.backend[1].https);
}
