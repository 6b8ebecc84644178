//! The fixed vocabulary of identity providers.

use crate::vocab::vocabulary;

vocabulary!(
    /// How a person signed in at the provider is matched to an account of the district: by
    /// e-mail address, by OneRoster `sourcedId` (the id the roster import stored), or by
    /// username.
    AccountMatch {
        Email = "email",
        SourcedId = "sourced_id",
        Username = "username",
    }
);

impl AccountMatch {
    /// The ID-token claim read when the provider names none.
    pub fn default_claim(self) -> &'static str {
        match self {
            AccountMatch::Email => "email",
            AccountMatch::SourcedId => "sub",
            AccountMatch::Username => "preferred_username",
        }
    }

    /// The scopes asked for besides `openid`, so the provider puts the claim in the token.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            AccountMatch::Email => &["email"],
            AccountMatch::SourcedId | AccountMatch::Username => &["profile"],
        }
    }
}
