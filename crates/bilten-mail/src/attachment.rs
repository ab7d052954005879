//! Files carried by an outbox mail, stored as JSON in `outbox_emails.attachments`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// One attached file, or (with `content_id`) an image the HTML body shows inline as
/// `<img src="cid:{content_id}">`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// The bytes, standard base64.
    pub base64: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
}

impl Attachment {
    /// A file the reader downloads (a PDF ticket).
    pub fn file(filename: impl Into<String>, content_type: &str, bytes: &[u8]) -> Self {
        Self {
            filename: filename.into(),
            content_type: content_type.to_owned(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            content_id: None,
        }
    }

    /// An image shown inside the HTML body where it says `cid:{content_id}`.
    pub fn inline(
        filename: impl Into<String>,
        content_type: &str,
        content_id: impl Into<String>,
        bytes: &[u8],
    ) -> Self {
        Self {
            content_id: Some(content_id.into()),
            ..Self::file(filename, content_type, bytes)
        }
    }
}
