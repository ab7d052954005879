//! Where people reach the web app (`PUBLIC_URL`, the base of every link in a mail).
//!
//! Production must say it. In development the default used to be a fixed
//! `http://localhost:3000`, which sent every mail link to the wrong place as soon as the
//! frontend was moved (`bilten serve --frontend-port 4000`, the README's "ports taken?").
//! Unless `PUBLIC_URL` is set, development now derives it from the address the frontend was
//! actually bound to, once that listener exists.

use std::net::{IpAddr, SocketAddr};

use crate::Config;

/// The default before any listener is bound (the frontend's default port).
pub(crate) const DEVELOPMENT_DEFAULT: &str = "http://localhost:3000";

/// The URL of a frontend bound to `bound` on this machine. A loopback or wildcard address is
/// named `localhost` (what a developer types, and what a mail link should say); a specific
/// address is kept, since only it reaches the process.
pub fn development_url(bound: SocketAddr) -> String {
    let host = match bound.ip() {
        ip if ip.is_loopback() || ip.is_unspecified() => "localhost".to_owned(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    format!("http://{host}:{}", bound.port())
}

impl Config {
    /// Whether `public_url` came from `PUBLIC_URL` (and so is never replaced).
    pub fn public_url_is_set(&self) -> bool {
        self.public_url_set
    }

    /// Called once the frontend's listener is bound: in development without `PUBLIC_URL`,
    /// links point at that listener. Production keeps its configured (or default) value.
    pub fn use_frontend_address(&mut self, bound: SocketAddr) {
        if !self.public_url_set && !self.app_env.is_production() {
            self.public_url = development_url(bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap()
    }

    #[test]
    fn development_links_follow_the_bound_frontend_port() {
        let mut c = config(&[]);
        assert_eq!(c.public_url, DEVELOPMENT_DEFAULT);
        c.use_frontend_address("127.0.0.1:4000".parse().unwrap());
        assert_eq!(c.public_url, "http://localhost:4000");
    }

    #[test]
    fn the_bound_address_is_named_as_a_person_reaches_it() {
        for (bound, url) in [
            ("127.0.0.1:4000", "http://localhost:4000"),
            ("0.0.0.0:3000", "http://localhost:3000"),
            ("[::1]:8081", "http://localhost:8081"),
            ("192.168.1.20:4000", "http://192.168.1.20:4000"),
            ("[fd00::1]:4000", "http://[fd00::1]:4000"),
        ] {
            assert_eq!(development_url(bound.parse().unwrap()), url, "{bound}");
        }
    }

    #[test]
    fn a_set_public_url_is_never_replaced() {
        let mut c = config(&[("PUBLIC_URL", "https://tickets.example.com/")]);
        c.use_frontend_address("127.0.0.1:4000".parse().unwrap());
        assert_eq!(c.public_url, "https://tickets.example.com");
        assert!(c.public_url_is_set());
    }
}
