//! What `POST /purchases` and `POST /orders` answer: the contract's own types
//! (`bilten_api::orders`, `bilten_api::tickets`), serialized straight to the response without
//! intermediate JSON maps. The engine builds them under the names it always used.

pub use bilten_api::orders::{
    Buyer as BuyerView, Order as OrderView, OrderLine as LineView, Payment as PaymentView,
};
pub use bilten_api::tickets::{Ticket as TicketView, TicketEvent as TicketEventView};
