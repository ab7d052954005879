//! The pieces of an OpenAPI document every role that answers builds the same way: error
//! answers grouped by status, each code with its meaning and an example body. The backend and
//! the scanner each describe their own routes; how an error looks is said once, here.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, Response, ResponseBuilder};

use crate::ErrorCode;

/// `codes` grouped by the HTTP status they are answered with. `has_body` and `has_query` say
/// where `invalid_characters` can come from: a NUL in the body is a 422, in the query a 400.
pub fn by_status(
    codes: &[ErrorCode],
    has_body: bool,
    has_query: bool,
) -> BTreeMap<u16, Vec<ErrorCode>> {
    let mut grouped: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        for status in code.statuses() {
            let status = status.as_u16();
            let applies = match code {
                ErrorCode::InvalidCharacters => {
                    (status == 422) == has_body || status == 400 && has_query
                }
                _ => true,
            };
            if applies {
                grouped.entry(status).or_default().push(*code);
            }
        }
    }
    grouped
}

/// One error answer listing `codes` (all of one status): each code's meaning in the
/// description and an example `ErrorResponse` per code.
pub fn error_response(codes: &[ErrorCode]) -> Response {
    let description = codes
        .iter()
        .map(|code| format!("`{}`: {}", code.as_str(), code.meaning()))
        .collect::<Vec<_>>()
        .join("\n\n");
    let examples = codes.iter().map(|code| {
        let example = utoipa::openapi::example::ExampleBuilder::new()
            .value(Some(serde_json::json!({
                "error": {"code": code.as_str(), "message": code.meaning()}
            })))
            .build();
        (code.as_str(), example)
    });
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorResponse")))
        .examples_from_iter(examples)
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
        .build()
}

/// Compares a committed generated document (docs/openapi.json, docs/openapi-checkin.json) with
/// what the code generates now, for the snapshot tests; with `BILTEN_UPDATE_DOCS` set it
/// rewrites the file instead. `Err` says which file is stale and how to refresh it.
pub fn check_committed_document(
    path: &str,
    document: &utoipa::openapi::OpenApi,
) -> Result<(), String> {
    let generated = format!(
        "{}\n",
        document.to_pretty_json().map_err(|e| e.to_string())?
    );
    if std::env::var_os("BILTEN_UPDATE_DOCS").is_some() {
        return std::fs::write(path, &generated).map_err(|e| format!("{path}: {e}"));
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == generated {
        Ok(())
    } else {
        Err(format!(
            "{path} is stale: run BILTEN_UPDATE_DOCS=1 cargo test --workspace --locked --lib \
             openapi, and review the diff"
        ))
    }
}
