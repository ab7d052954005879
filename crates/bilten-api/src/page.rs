//! Cursor pagination.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One page of a list: ask again with `cursor=next_cursor` for the next one; `next_cursor`
/// is `null` on the last page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
