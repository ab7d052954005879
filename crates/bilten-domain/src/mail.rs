//! Where an outgoing mail stands in the outbox.

use crate::state::text_enum;

text_enum! {
    /// Where an outgoing mail stands.
    pub enum MailStatus {
        /// Waiting to be sent, or retried after a failed attempt.
        Pending => "pending",
        /// Accepted by the mail server.
        Sent => "sent",
        /// Given up on: out of attempts, or its recipient's data was erased.
        Failed => "failed",
    }
}
