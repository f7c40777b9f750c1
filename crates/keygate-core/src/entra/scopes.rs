//! Entra's scope language translated to Keygate's: `{resource}/vso.code`, `{resource}/.default`
//! (every scope the app registered), `{resource}/user_impersonation` (full access of the user)
//! and the OpenID Connect scopes; and back, for the `scope` of a token response.

use super::{AZURE_DEVOPS_RESOURCE, AZURE_DEVOPS_RESOURCE_URI};
use crate::scopes::{catalogue, Availability, ScopeSet};

/// The permission that stands for everything the user may do (Entra's delegated full access).
pub const USER_IMPERSONATION: &str = "user_impersonation";

/// What an Entra `scope` (or v1 `resource`) asked for, in Keygate's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequest {
    /// The scopes, canonical.
    pub scopes: ScopeSet,
    /// Whether the request said `{resource}/.default` (or v1 `resource` alone).
    pub default: bool,
}

/// Why a scope request was refused (AADSTS70011, or AADSTS500011 for an unknown v1 resource).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntraScopeError {
    /// A scope that is not the Azure DevOps resource's, not registered for the app, or unknown.
    #[error("the scope `{0}` is not valid for this application")]
    Invalid(String),
    /// A v1 `resource` other than Azure DevOps.
    #[error("the resource `{0}` is not known in this tenant")]
    UnknownResource(String),
    /// Client credentials asked for something other than `{resource}/.default`.
    #[error("client credentials need exactly `{{resource}}/.default`")]
    NotDefault,
}

/// Translates Entra scopes for one app.
#[derive(Debug, Clone, Copy)]
pub struct EntraScopes<'a> {
    /// What the app registered (`.default` expands to this).
    pub registered: &'a ScopeSet,
}

/// The permission of `scope` when it names the Azure DevOps resource: `vso.code` of
/// `499b84ac-.../vso.code` or `https://app.vssps.visualstudio.com/vso.code`.
fn azure_devops_permission(scope: &str) -> Option<&str> {
    for resource in [AZURE_DEVOPS_RESOURCE, AZURE_DEVOPS_RESOURCE_URI] {
        let Some(head) = scope.get(..resource.len()) else {
            continue;
        };
        if head.eq_ignore_ascii_case(resource) {
            if let Some(permission) = scope[resource.len()..].strip_prefix('/') {
                return Some(permission);
            }
        }
    }
    None
}

/// Whether `resource` (a v1 `resource` parameter) is Azure DevOps.
pub fn is_azure_devops_resource(resource: &str) -> bool {
    let resource = resource.trim().trim_end_matches('/');
    resource.eq_ignore_ascii_case(AZURE_DEVOPS_RESOURCE)
        || resource.eq_ignore_ascii_case(AZURE_DEVOPS_RESOURCE_URI)
}

fn is_openid_scope(scope: &str) -> bool {
    catalogue()
        .get(scope)
        .is_some_and(|info| info.availability == Availability::OpenId)
}

impl EntraScopes<'_> {
    /// A delegated (user) request: the v2 `scope`, or v1 `resource` plus an optional `scope`.
    pub fn delegated(
        &self,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> Result<ScopeRequest, EntraScopeError> {
        let mut names: Vec<String> = Vec::new();
        let mut default = false;
        if let Some(resource) = resource.map(str::trim).filter(|r| !r.is_empty()) {
            if !is_azure_devops_resource(resource) {
                return Err(EntraScopeError::UnknownResource(resource.to_owned()));
            }
            default = true;
        }
        for part in scope.unwrap_or("").split_whitespace() {
            let lower = part.to_ascii_lowercase();
            if is_openid_scope(&lower) {
                names.push(lower);
                continue;
            }
            let invalid = || EntraScopeError::Invalid(part.to_owned());
            let permission = azure_devops_permission(&lower).ok_or_else(invalid)?;
            match permission {
                ".default" => default = true,
                USER_IMPERSONATION => names.push(USER_IMPERSONATION.to_owned()),
                p if self.registered.contains(p) => names.push(p.to_owned()),
                _ => return Err(invalid()),
            }
        }
        let mut scopes = ScopeSet::from_stored(&names.join(" "));
        if default {
            scopes = scopes.with(self.registered.iter().collect::<Vec<_>>());
        }
        if scopes.is_empty() {
            return Err(EntraScopeError::Invalid(scope.unwrap_or("").to_owned()));
        }
        Ok(ScopeRequest { scopes, default })
    }

    /// A client credentials request: exactly `{resource}/.default`; the app's registered scopes.
    pub fn for_client(&self, scope: Option<&str>) -> Result<ScopeRequest, EntraScopeError> {
        let parts: Vec<&str> = scope.unwrap_or("").split_whitespace().collect();
        match parts.as_slice() {
            [only] if azure_devops_permission(&only.to_ascii_lowercase()) == Some(".default") => {
                Ok(ScopeRequest {
                    scopes: self.registered.clone(),
                    default: true,
                })
            }
            _ => Err(EntraScopeError::NotDefault),
        }
    }
}

/// The `scope` of a token response: API scopes prefixed with the resource, OpenID Connect
/// scopes as they are.
pub fn wire_scope(scopes: &ScopeSet) -> String {
    scopes
        .iter()
        .map(|s| {
            if is_openid_scope(s) {
                s.to_owned()
            } else {
                format!("{AZURE_DEVOPS_RESOURCE}/{s}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered() -> ScopeSet {
        ScopeSet::parse("vso.code vso.work").unwrap_or_default()
    }

    fn delegated(scope: &str) -> Result<ScopeRequest, EntraScopeError> {
        let r = registered();
        EntraScopes { registered: &r }.delegated(Some(scope), None)
    }

    #[test]
    fn resource_scopes_translate_in_both_spellings_and_any_case() {
        let got = delegated(
            "openid offline_access 499B84AC-1321-427F-AA17-267CA6975798/vso.code \
             https://app.vssps.visualstudio.com/vso.work",
        )
        .unwrap();
        assert_eq!(
            got.scopes.to_string(),
            "offline_access openid vso.code vso.work"
        );
        assert!(!got.default);
    }

    #[test]
    fn default_expands_to_the_registered_scopes_and_user_impersonation_is_kept() {
        let got = delegated("499b84ac-1321-427f-aa17-267ca6975798/.default openid").unwrap();
        assert_eq!(got.scopes.to_string(), "openid vso.code vso.work");
        assert!(got.default);
        let got = delegated("499b84ac-1321-427f-aa17-267ca6975798/user_impersonation").unwrap();
        assert_eq!(got.scopes.to_string(), "user_impersonation");
    }

    #[test]
    fn bare_unregistered_and_foreign_scopes_are_invalid() {
        for bad in [
            "vso.code",
            "499b84ac-1321-427f-aa17-267ca6975798/vso.build",
            "https://graph.microsoft.com/User.Read",
            "499b84ac-1321-427f-aa17-267ca6975798vso.code",
            "",
        ] {
            assert!(delegated(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_v1_resource_alone_means_the_registered_scopes() {
        let r = registered();
        let s = EntraScopes { registered: &r };
        let got = s
            .delegated(None, Some("499b84ac-1321-427f-aa17-267ca6975798"))
            .unwrap();
        assert_eq!(got.scopes, r);
        assert_eq!(
            s.delegated(Some("openid"), Some("https://management.azure.com/")),
            Err(EntraScopeError::UnknownResource(
                "https://management.azure.com/".into()
            ))
        );
    }

    #[test]
    fn client_credentials_take_only_default_and_responses_prefix_api_scopes() {
        let r = registered();
        let s = EntraScopes { registered: &r };
        assert_eq!(
            s.for_client(Some("499b84ac-1321-427f-aa17-267ca6975798/.default"))
                .unwrap()
                .scopes,
            r
        );
        assert!(s
            .for_client(Some("499b84ac-1321-427f-aa17-267ca6975798/vso.code"))
            .is_err());
        assert!(s.for_client(None).is_err());
        let granted = ScopeSet::parse("openid vso.code").unwrap_or_default();
        assert_eq!(
            wire_scope(&granted),
            "openid 499b84ac-1321-427f-aa17-267ca6975798/vso.code"
        );
    }
}
