//! `X-Request-Id`: kept when a caller (the gateway) sent a sane one, created otherwise,
//! echoed on the response and recorded on the request's tracing span. Each request also
//! gets one access-log line when it is answered (target `access`, level info): method,
//! matched route, status, latency and request id.

use axum::http::HeaderValue;

pub const HEADER: &str = "x-request-id";

/// The id of the request being served, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| text.to_owned())
}

/// Probes and scrapes that arrive every few seconds from orchestrators and Prometheus: their
/// access lines are at debug, so the info log is about people's requests.
pub(crate) const QUIET_ROUTES: &[&str] = &["/health", "/ready", "/metrics"];

/// The id for a request: the caller's when it sent a sane one, a new one otherwise.
pub(crate) fn for_request(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(HEADER)
        .and_then(acceptable)
        .unwrap_or_else(new_id)
}

/// A new version 7 UUID (time-ordered, as the ids in the logs are read by time) from the thread's
/// random generator: `Uuid::now_v7` asks the kernel for its random bits, one system call
/// per request.
fn new_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let random: [u8; 10] = rand::random();
    uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .simple()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_distinct_time_ordered_version_7_uuids() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        for id in &ids {
            let uuid = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version_num(), 7, "{id}");
            assert_eq!(id.len(), 32);
        }
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), ids.len(), "no id repeats");
        let millis = |id: &str| u64::from_str_radix(&id[..12], 16).unwrap();
        assert!(millis(&ids[0]) <= millis(&ids[999]));
    }

    #[test]
    fn a_sane_caller_id_is_kept_and_anything_else_replaced() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("trace-abc_1.2:3"));
        assert_eq!(for_request(&headers), "trace-abc_1.2:3");
        headers.insert(HEADER, HeaderValue::from_static("has space"));
        assert_ne!(for_request(&headers), "has space");
        assert_eq!(for_request(&headers).len(), 32);
    }
}
