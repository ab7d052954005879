//! Files carried by a mail. A mail composed when it is sent (an order confirmation) hands its
//! attachments to the transport as bytes; a mail stored whole keeps them in
//! `outbox_emails.attachments` as JSON, with the bytes in standard base64.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One attached file, or (with `content_id`) an image the HTML body shows inline as
/// `<img src="cid:{content_id}">`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// The bytes (standard base64 in the stored JSON, under its historical name).
    #[serde(rename = "base64", with = "base64_text")]
    pub bytes: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
}

impl Attachment {
    /// A file the reader downloads (a PDF ticket).
    pub fn file(filename: impl Into<String>, content_type: &str, bytes: Vec<u8>) -> Self {
        Self {
            filename: filename.into(),
            content_type: content_type.to_owned(),
            bytes,
            content_id: None,
        }
    }

    /// An image shown inside the HTML body where it says `cid:{content_id}`.
    pub fn inline(
        filename: impl Into<String>,
        content_type: &str,
        content_id: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        Self {
            content_id: Some(content_id.into()),
            ..Self::file(filename, content_type, bytes)
        }
    }
}

/// Bytes as standard base64 text, the stored form.
mod base64_text {
    use base64::Engine as _;

    use super::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Attachment;

    #[test]
    fn the_stored_json_keeps_its_shape_and_round_trips() {
        let file = Attachment::file("t.pdf", "application/pdf", b"%PDF-1.7".to_vec());
        let json = serde_json::to_string(&[&file]).unwrap();
        assert_eq!(
            json,
            r#"[{"filename":"t.pdf","content_type":"application/pdf","base64":"JVBERi0xLjc="}]"#
        );
        let back: Vec<Attachment> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0].bytes, b"%PDF-1.7");
        let bad = r#"[{"filename":"t","content_type":"a/b","base64":"***"}]"#;
        assert!(serde_json::from_str::<Vec<Attachment>>(bad).is_err());
    }
}
