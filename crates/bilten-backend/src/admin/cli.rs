//! Platform bootstrap: the first admin is made from the command line, never over HTTP.

use chrono::Utc;

use bilten_domain::{DisplayName, Email, Password, PlatformRole, UserId};
use bilten_store::users::{self, NewUser};
use bilten_store::Store;

use crate::passwords::PasswordHasher;

#[derive(Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Created(UserId),
    /// The account existed; it is now an admin (its password is unchanged).
    Promoted(UserId),
}

pub async fn create_admin(
    store: &Store,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> anyhow::Result<AdminOutcome> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let now = Utc::now();
    if let Some(existing) = users::find_by_email(store.primary(), &email).await? {
        users::set_platform_role(store.primary(), existing.id, PlatformRole::Admin, now).await?;
        return Ok(AdminOutcome::Promoted(existing.id));
    }
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
    let name = DisplayName::parse(name.unwrap_or("Administrator"))
        .map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let hasher = PasswordHasher::new(std::sync::Arc::new(tokio::sync::Semaphore::new(1)));
    let hash = hasher
        .hash(password.expose().to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = UserId::new();
    users::insert(
        store.primary(),
        &NewUser {
            id,
            email: &email,
            name: &name,
            password_hash: &hash,
            platform_role: PlatformRole::Admin,
            verified: true,
            now,
        },
    )
    .await?;
    Ok(AdminOutcome::Created(id))
}
