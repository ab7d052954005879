//! OpenAPI schemas of the domain types that cross the API (feature `openapi`): what the wire
//! form of an id, an amount of money or a currency looks like, so the API's types can use the
//! domain's own types and still describe themselves. Enums derive theirs where they are
//! declared.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::{Currency, Money, Price};

/// The schema of a prefixed id: `usr_` and 32 lower-case hex digits.
fn id_schema(prefix: &str, what: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(format!(
            "The id of a {what}: `{prefix}_` and 32 hex digits (a UUIDv7)."
        )))
        .pattern(Some(format!("^{prefix}_[0-9a-f]{{32}}$")))
        .examples([format!("{prefix}_0190f5d2a3b47c8e9d0a1b2c3d4e5f60")])
        .into()
}

macro_rules! id_schemas {
    ($($name:ident, $what:literal;)*) => {
        $(
            impl PartialSchema for crate::$name {
                fn schema() -> RefOr<Schema> {
                    id_schema(crate::$name::PREFIX, $what)
                }
            }

            impl ToSchema for crate::$name {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($name))
                }
            }
        )*
    };
}

id_schemas! {
    UserId, "user";
    SessionId, "login session";
    OrganizationId, "organization";
    EventId, "event";
    TicketTypeId, "ticket type";
    QuotaId, "quota";
    OrderId, "order";
    TicketId, "ticket";
    PromoCodeId, "promo code";
    CheckinListId, "check-in list";
    DeviceId, "scanner device";
    RefundId, "refund";
    PaymentId, "payment";
    CheckinId, "check-in";
    InvitationId, "invitation";
    PasskeyId, "passkey";
}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some("An ISO 4217 currency code."))
            .enum_values(Some(Currency::all().map(Currency::code)))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for Currency {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Currency")
    }
}

fn money_schema(description: &str, minimum: Option<f64>) -> RefOr<Schema> {
    let amount = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(minimum)
        .description(Some("Minor units of the currency (cents for EUR)."));
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(description))
        .property("amount", amount)
        .property("currency", Currency::schema())
        .required("amount")
        .required("currency")
        .additional_properties(Some(
            utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
        ))
        .examples([serde_json::json!({"amount": 1250, "currency": "EUR"})])
        .into()
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        money_schema(
            "An amount of money in integer minor units: `{\"amount\": 1250, \"currency\": \"EUR\"}` is €12.50.",
            None,
        )
    }
}

impl ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

impl PartialSchema for Price {
    fn schema() -> RefOr<Schema> {
        money_schema(
            "A price: money that is never negative (0 is free).",
            Some(0.0),
        )
    }
}

impl ToSchema for Price {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Price")
    }
}
