//! Stripe, both ways: our client and verifier against the local fake (`fake_stripe`), and our
//! webhook signatures against Stripe's official Python SDK (`sdk_differential`, ignored by
//! plain `cargo test`). One test binary, a module per former file.

mod fake_stripe;
mod sdk_differential;
