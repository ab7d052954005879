//! What every handler can reach.

use std::any::Any;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::Duration;

use bilten_cache::Cache;
use bilten_http::jwt::AccessTokens;
use bilten_http::HttpMetrics;
use bilten_store::Store;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Notify, Semaphore};

use crate::passwords::PasswordHasher;
use crate::payments::{PaymentProvider, TestProvider};
use crate::ticket_keys::TicketKeys;
use crate::BusinessMetrics;

/// Settings the backend takes from the configuration.
#[derive(Clone)]
pub struct BackendSettings {
    pub access_secret: SecretString,
    pub refresh_secret: SecretString,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Base URL of the web app, for links in emails.
    pub public_url: String,
    /// Addresses whose `X-Forwarded-For` we believe (the gateway). Loopback and private
    /// ranges by default, since the gateway runs beside us.
    pub trust_forwarded_from_private: bool,
    /// Root secret of the per-event ticket signing keys (`TICKET_SIGNING_SECRET`).
    pub ticket_signing_secret: SecretString,
    /// `BILTEN_PERSONAL_DATA_RETENTION_MONTHS` (`None`: off): see [`crate::RetentionWorker`].
    pub personal_data_retention_months: Option<u32>,
}

impl BackendSettings {
    pub fn from_config(config: &bilten_config::Config) -> Result<Self, bilten_config::ConfigError> {
        Ok(Self {
            access_secret: config.jwt.access_secret.clone(),
            refresh_secret: config.jwt.refresh_secret.clone(),
            access_ttl: config.jwt.access_ttl,
            refresh_ttl: config.jwt.refresh_ttl,
            public_url: config.public_url.clone(),
            trust_forwarded_from_private: true,
            ticket_signing_secret: config.ticket_signing_secret()?,
            personal_data_retention_months: config.personal_data_retention_months,
        })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub cache: Cache,
    pub metrics: HttpMetrics,
    pub business: BusinessMetrics,
    pub access_tokens: AccessTokens,
    pub(crate) refresh_key: Arc<SecretString>,
    pub(crate) refresh_ttl: Duration,
    pub(crate) public_url: Arc<str>,
    pub(crate) trust_forwarded_from_private: bool,
    pub(crate) hasher: PasswordHasher,
    /// Wakes the outbox worker after a mail is enqueued, so it goes out at once.
    pub(crate) mail_waker: Arc<Notify>,
    /// Counts purchases so the outbox worker gives way to a rush (`bilten_mail::pacing`).
    pub(crate) mail_pacing: Arc<bilten_mail::Pacing>,
    /// Derives each event's ticket signing key.
    pub(crate) ticket_keys: Arc<TicketKeys>,
    /// The payment provider new checkouts use (the `test` provider unless replaced with
    /// [`AppState::with_payment_provider`]).
    pub(crate) payments: Arc<dyn PaymentProvider>,
    /// `STRIPE_WEBHOOK_SECRET`: verifies `POST /webhooks/stripe` (none: the endpoint is 404).
    pub(crate) stripe_webhook_secret: Option<SecretString>,
    /// A slot the orders room fills with this process's purchase engine (per-event queues
    /// that take purchases in batches) on first use, through `orders::purchase::engine_of`.
    /// Type-erased so that `state`, which every room uses, names no room: the engine's type
    /// belongs to the orders room, and only that room reads the slot.
    pub(crate) purchases: Arc<OnceLock<Arc<dyn Any + Send + Sync>>>,
    /// Months after an event's end its orders' personal data is kept (`None`: until erased
    /// on request).
    pub(crate) retention_months: Option<u32>,
    /// Who we are to passkeys: the web app's host and origin (from `PUBLIC_URL`).
    pub(crate) relying_party: Arc<bilten_domain::webauthn::RelyingParty>,
}

/// The relying party of the web app at `public_url`; a URL without a host (which the
/// configuration refuses) falls back to `localhost`.
fn relying_party(public_url: &str) -> bilten_domain::webauthn::RelyingParty {
    bilten_domain::webauthn::RelyingParty::from_public_url(public_url, "Bilten").unwrap_or_else(
        || bilten_domain::webauthn::RelyingParty {
            id: "localhost".to_owned(),
            origin: "http://localhost".to_owned(),
            name: "Bilten".to_owned(),
        },
    )
}

impl AppState {
    pub fn new(
        store: Store,
        cache: Cache,
        settings: &BackendSettings,
        metrics: HttpMetrics,
        business: BusinessMetrics,
        mail: bilten_mail::MailHandle,
    ) -> Self {
        cache.register_metrics(metrics.registry());
        // Argon2 with 19 MiB per hash: bound how many run at once so a login flood costs
        // queueing, not memory.
        let hasher =
            PasswordHasher::new(Arc::new(Semaphore::new(4))).counted_in(metrics.registry());
        Self {
            store,
            cache,
            metrics,
            business,
            access_tokens: AccessTokens::new(
                settings.access_secret.expose_secret().as_bytes(),
                settings.access_ttl,
            ),
            refresh_key: Arc::new(settings.refresh_secret.clone()),
            refresh_ttl: settings.refresh_ttl,
            public_url: settings.public_url.clone().into(),
            trust_forwarded_from_private: settings.trust_forwarded_from_private,
            hasher,
            mail_waker: mail.wake,
            mail_pacing: mail.pacing,
            ticket_keys: Arc::new(TicketKeys::new(settings.ticket_signing_secret.clone())),
            payments: Arc::new(TestProvider),
            stripe_webhook_secret: None,
            purchases: Arc::new(OnceLock::new()),
            retention_months: settings.personal_data_retention_months,
            relying_party: Arc::new(relying_party(&settings.public_url)),
        }
    }

    /// Passkeys for a web app reached at `public_url` instead of the configured one (tests
    /// whose web app listens on a port chosen after the backend started).
    #[must_use]
    pub fn with_passkey_origin(mut self, public_url: &str) -> Self {
        self.relying_party = Arc::new(relying_party(public_url));
        self
    }

    /// Uses `provider` for new checkouts and for refunds of the payments it took.
    #[must_use]
    pub fn with_payment_provider(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.payments = provider;
        self
    }

    /// Takes payments through Stripe (`STRIPE_SECRET_KEY`, `STRIPE_API_BASE`) and accepts its
    /// webhooks signed with `STRIPE_WEBHOOK_SECRET`.
    pub fn with_stripe(
        self,
        config: &bilten_config::StripeConfig,
    ) -> Result<Self, bilten_stripe::StripeError> {
        let client = bilten_stripe::StripeClient::new(&config.api_base, config.secret_key.clone())?;
        let mut state =
            self.with_payment_provider(Arc::new(crate::payments::StripeProvider::new(client)));
        state
            .stripe_webhook_secret
            .clone_from(&config.webhook_secret);
        Ok(state)
    }
}
