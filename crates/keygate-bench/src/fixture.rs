//! The bench fixture: a user and an app with their credentials, written by `seed` and read by the
//! scenarios that sign in, authorize and call the token endpoint.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Credentials the load scenarios use. The file holds a live client secret: keep it with the
/// benchmark database, never in the repository.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Fixture {
    /// The bench user's email.
    pub email: String,
    /// The bench user's password.
    pub password: String,
    /// The bench app's App ID.
    pub app_id: String,
    /// The bench app's client secret.
    pub client_secret: String,
    /// The app's registered callback URL.
    pub callback_url: String,
    /// The app's registered scopes, space separated.
    pub scopes: String,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("email", &self.email)
            .field("app_id", &self.app_id)
            .field("callback_url", &self.callback_url)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl Fixture {
    /// Reads a fixture file.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the fixture {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a fixture", path.display()))
    }

    /// Writes the fixture file (readable by its owner only where the platform allows).
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the fixture {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }
}
