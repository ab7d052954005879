//! What rendering a ticket's files costs (the QR code as a PNG and the PDF ticket, the work a
//! confirmation mail does per ticket), measured in this process on the production code
//! ([`bilten_backend::tickets::render::ticket_files`]) with freshly signed codes.
//!
//! The mail drain row shows the whole mail worker (database, MIME, delivery); this isolates
//! the rendering, which the target (≤ 2 ms CPU per ticket) is about.

use bilten_backend::tickets::render::{ticket_files, TicketSheet};
use bilten_domain::ticket_code::{TicketClaims, TicketSigner};
use bilten_domain::{TicketId, TicketTypeId};

use super::measure::cpu_ticks;

/// Tickets rendered: enough for the 10 ms `/proc` tick to be under 1 % of the total.
const TICKETS: usize = 2_000;

/// CPU milliseconds per ticket rendered, or `None` when a rendering failed or `/proc` could
/// not be read.
pub async fn ms_per_ticket() -> Option<f64> {
    tokio::task::spawn_blocking(|| {
        let signer = TicketSigner::from_seed([7; 32]);
        let venue = ["Dom mladih".to_owned(), "Sarajevo, BA".to_owned()];
        let codes: Vec<(String, String)> = (0..TICKETS)
            .map(|_| {
                let id = TicketId::new();
                let claims = TicketClaims {
                    ticket_id: id,
                    ticket_type_id: TicketTypeId::new(),
                    valid_from: 0,
                    valid_until: 0,
                };
                (id.to_string(), signer.sign(&claims))
            })
            .collect();
        let before = cpu_ticks(std::process::id())?;
        for (ticket_id, code) in &codes {
            ticket_files(&TicketSheet {
                locale: bilten_i18n::Locale::En,
                event_title: "Flash Sale Night",
                when: "Saturday, 1 June 2030, 21:00 – 01:00 (Europe/Sarajevo)",
                venue: &venue,
                holder: "Ada Lovelace",
                ticket_type: "General admission",
                ticket_id,
                order_id: ticket_id,
                code,
            })
            .ok()?;
        }
        let ticks = cpu_ticks(std::process::id())? - before;
        // /proc counts in ticks of 10 ms.
        Some(ticks as f64 * 10.0 / TICKETS as f64)
    })
    .await
    .ok()
    .flatten()
}
