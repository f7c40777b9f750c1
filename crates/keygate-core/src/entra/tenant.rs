//! The one tenant a deployment is: a GUID and a domain name, settable, made on first start
//! otherwise, and which `{tenant}` path segments name it.

use uuid::Uuid;

/// The deployment's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant id (`tid`).
    pub id: Uuid,
    /// The tenant's domain name, lower case (e.g. `contoso.onmicrosoft.com`).
    pub domain: String,
}

/// How a `{tenant}` path segment named the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantMatch {
    /// `common`: any account (here: this tenant's).
    Common,
    /// `organizations`: any work account (here: this tenant's).
    Organizations,
    /// The tenant's GUID or domain.
    This,
}

/// Path segments that are never organization names, because Entra routes own them.
pub const RESERVED_SEGMENTS: [&str; 3] = ["common", "organizations", "consumers"];

impl Tenant {
    /// The tenant with `id`; `domain` defaults to a name made from the id.
    pub fn new(id: Uuid, domain: Option<&str>) -> Self {
        let domain = match domain.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => d.to_ascii_lowercase(),
            None => Self::default_domain(id),
        };
        Self { id, domain }
    }

    /// The domain a tenant gets when none is set: `keygate-<first 8 hex digits>.onmicrosoft.com`.
    pub fn default_domain(id: Uuid) -> String {
        let hex = id.simple().to_string();
        format!("keygate-{}.onmicrosoft.com", &hex[..8])
    }

    /// Which tenant a `{tenant}` segment names, or `None` for an unknown one (AADSTS90002).
    pub fn resolve(&self, segment: &str) -> Option<TenantMatch> {
        if segment.eq_ignore_ascii_case("common") {
            return Some(TenantMatch::Common);
        }
        if segment.eq_ignore_ascii_case("organizations") {
            return Some(TenantMatch::Organizations);
        }
        let is_id = Uuid::parse_str(segment).is_ok_and(|id| id == self.id);
        (is_id || segment.eq_ignore_ascii_case(&self.domain)).then_some(TenantMatch::This)
    }

    /// The v2.0 issuer: `{base}/{tid}/v2.0`.
    pub fn v2_issuer(&self, base: &str) -> String {
        format!("{base}/{}/v2.0", self.id)
    }

    /// The v1 access token issuer, `https://sts.windows.net/{tid}/`, as Entra writes it.
    pub fn v1_issuer(&self) -> String {
        format!("https://sts.windows.net/{}/", self.id)
    }
}

/// Whether an organization named `name` would sit where Entra's `/{tenant}/...` routes are:
/// the reserved words, a GUID, or an `.onmicrosoft.com` domain (whatever the tenant's domain is
/// set to later).
pub fn shadows_entra_routes(name: &str) -> bool {
    RESERVED_SEGMENTS
        .iter()
        .any(|r| name.eq_ignore_ascii_case(r))
        || Uuid::parse_str(name).is_ok()
        || name.to_ascii_lowercase().ends_with(".onmicrosoft.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        Tenant::new(
            Uuid::parse_str("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap_or_default(),
            Some("Contoso.onmicrosoft.com"),
        )
    }

    #[test]
    fn common_organizations_the_guid_and_the_domain_name_the_tenant() {
        let t = tenant();
        assert_eq!(t.resolve("common"), Some(TenantMatch::Common));
        assert_eq!(t.resolve("Organizations"), Some(TenantMatch::Organizations));
        assert_eq!(
            t.resolve("72F988BF-86F1-41AF-91AB-2D7CD011DB47"),
            Some(TenantMatch::This)
        );
        assert_eq!(
            t.resolve("contoso.onmicrosoft.com"),
            Some(TenantMatch::This)
        );
        assert_eq!(t.resolve("consumers"), None);
        assert_eq!(t.resolve("00000000-0000-0000-0000-000000000001"), None);
        assert_eq!(t.resolve("fabrikam.onmicrosoft.com"), None);
    }

    #[test]
    fn a_tenant_without_a_domain_gets_one_made_from_its_id() {
        let id = Uuid::parse_str("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap_or_default();
        assert_eq!(
            Tenant::new(id, None).domain,
            "keygate-72f988bf.onmicrosoft.com"
        );
        assert_eq!(
            tenant().v1_issuer(),
            "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"
        );
    }

    #[test]
    fn reserved_words_guids_and_onmicrosoft_domains_are_no_organization_names() {
        for name in [
            "common",
            "Consumers",
            "organizations",
            "contoso.onmicrosoft.com",
        ] {
            assert!(shadows_entra_routes(name), "{name}");
        }
        assert!(shadows_entra_routes("0b1c2d3e-0000-4000-8000-000000000000"));
        assert!(shadows_entra_routes("Common"));
        assert!(shadows_entra_routes("x.onmicrosoft.com"));
        assert!(!shadows_entra_routes("fabrikam"));
    }
}
