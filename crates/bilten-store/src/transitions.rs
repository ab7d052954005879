//! Every state change the store applies, tried from every state, on both engines: a change
//! writes its target exactly when the row is in one of the states the domain's
//! [`Transition`](bilten_domain::Transition) starts from, and leaves every other row as it
//! was. Together with the domain's tests (each machine refuses every illegal pair, and a
//! `Transition` cannot be made otherwise), this is the proof that the database only ever takes
//! the steps the state machines allow. Roles, which have no machine, are checked to be stored
//! and read as the enum's names.

use bilten_domain::{
    EventId, EventStatus, OrderId, OrderStatus, PaymentId, PaymentStatus, RefundId, RefundStatus,
    RevocationReason, StateMachine, TextEnum, TicketId, TicketStatus, TicketTypeId, Transition,
    UserId,
};
use chrono::{DateTime, TimeZone, Utc};
use sqlx::AnyPool;

use crate::{events, orders, payments, refunds, sales, testing, tickets, Dialect, StoreError};

fn now() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_000_000).unwrap()
}

/// One organization, user, event (published) and ticket type; rows under test hang off them.
struct Fixture {
    pool: AnyPool,
    user: UserId,
    org: bilten_domain::OrganizationId,
    event: EventId,
    ticket_type: TicketTypeId,
}

async fn fixture(pool: AnyPool) -> Fixture {
    let (user, org, event, ticket_type) = (
        UserId::new(),
        bilten_domain::OrganizationId::new(),
        EventId::new(),
        TicketTypeId::new(),
    );
    for sql in [
        format!(
            "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at, updated_at)
             VALUES ('{}', 'a@example.com', 'A', 'h', 0, 0, 0)",
            user.to_db()
        ),
        format!(
            "INSERT INTO organizations (id, name, created_by, created_at, updated_at)
             VALUES ('{}', 'Org', '{}', 0, 0)",
            org.to_db(),
            user.to_db()
        ),
        format!(
            "INSERT INTO events (id, organization_id, title, starts_at, ends_at, timezone, currency, category, created_at, updated_at)
             VALUES ('{}', '{}', 'Event', 1, 2, 'UTC', 'EUR', 'music', 0, 0)",
            event.to_db(),
            org.to_db()
        ),
        format!(
            "INSERT INTO ticket_types (id, event_id, name, price_minor, capacity, created_at, updated_at)
             VALUES ('{}', '{}', 'Standard', 100, 1000, 0, 0)",
            ticket_type.to_db(),
            event.to_db()
        ),
    ] {
        sqlx::query(&sql).execute(&pool).await.unwrap();
    }
    Fixture {
        pool,
        user,
        org,
        event,
        ticket_type,
    }
}

impl Fixture {
    /// A new order in `status`; `released`: whether its hold was released (and ran out).
    async fn order(&self, status: OrderStatus, released: bool) -> OrderId {
        let id = OrderId::new();
        let released_at = if released { "0" } else { "NULL" };
        sqlx::query(&format!(
            "INSERT INTO orders (id, event_id, buyer_key, buyer_email, buyer_name, status, expires_at,
                total_minor, currency, quantity, idempotency_key, request_hash, released_at,
                created_at, updated_at)
             VALUES ('{id}', '{event}', 'k', 'b@example.com', 'B', '{status}', 0, 100, 'EUR', 1,
                '{id}', 'h', {released_at}, 0, 0)",
            id = id.to_db(),
            event = self.event.to_db(),
        ))
        .execute(&self.pool)
        .await
        .unwrap();
        id
    }

    async fn payment(&self, status: PaymentStatus) -> (OrderId, PaymentId) {
        let order = self.order(OrderStatus::Pending, false).await;
        let id = PaymentId::new();
        sqlx::query(&format!(
            "INSERT INTO payments (id, order_id, provider, status, amount_minor, currency, created_at, updated_at)
             VALUES ('{}', '{}', 'test', '{status}', 100, 'EUR', 0, 0)",
            id.to_db(),
            order.to_db()
        ))
        .execute(&self.pool)
        .await
        .unwrap();
        (order, id)
    }

    async fn ticket(&self, order: OrderId, status: TicketStatus) -> TicketId {
        let id = TicketId::new();
        sqlx::query(&format!(
            "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, attendee_name, code, key_version, status, issued_at, updated_at)
             VALUES ('{id}', '{}', '{}', '{}', 'A', 'code-{id}', 1, '{status}', 0, 0)",
            order.to_db(),
            self.event.to_db(),
            self.ticket_type.to_db(),
            id = id.to_db(),
        ))
        .execute(&self.pool)
        .await
        .unwrap();
        id
    }

    async fn refund(&self, status: RefundStatus) -> RefundId {
        let order = self.order(OrderStatus::Paid, false).await;
        let id = RefundId::new();
        sqlx::query(&format!(
            "INSERT INTO refunds (id, order_id, amount_minor, currency, reason, status, created_at, updated_at)
             VALUES ('{}', '{}', 100, 'EUR', 'requested', '{status}', 0, 0)",
            id.to_db(),
            order.to_db()
        ))
        .execute(&self.pool)
        .await
        .unwrap();
        id
    }

    /// A new event in `status` with a ticket type (so it could be published).
    async fn event(&self, status: EventStatus) -> EventId {
        let org = self.org.to_db();
        let id = EventId::new();
        for sql in [
            format!(
                "INSERT INTO events (id, organization_id, title, starts_at, ends_at, timezone, currency, category, status, created_at, updated_at)
                 VALUES ('{}', '{org}', 'Event', 1, 2, 'UTC', 'EUR', 'music', '{status}', 0, 0)",
                id.to_db()
            ),
            format!(
                "INSERT INTO ticket_types (id, event_id, name, price_minor, capacity, created_at, updated_at)
                 VALUES ('{}', '{}', 'Standard', 100, 10, 0, 0)",
                TicketTypeId::new().to_db(),
                id.to_db()
            ),
        ] {
            sqlx::query(&sql).execute(&self.pool).await.unwrap();
        }
        id
    }

    async fn status_of(&self, table: &str, id: &str) -> String {
        sqlx::query_scalar(&format!("SELECT status FROM {table} WHERE id = '{id}'"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Asserts what one change did to a row that was in `from`: it took `t` exactly when `from`
/// is one of `t`'s starting states, and the row is now in `t`'s target or still in `from`.
fn check<S: StateMachine, const N: usize>(
    what: &str,
    t: Transition<S, N>,
    from: S,
    changed: bool,
    now_in: &str,
) {
    let expected = t.from().contains(&from);
    assert_eq!(changed, expected, "{what} from {from}");
    let state = if expected { t.to() } else { from };
    assert_eq!(
        now_in,
        state.as_str(),
        "{what} from {from}: the row's state"
    );
}

async fn orders_change_only_by_their_transitions(f: &Fixture) {
    let ex = &f.pool;
    for &from in OrderStatus::ALL {
        // Holds end (expire, cancel) only while unreleased; the hold ran out at 0.
        for t in [OrderStatus::expire(), OrderStatus::cancel_pending()] {
            let id = f.order(from, false).await;
            let changed = orders::end_hold(ex, id, t, now()).await.unwrap();
            let state = f.status_of("orders", &id.to_db()).await;
            check("end_hold", t, from, changed, &state);
        }
        let id = f.order(from, false).await;
        let changed = sales::mark_paid_from_hold(ex, id, OrderStatus::pay(), now())
            .await
            .unwrap();
        let state = f.status_of("orders", &id.to_db()).await;
        check("pay", OrderStatus::pay(), from, changed, &state);

        let t = OrderStatus::pay_after_expiry();
        let id = f.order(from, true).await;
        let changed = sales::mark_paid_after_expiry(ex, id, t, now())
            .await
            .unwrap();
        let state = f.status_of("orders", &id.to_db()).await;
        check("pay_after_expiry", t, from, changed, &state);

        let t = OrderStatus::refund_unfilled();
        let id = f.order(from, true).await;
        let changed = sales::mark_refunded_unfilled(ex, id, t, now())
            .await
            .unwrap();
        let state = f.status_of("orders", &id.to_db()).await;
        check("refund_unfilled", t, from, changed, &state);

        // Settling a refund: with a valid ticket left the order is partially refunded, with
        // none it is refunded.
        for some_left in [true, false] {
            let id = f.order(from, false).await;
            if some_left {
                f.ticket(id, TicketStatus::Valid).await;
            }
            let (part, all) = (OrderStatus::refund_part(), OrderStatus::refund_all());
            let settled = refunds::settle_order_status(ex, id, part, all, now()).await;
            let changed = match settled {
                Ok(status) => {
                    assert_eq!(status, if some_left { part.to() } else { all.to() });
                    true
                }
                Err(StoreError::NotFound) => false,
                Err(e) => panic!("settle from {from}: {e}"),
            };
            let state = f.status_of("orders", &id.to_db()).await;
            let t = if some_left { part } else { all };
            check("settle_order_status", t, from, changed, &state);
        }
    }
}

async fn payments_change_only_by_their_transitions(f: &Fixture) {
    let ex = &f.pool;
    for &from in PaymentStatus::ALL {
        for t in [PaymentStatus::fail(), PaymentStatus::cancel()] {
            let (_, id) = f.payment(from).await;
            let changed = payments::close(ex, id, t, "code", now()).await.unwrap();
            check(
                "close",
                t,
                from,
                changed,
                &f.status_of("payments", &id.to_db()).await,
            );

            let (_, id) = f.payment(from).await;
            let changed = payments::record_decline(ex, id, "declined", Some(t), now())
                .await
                .unwrap();
            let state = f.status_of("payments", &id.to_db()).await;
            check("record_decline", t, from, changed, &state);
        }
        // A decline that is not final changes no state, and only a pending attempt's.
        let (_, id) = f.payment(from).await;
        let changed = payments::record_decline(ex, id, "declined", None, now())
            .await
            .unwrap();
        assert_eq!(
            changed,
            from == PaymentStatus::Pending,
            "decline from {from}"
        );
        assert_eq!(f.status_of("payments", &id.to_db()).await, from.as_str());

        let t = PaymentStatus::succeed();
        let (_, id) = f.payment(from).await;
        let changed = payments::mark_succeeded(ex, id, t, now()).await.unwrap();
        check(
            "succeed",
            t,
            from,
            changed,
            &f.status_of("payments", &id.to_db()).await,
        );

        let t = PaymentStatus::refund();
        let (_, id) = f.payment(from).await;
        let changed = payments::mark_refunded(ex, id, t, now()).await.unwrap();
        check(
            "refund",
            t,
            from,
            changed,
            &f.status_of("payments", &id.to_db()).await,
        );

        let t = PaymentStatus::cancel();
        let (order, id) = f.payment(from).await;
        let changed = payments::cancel_pending_for_order(ex, order, t, now())
            .await
            .unwrap();
        let state = f.status_of("payments", &id.to_db()).await;
        check("cancel_pending_for_order", t, from, changed == 1, &state);
    }
}

async fn tickets_change_only_by_their_transitions(f: &Fixture) {
    for &from in TicketStatus::ALL {
        let order = f.order(OrderStatus::Paid, false).await;
        let id = f.ticket(order, from).await;
        let mut tx = crate::Tx::unguarded(f.pool.begin().await.unwrap());
        let t = TicketStatus::cancel();
        let canceled =
            tickets::cancel_tickets(&mut tx, &[id], t, RevocationReason::Refunded, now())
                .await
                .unwrap();
        tx.commit().await.unwrap();
        let state = f.status_of("tickets", &id.to_db()).await;
        check("cancel_tickets", t, from, canceled == [id], &state);

        let id = f.ticket(order, from).await;
        let replacement_id = TicketId::new();
        let replacement = tickets::NewTicket {
            id: replacement_id,
            order_id: order,
            event_id: f.event,
            ticket_type_id: f.ticket_type,
            attendee_name: "New",
            code: &format!("code-{}", replacement_id.to_db()),
            key_version: 1,
            now: now(),
        };
        let mut tx = crate::Tx::unguarded(f.pool.begin().await.unwrap());
        let t = TicketStatus::revoke();
        let reissued = tickets::reissue(&mut tx, id, t, &replacement)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        check(
            "reissue",
            t,
            from,
            reissued,
            &f.status_of("tickets", &id.to_db()).await,
        );
    }
}

async fn refunds_and_events_change_only_by_their_transitions(f: &Fixture) {
    let ex = &f.pool;
    for &from in RefundStatus::ALL {
        let t = RefundStatus::succeed();
        let id = f.refund(from).await;
        let changed = refunds::mark_succeeded(ex, id, t, Some("re_1"), now())
            .await
            .unwrap();
        check(
            "refund succeed",
            t,
            from,
            changed,
            &f.status_of("refunds", &id.to_db()).await,
        );
    }
    for &from in EventStatus::ALL {
        let t = EventStatus::publish();
        let id = f.event(from).await;
        let changed = events::publish(ex, id, t, now()).await.unwrap();
        check(
            "publish",
            t,
            from,
            changed,
            &f.status_of("events", &id.to_db()).await,
        );

        let t = EventStatus::unpublish();
        let id = f.event(from).await;
        let changed = events::unpublish(ex, id, t, f.user, now()).await.unwrap();
        check(
            "unpublish",
            t,
            from,
            changed,
            &f.status_of("events", &id.to_db()).await,
        );

        let t = EventStatus::cancel();
        let id = f.event(from).await;
        let changed = refunds::cancel_event(ex, id, t, now()).await.unwrap();
        check(
            "cancel_event",
            t,
            from,
            changed,
            &f.status_of("events", &id.to_db()).await,
        );
    }
}

/// Roles are enums to the database too: every `OrgRole` is stored and read back as itself,
/// and the table's `CHECK` refuses a name the enum does not have.
async fn every_role_is_stored_and_read_as_itself(f: &Fixture) {
    use bilten_domain::OrgRole;
    for &role in OrgRole::ALL {
        let org = bilten_domain::OrganizationId::new();
        sqlx::query(&format!(
            "INSERT INTO organizations (id, name, created_by, created_at, updated_at)
             VALUES ('{}', 'Org', '{}', 0, 0)",
            org.to_db(),
            f.user.to_db()
        ))
        .execute(&f.pool)
        .await
        .unwrap();
        crate::organizations::add_member(&f.pool, org, f.user, role, now())
            .await
            .unwrap();
        assert_eq!(
            crate::organizations::role_of(&f.pool, org, f.user)
                .await
                .unwrap(),
            Some(role)
        );
        let members = crate::organizations::members(&f.pool, org).await.unwrap();
        assert_eq!(members.iter().map(|m| m.role).collect::<Vec<_>>(), [role]);
    }
    let refused = sqlx::query(&format!(
        "INSERT INTO memberships (organization_id, user_id, role, created_at)
         VALUES ('{}', '{}', 'admin', 0)",
        f.org.to_db(),
        f.user.to_db()
    ))
    .execute(&f.pool)
    .await;
    assert!(refused.is_err(), "a role the enum does not have is refused");
}

async fn every_change_from_every_state(dialect: Dialect) {
    let db = testing::migrated(dialect).await;
    // Code holding a connection learns its engine from it (crate::dialect_of_conn).
    let conn = db.store.primary().acquire().await.unwrap();
    assert_eq!(crate::dialect_of_conn(&conn), dialect);
    drop(conn);
    let f = fixture(db.store.primary().clone()).await;
    orders_change_only_by_their_transitions(&f).await;
    payments_change_only_by_their_transitions(&f).await;
    tickets_change_only_by_their_transitions(&f).await;
    refunds_and_events_change_only_by_their_transitions(&f).await;
    every_role_is_stored_and_read_as_itself(&f).await;
    db.close().await;
}

#[tokio::test]
async fn every_change_from_every_state_on_sqlite() {
    every_change_from_every_state(Dialect::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (TEST_DATABASE_URL)"]
async fn every_change_from_every_state_on_postgres() {
    every_change_from_every_state(Dialect::Postgres).await;
}
