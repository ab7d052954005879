//! NUL characters (U+0000) in request text: refused where text enters, for every route.
//!
//! PostgreSQL cannot store NUL in `TEXT` (the driver fails, which used to surface as a 500),
//! while SQLite stores it silently; neither is text a person meant to send. Rather than each
//! handler and each domain type remembering this, the JSON and query extractors refuse it
//! once, with one stable code, so the same request gets the same answer on both engines.

use axum::http::StatusCode;
use serde_json::Value;

use crate::ApiError;
use bilten_api::ErrorCode;

/// The error code for text containing NUL, in bodies (422) and query strings (400).
/// The error code, and the field code of the field that holds the NUL.
pub const CODE: ErrorCode = ErrorCode::InvalidCharacters;
const MESSAGE: &str = "Text may not contain NUL characters (U+0000).";

/// Whether a JSON text contains a string with a NUL. A raw 0x00 byte is not valid JSON (the
/// parser refuses it), so NUL can only arrive as the escape `\u0000`; escapes are walked in
/// order so an escaped backslash followed by `u0000` (the six characters `\u0000`) is not
/// mistaken for one.
pub(crate) fn json_has_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0 => return true,
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                // Skip the escaped character (for `\uXXXX` the hex digits are plain bytes).
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// The path (`items[0].attendees[1]`, `buyer.name`) of the first string value holding a
/// NUL, to name the field in the error; `None` when it is in a key (or not found).
fn path_of_nul(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(String::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            path_of_nul(item).map(|rest| join(&format!("[{index}]"), &rest))
        }),
        Value::Object(map) => map
            .iter()
            .find_map(|(key, item)| path_of_nul(item).map(|rest| join(key, &rest))),
        _ => None,
    }
}

fn join(head: &str, rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        format!("{head}{rest}")
    } else {
        format!("{head}.{rest}")
    }
}

/// 422 for a body with NUL in it, naming the field when it is a value.
pub(crate) fn body_error(bytes: &[u8]) -> ApiError {
    let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, CODE, MESSAGE);
    let field = serde_json::from_slice::<Value>(bytes)
        .ok()
        .as_ref()
        .and_then(path_of_nul)
        .filter(|path| !path.is_empty());
    match field {
        Some(path) => error.with_field(&path, CODE.as_str(), MESSAGE),
        None => error,
    }
}

/// 400 for a query string with NUL in a name or value, naming the parameter.
pub(crate) fn query_error(name: &str) -> ApiError {
    let error = ApiError::bad_request(CODE, MESSAGE);
    let name = name.replace('\0', "");
    if name.is_empty() {
        error
    } else {
        error.with_field(&name, CODE.as_str(), MESSAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_look_alikes_are_not() {
        assert!(json_has_nul(br#"{"a":"x\u0000y"}"#));
        assert!(json_has_nul(br#"{"a\u0000":1}"#));
        assert!(json_has_nul(br#"["\\\u0000"]"#));
        assert!(json_has_nul(b"{\"a\":\"\0\"}"));
        // An escaped backslash then the letters u0000: no NUL.
        assert!(!json_has_nul(br#"{"a":"\\u0000"}"#));
        assert!(json_has_nul(br#"{"a":"\u00000"}"#));
        assert!(!json_has_nul(br#"{"a":"\u0001 \n \" \\"}"#));
        assert!(!json_has_nul(br#"{"a":"\"#));
    }

    #[test]
    fn the_error_names_the_field() {
        let error =
            body_error(br#"{"buyer":{"name":"a\u0000"},"items":[{"n":"x"},{"n":"\u0000"}]}"#);
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.code, CODE);
        assert!(
            error.fields.contains_key("buyer.name"),
            "{:?}",
            error.fields
        );
        let error = body_error(br#"[["ok", "\u0000"]]"#);
        assert!(error.fields.contains_key("[0][1]"), "{:?}", error.fields);
        let error = body_error(br#"{"k\u0000":1}"#);
        assert!(error.fields.is_empty());
    }
}
