//! Typed identifiers, so a user id can never be passed where an app id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random identifier.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            /// Lower-case hyphenated form, as stored and as put in token claims.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            /// Accepts a GUID in either case, with or without braces.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }
    };
}

guid_id!(
    /// A user's id (`nameid` in credentials).
    UserId
);
guid_id!(
    /// A registered app's App ID (`cid`/`appid` in credentials).
    AppId
);
guid_id!(
    /// An organization's id.
    OrgId
);
guid_id!(
    /// A project's id.
    ProjectId
);
guid_id!(
    /// A git repository's id.
    RepositoryId
);
guid_id!(
    /// An authorization's id (`aui`): one user's consent to one app for a set of scopes.
    AuthorizationId
);
guid_id!(
    /// A client secret version's id (`csi`).
    SecretId
);
guid_id!(
    /// A refresh token's access id (`aci`).
    AccessId
);
guid_id!(
    /// A service hooks subscription's id.
    HookSubscriptionId
);
guid_id!(
    /// A certificate registered on an app (for `private_key_jwt` client authentication).
    CertificateId
);

impl AppId {
    /// The App ID as the registration page shows it: upper case.
    pub fn to_upper(&self) -> String {
        self.0.hyphenated().to_string().to_uppercase()
    }
}
