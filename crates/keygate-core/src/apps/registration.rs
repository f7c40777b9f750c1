//! What an app registration submits, and the checks every field must pass (protocol §2).

use std::collections::BTreeMap;

use crate::model::ClientKind;
use crate::oauth::redirect::validate_callback;
use crate::scopes::{catalogue, ScopeSet};
use crate::validate;

/// What the registration form (or CLI) submits, as typed.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Company name (required, <= 128).
    pub company_name: String,
    /// Company website (optional URL).
    pub company_website: String,
    /// Terms of service URL (optional).
    pub terms_url: String,
    /// Privacy statement URL (optional).
    pub privacy_url: String,
    /// Application name (required, <= 128).
    pub name: String,
    /// Description (optional, <= 1024).
    pub description: String,
    /// Logo URL (optional, https).
    pub logo_url: String,
    /// Application website (required URL).
    pub website: String,
    /// Authorization callback URL (required, https).
    pub callback_url: String,
    /// Scopes, space separated.
    pub scopes: String,
    /// Confidential (with a secret) or public.
    pub kind: Option<ClientKind>,
    /// Post-logout redirect URIs, separated by spaces or new lines (optional).
    pub post_logout_redirect_uris: String,
    /// A pairwise `sub` for this app (OpenID Connect Core §8.1).
    pub pairwise_subject: bool,
}

impl Registration {
    /// Whether the app registers as a public client (for re-rendering the form).
    pub fn is_public(&self) -> bool {
        self.kind == Some(ClientKind::Public)
    }
}

/// Field name -> what is wrong with it, for re-rendering the form.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// Checks every field, collecting all errors at once.
pub fn validate_registration(
    reg: &Registration,
    allow_http_callbacks: bool,
) -> Result<ValidRegistration, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut take = |field: &'static str, r: Result<String, String>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.insert(field, e);
            String::new()
        }
    };
    let valid = ValidRegistration {
        company_name: take(
            "company_name",
            validate::required_text(&reg.company_name, 128),
        ),
        company_website: take(
            "company_website",
            validate::web_url(&reg.company_website, true, true),
        ),
        terms_url: take("terms_url", validate::web_url(&reg.terms_url, true, true)),
        privacy_url: take(
            "privacy_url",
            validate::web_url(&reg.privacy_url, true, true),
        ),
        name: take("name", validate::required_text(&reg.name, 128)),
        description: take(
            "description",
            validate::optional_text(&reg.description, 1024),
        ),
        logo_url: take("logo_url", validate::web_url(&reg.logo_url, true, false)),
        website: take("website", validate::web_url(&reg.website, false, true)),
        callback_url: take(
            "callback_url",
            validate_callback(
                &reg.callback_url,
                reg.kind.unwrap_or(ClientKind::Confidential),
                allow_http_callbacks,
            ),
        ),
        scopes: ScopeSet::default(),
        kind: reg.kind.unwrap_or(ClientKind::Confidential),
        post_logout_redirect_uris: Vec::new(),
        pairwise_subject: reg.pairwise_subject,
    };
    let mut post_logout = Vec::new();
    for uri in reg.post_logout_redirect_uris.split_whitespace() {
        match validate_callback(
            uri,
            reg.kind.unwrap_or(ClientKind::Confidential),
            allow_http_callbacks,
        ) {
            Ok(uri) if !post_logout.contains(&uri) => post_logout.push(uri),
            Ok(_) => {}
            Err(e) => {
                errors.insert("post_logout_redirect_uris", format!("{uri}: {e}"));
            }
        }
    }
    let valid = ValidRegistration {
        post_logout_redirect_uris: post_logout,
        ..valid
    };
    let scopes = match ScopeSet::parse(&reg.scopes) {
        Ok(s) => {
            let not_offered: Vec<&str> = s
                .iter()
                .filter(|x| {
                    catalogue()
                        .get(x)
                        .is_none_or(|info| !info.offered_at_registration())
                })
                .collect();
            if not_offered.is_empty() {
                s
            } else {
                errors.insert(
                    "scopes",
                    format!("cannot be requested by apps: {}", not_offered.join(" ")),
                );
                ScopeSet::default()
            }
        }
        Err(e) => {
            errors.insert("scopes", e.to_string());
            ScopeSet::default()
        }
    };
    if errors.is_empty() {
        Ok(ValidRegistration { scopes, ..valid })
    } else {
        Err(errors)
    }
}

/// A registration whose every field passed validation.
#[derive(Debug, Clone)]
pub struct ValidRegistration {
    pub(super) company_name: String,
    pub(super) company_website: String,
    pub(super) terms_url: String,
    pub(super) privacy_url: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) logo_url: String,
    pub(super) website: String,
    pub(super) callback_url: String,
    pub(super) scopes: ScopeSet,
    pub(super) kind: ClientKind,
    pub(super) post_logout_redirect_uris: Vec<String>,
    pub(super) pairwise_subject: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Registration {
        Registration {
            company_name: "Fabrikam".into(),
            name: "Fiber app".into(),
            website: "https://fabrikam.example".into(),
            callback_url: "https://localhost:5001/oauth/callback".into(),
            scopes: "vso.work vso.code".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_registration_passes() {
        assert!(validate_registration(&good(), false).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let reg = Registration {
            company_name: "x".repeat(129),
            callback_url: "http://app.example/cb".into(),
            scopes: "".into(),
            ..good()
        };
        let errors = validate_registration(&reg, false).unwrap_err();
        assert!(errors.contains_key("company_name"));
        assert!(errors.contains_key("callback_url"));
        assert!(errors.contains_key("scopes"));
    }

    #[test]
    fn internal_scopes_cannot_be_registered() {
        let reg = Registration {
            scopes: "vso.base".into(),
            ..good()
        };
        assert!(validate_registration(&reg, false)
            .unwrap_err()
            .contains_key("scopes"));
    }
}
