//! Business metrics of the backend, named as the dashboards and alerts expect
//! (deploy/monitoring/metric-names.txt).

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

#[derive(Clone)]
pub struct BusinessMetrics {
    pub tickets_sold: IntCounter,
    pub orders: IntCounterVec,
    pub holds_expired: IntCounter,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
}

impl BusinessMetrics {
    pub fn register(registry: &Registry) -> Self {
        let tickets_sold = IntCounter::new(
            "bilten_tickets_sold_total",
            "Tickets issued for paid orders",
        )
        .expect("static metric definition is valid");
        let orders = IntCounterVec::new(
            Opts::new(
                "bilten_orders_total",
                "Order state changes by resulting status",
            ),
            &["status"],
        )
        .expect("static metric definition is valid");
        for status in ["created", "paid", "expired", "canceled", "refunded"] {
            orders.with_label_values(&[status]);
        }
        let holds_expired = IntCounter::new(
            "bilten_holds_expired_total",
            "Pending orders whose inventory hold expired before payment",
        )
        .expect("static metric definition is valid");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "bilten_db_pool_connections",
                "Database pool connections by state",
            ),
            &["state"],
        )
        .expect("static metric definition is valid");
        let pool_max = IntGauge::new("bilten_db_pool_max_connections", "Configured pool size")
            .expect("static metric definition is valid");
        for metric in [
            Box::new(tickets_sold.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(orders.clone()),
            Box::new(holds_expired.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max.clone()),
        ] {
            let _ = registry.register(metric);
        }
        Self {
            tickets_sold,
            orders,
            holds_expired,
            pool_connections,
            pool_max,
        }
    }

    pub fn observe_pool(&self, store: &bilten_store::Store) {
        let (size, idle, max) = store.pool_stats();
        self.pool_connections
            .with_label_values(&["idle"])
            .set(i64::from(idle));
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(size.saturating_sub(idle)));
        self.pool_max.set(i64::from(max));
    }
}
