//! What must hold in the database after any fault, checked with SQL (`psql`) on the test's
//! own database: nothing the service acknowledged is missing, paid means tickets and tickets
//! mean paid, and every counter equals the rows it counts.

use super::load::Acknowledged;
use crate::processes::api::db_id;
use crate::processes::psql;

/// One number from one SQL statement.
fn count(database: &str, sql: &str) -> i64 {
    psql(database, sql)[0]
        .parse()
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every order acknowledged with 201 exists, and every payment acknowledged with 200 left
/// its order `paid` with all of its tickets valid.
pub fn assert_nothing_lost(database: &str, acknowledged: &[Acknowledged]) {
    for chunk in acknowledged.chunks(200) {
        let list = |paid_only: bool| {
            chunk
                .iter()
                .filter(|a| a.paid || !paid_only)
                .map(|a| format!("'{}'", db_id(&a.order)))
                .collect::<Vec<_>>()
                .join(",")
        };
        let all = list(false);
        let found = count(
            database,
            &format!("SELECT COUNT(*) FROM orders WHERE id IN ({all})"),
        );
        assert_eq!(found, chunk.len() as i64, "acknowledged orders are missing");
        let paid = chunk.iter().filter(|a| a.paid).count() as i64;
        if paid > 0 {
            let paid_list = list(true);
            let intact = count(
                database,
                &format!(
                    "SELECT COUNT(*) FROM orders o WHERE o.id IN ({paid_list}) AND o.status = 'paid'
                       AND o.quantity = (SELECT COUNT(*) FROM tickets t
                                         WHERE t.order_id = o.id AND t.status = 'valid')"
                ),
            );
            assert_eq!(
                intact, paid,
                "acknowledged payments whose order is not paid with all its tickets"
            );
        }
    }
}

/// The invariants of the whole database, each as a query that must count 0.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "paid orders without all their tickets",
        "SELECT COUNT(*) FROM orders o WHERE o.status = 'paid'
           AND o.quantity <> (SELECT COUNT(*) FROM tickets t
                              WHERE t.order_id = o.id AND t.status = 'valid')",
    ),
    (
        "tickets whose order is not paid",
        "SELECT COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id
         WHERE o.status <> 'paid'",
    ),
    (
        "paid orders without exactly one succeeded payment (free orders have none)",
        "SELECT COUNT(*) FROM orders o WHERE o.status = 'paid' AND o.total_minor > 0
           AND (SELECT COUNT(*) FROM payments p
                WHERE p.order_id = o.id AND p.status = 'succeeded') <> 1",
    ),
    (
        "succeeded payments of orders that are not paid",
        "SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id
         WHERE p.status = 'succeeded' AND o.status <> 'paid'",
    ),
    (
        "buyer counters that differ from the buyer's live (pending or paid) orders",
        "SELECT COUNT(*) FROM buyer_event_counts b WHERE b.quantity <>
           COALESCE((SELECT SUM(o.quantity) FROM orders o
                     WHERE o.event_id = b.event_id AND o.buyer_key = b.buyer_key
                       AND (o.status = 'paid'
                            OR (o.status = 'pending' AND o.released_at IS NULL))), 0)",
    ),
    (
        "paid orders without their one confirmation mail",
        "SELECT (SELECT COUNT(*) FROM orders WHERE status = 'paid')
              - (SELECT COUNT(*) FROM outbox_emails
                 WHERE dedupe_key LIKE 'order-confirmation:%')",
    ),
];

/// The counters' invariants: each counter equals the rows it counts. Live inventory leases
/// count as held on the counters until they are settled, so the counters are read as buyers
/// see them, through the store's own definition of what the leases hold.
fn counter_invariants() -> [(&'static str, String); 2] {
    use bilten_store::leases::{
        held_by_leases_of_quota, held_by_leases_of_type, sold_by_leases_of_quota,
        sold_by_leases_of_type,
    };
    let (type_sold, type_held) = (
        format!("(tt.sold + {})", sold_by_leases_of_type("tt.id")),
        format!("(tt.held - {})", held_by_leases_of_type("tt.id")),
    );
    let (quota_sold, quota_held) = (
        format!("(q.sold + {})", sold_by_leases_of_quota("q.id")),
        format!("(q.held - {})", held_by_leases_of_quota("q.id")),
    );
    [
        (
            "ticket types whose sold/held differ from their tickets and live order lines",
            format!(
                "SELECT COUNT(*) FROM ticket_types tt WHERE
                      {type_sold} <> (SELECT COUNT(*) FROM tickets t
                                      WHERE t.ticket_type_id = tt.id AND t.status = 'valid')
                   OR {type_sold} <> COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                                      JOIN orders o ON o.id = l.order_id
                                      WHERE l.ticket_type_id = tt.id AND o.status = 'paid'), 0)
                   OR {type_held} <> COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                                      JOIN orders o ON o.id = l.order_id
                                      WHERE l.ticket_type_id = tt.id AND o.status = 'pending'
                                        AND o.released_at IS NULL), 0)"
            ),
        ),
        (
            "quotas whose sold/held differ from the tickets and live order lines of their types",
            format!(
                "SELECT COUNT(*) FROM quotas q WHERE
                      {quota_sold} <> (SELECT COUNT(*) FROM tickets t
                             JOIN quota_ticket_types m ON m.ticket_type_id = t.ticket_type_id
                             WHERE m.quota_id = q.id AND t.status = 'valid')
                   OR {quota_held} <> COALESCE((SELECT SUM(l.quantity) FROM order_lines l
                             JOIN orders o ON o.id = l.order_id
                             JOIN quota_ticket_types m ON m.ticket_type_id = l.ticket_type_id
                             WHERE m.quota_id = q.id AND o.status = 'pending'
                               AND o.released_at IS NULL), 0)"
            ),
        ),
    ]
}

/// Every invariant holds on `database` (a test's own, whole database).
pub fn assert_ledger_balanced(database: &str) {
    let counters = counter_invariants();
    let broken: Vec<String> = INVARIANTS
        .iter()
        .copied()
        .chain(counters.iter().map(|(what, sql)| (*what, sql.as_str())))
        .filter_map(|(what, sql)| {
            let n = count(database, sql);
            (n != 0).then(|| format!("{what}: {n}"))
        })
        .collect();
    assert!(
        broken.is_empty(),
        "the ledger does not balance: {broken:#?}"
    );
}
