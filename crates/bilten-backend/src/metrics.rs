//! Business metrics of the backend, named as the dashboards and alerts expect
//! (deploy/monitoring/metric-names.txt).

use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

#[derive(Clone)]
pub struct BusinessMetrics {
    pub tickets_sold: IntCounter,
    pub orders: IntCounterVec,
    pub holds_expired: IntCounter,
    /// Purchases per batch of the purchase engine (group commit).
    pub purchase_batch_size: Histogram,
    /// Purchases answered "sold out" from the sold-out flag, without the database.
    pub sold_out_fast: IntCounter,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
}

impl BusinessMetrics {
    #[expect(
        clippy::expect_used,
        reason = "static metric definitions, valid by construction"
    )]
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
        let purchase_batch_size = Histogram::with_opts(
            HistogramOpts::new(
                "bilten_purchase_batch_size",
                "Purchases taken per transaction by the purchase engine",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]),
        )
        .expect("static metric definition is valid");
        let sold_out_fast = IntCounter::new(
            "bilten_purchases_sold_out_fast_total",
            "Purchases answered sold out from the shared flag, without the database",
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
            Box::new(purchase_batch_size.clone()),
            Box::new(sold_out_fast.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max.clone()),
        ] {
            let _ = registry.register(metric);
        }
        Self {
            tickets_sold,
            orders,
            holds_expired,
            purchase_batch_size,
            sold_out_fast,
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
