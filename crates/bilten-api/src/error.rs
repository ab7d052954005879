//! The one error body of every role: `{"error": {"code", "message", "fields"}}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ErrorCode;

/// Every 4xx and 5xx answer of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"error": {"code": "validation_failed", "message": "Some fields are invalid.",
    "fields": {"password": {"code": "too_short", "message": "Use at least 8 characters."}}}}))]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code for programs, a message for people, and the fields at
/// fault when a request field is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The JSON field name (`buyer.email`, `items[0]`) → its own problem. Absent when no
    /// single field is at fault.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldProblem>,
}

/// One bad field. Field codes (`required`, `too_short`, `invalid`, `sold_out`, …) are their
/// own small vocabulary, listed in docs/API.md by feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    pub code: String,
    pub message: String,
}
