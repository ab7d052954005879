//! Platform-wide roles and organization roles: text enums, stored and sent by name.

use crate::state::text_enum;

text_enum! {
    /// What an account may do on the platform. Organizer powers come from organization
    /// membership (`OrgRole`), not from here.
    pub enum PlatformRole {
        /// Everyone who registers: buys tickets, may create organizations.
        User => "user",
        /// Platform operators: moderation and user management. Only granted by the CLI.
        Admin => "admin",
    }
}

text_enum! {
    /// A member's role in an organization, weakest first (so `>=` compares powers): `staff`
    /// reads, `manager` runs events, ticket types, quotas and refunds, `owner` also manages
    /// members.
    #[derive(PartialOrd, Ord)]
    pub enum OrgRole {
        Staff => "staff",
        Manager => "manager",
        Owner => "owner",
    }
}

#[cfg(test)]
mod tests {
    use super::{OrgRole, PlatformRole};
    use crate::state::testing::assert_names_round_trip;

    #[test]
    fn role_names_round_trip() {
        assert_names_round_trip::<OrgRole>();
        assert_names_round_trip::<PlatformRole>();
        assert_eq!(OrgRole::parse("owner"), Some(OrgRole::Owner));
        assert_eq!(OrgRole::parse("Owner"), None);
    }

    #[test]
    fn stronger_roles_compare_greater() {
        assert!(OrgRole::Owner > OrgRole::Manager);
        assert!(OrgRole::Manager > OrgRole::Staff);
    }
}
