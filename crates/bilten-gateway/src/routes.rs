//! The routing table: which upstream group serves a path, by longest path-segment prefix.
//!
//! Prefixes match whole segments: `/api/v1` serves `/api/v1` and `/api/v1/…`, never
//! `/api/v1x`. The table always has `/` (the frontend by default), so every path has a home.

use std::fmt;

/// The kinds of replica behind the gateway. Fixed, because each is a role of the `bilten`
/// binary with its own `GATEWAY_UPSTREAMS_*` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    Backend,
    Scanner,
    Frontend,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Backend, Group::Scanner, Group::Frontend];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backend => "backend",
            Self::Scanner => "scanner",
            Self::Frontend => "frontend",
        }
    }

    /// The variable listing this group's upstreams.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::Backend => "GATEWAY_UPSTREAMS_BACKEND",
            Self::Scanner => "GATEWAY_UPSTREAMS_SCANNER",
            Self::Frontend => "GATEWAY_UPSTREAMS_FRONTEND",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text.trim())
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub prefix: String,
    pub group: Group,
}

/// Paths the gateway answers itself; a route may not take them.
const RESERVED: [&str; 3] = ["/health", "/ready", "/metrics"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    /// Longest prefix first.
    routes: Vec<Route>,
}

impl Default for RouteTable {
    /// `/api/v1/checkin` → scanner, `/api/v1` → backend, `/api/docs` (the API reference)
    /// → backend, `/webhooks` → backend, everything else → frontend.
    fn default() -> Self {
        let mut table = Self { routes: Vec::new() };
        for (prefix, group) in [
            ("/api/v1/checkin", Group::Scanner),
            ("/api/v1", Group::Backend),
            ("/api/docs", Group::Backend),
            ("/webhooks", Group::Backend),
            ("/", Group::Frontend),
        ] {
            table.set(prefix.to_owned(), group);
        }
        table
    }
}

impl RouteTable {
    /// The defaults with `overrides` applied: `prefix=group` items separated by commas, e.g.
    /// `/admin=backend,/webhooks=frontend`. An item replaces the default with the same
    /// prefix or adds a new one.
    pub fn with_overrides(overrides: &str) -> Result<Self, String> {
        let mut table = Self::default();
        for item in overrides
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let Some((prefix, group)) = item.split_once('=') else {
                return Err(format!("expected prefix=group, got {item:?}"));
            };
            let prefix = normalize_prefix(prefix.trim())?;
            let group = Group::parse(group).ok_or_else(|| {
                format!("{group:?} is not a group (expected backend, scanner or frontend)")
            })?;
            table.set(prefix, group);
        }
        Ok(table)
    }

    fn set(&mut self, prefix: String, group: Group) {
        self.routes.retain(|r| r.prefix != prefix);
        self.routes.push(Route { prefix, group });
        self.routes.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then(a.prefix.cmp(&b.prefix))
        });
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The group serving `path` (longest matching prefix).
    pub fn group_for(&self, path: &str) -> Group {
        self.routes
            .iter()
            .find(|r| prefix_matches(&r.prefix, path))
            .map_or(Group::Frontend, |r| r.group)
    }

    /// Groups some route sends traffic to.
    pub fn groups_in_use(&self) -> Vec<Group> {
        let mut groups: Vec<Group> = self.routes.iter().map(|r| r.group).collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }
}

/// `prefix` covers `path` on a segment boundary.
pub(crate) fn prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A prefix is `/` or `/seg/seg` with URL-safe characters: it becomes an axum route, so
/// route syntax (`{`, `*`) and empty segments are refused here with a readable message.
fn normalize_prefix(text: &str) -> Result<String, String> {
    if text == "/" {
        return Ok("/".to_owned());
    }
    let trimmed = text.trim_end_matches('/');
    let valid = trimmed.starts_with('/')
        && !trimmed.contains("//")
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    if !valid {
        return Err(format!(
            "{text:?} is not a path prefix like /api/v1 (letters, digits, - . _ ~ and /)"
        ));
    }
    if RESERVED
        .iter()
        .any(|reserved| prefix_matches(reserved, trimmed) || prefix_matches(trimmed, reserved))
    {
        return Err(format!(
            "{text:?} overlaps the gateway's own /health, /ready or /metrics"
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_sends_checkin_to_the_scanner_and_pages_to_the_frontend() {
        let table = RouteTable::default();
        assert_eq!(table.group_for("/api/v1/checkin"), Group::Scanner);
        assert_eq!(table.group_for("/api/v1/checkin/scan"), Group::Scanner);
        assert_eq!(table.group_for("/api/v1/checkins"), Group::Backend);
        assert_eq!(table.group_for("/api/v1/events"), Group::Backend);
        assert_eq!(table.group_for("/api/v1"), Group::Backend);
        assert_eq!(table.group_for("/api/v10"), Group::Frontend);
        assert_eq!(table.group_for("/webhooks/stripe"), Group::Backend);
        assert_eq!(table.group_for("/api/docs/index.html"), Group::Backend);
        assert_eq!(table.group_for("/"), Group::Frontend);
        assert_eq!(table.group_for("/events/rock-night"), Group::Frontend);
    }

    #[test]
    fn overrides_replace_or_add_prefixes() {
        let table = RouteTable::with_overrides("/webhooks=frontend, /admin/=backend").unwrap();
        assert_eq!(table.group_for("/webhooks/stripe"), Group::Frontend);
        assert_eq!(table.group_for("/admin/users"), Group::Backend);
        assert_eq!(table.routes().len(), 6);
    }

    #[test]
    fn bad_overrides_are_refused_with_a_reason() {
        for bad in [
            "/api=db",
            "api=backend",
            "/a/{id}=backend",
            "/a//b=backend",
            "/health=backend",
            "/metrics/x=backend",
            "/nogroup",
        ] {
            assert!(RouteTable::with_overrides(bad).is_err(), "{bad}");
        }
    }
}
