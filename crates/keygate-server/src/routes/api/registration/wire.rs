//! The registration API's JSON shapes, after the hosted service's `Registration` contract
//! (delegatedAuth REST specs), with the OpenAPI schema derived from them.

use keygate_core::apps::{FieldErrors, Registration};
use keygate_core::model::{App, AppCertificate, ClientKind, SecretSlot, SlottedSecret};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::routes::api::iso;

/// Confidential (with client secrets) or public (PKCE, no secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ClientType {
    /// A server-side app with two client secrets.
    Confidential,
    /// A native or browser app with no secret.
    Public,
}

impl From<ClientKind> for ClientType {
    fn from(k: ClientKind) -> Self {
        match k {
            ClientKind::Confidential => Self::Confidential,
            ClientKind::Public => Self::Public,
        }
    }
}

impl From<ClientType> for ClientKind {
    fn from(t: ClientType) -> Self {
        match t {
            ClientType::Confidential => Self::Confidential,
            ClientType::Public => Self::Public,
        }
    }
}

/// An app registration to create or update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RegistrationRequest {
    /// Application name (1-128 characters).
    #[schema(max_length = 128)]
    pub registration_name: String,
    /// Description shown on the consent page (up to 1024 characters).
    #[serde(default)]
    pub registration_description: Option<String>,
    /// Application website (an http(s) URL).
    pub registration_location: String,
    /// Logo URL (https).
    #[serde(default)]
    pub registration_logo_secure_location: Option<String>,
    /// Terms of service URL.
    #[serde(default)]
    pub registration_terms_of_service_location: Option<String>,
    /// Privacy statement URL.
    #[serde(default)]
    pub registration_privacy_statement_location: Option<String>,
    /// Company name (1-128 characters).
    #[schema(max_length = 128)]
    pub organization_name: String,
    /// Company website.
    #[serde(default)]
    pub organization_location: Option<String>,
    /// The authorization callback URL, exactly one (https; `https://localhost` is fine).
    pub redirect_uris: Vec<String>,
    /// Scopes, space separated; fixed after creation (an update must repeat them).
    pub scopes: String,
    /// Confidential (the default) or public; fixed after creation.
    #[serde(default)]
    pub client_type: Option<ClientType>,
    /// The owner's user id. An admin token must name one; a user's token may only name itself.
    #[serde(default)]
    pub identity_id: Option<Uuid>,
    /// Where OpenID Connect RP-initiated logout may send the browser afterwards (each like a
    /// callback URL). An update without it keeps the registered ones.
    #[serde(default)]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// `pairwise` for an OpenID Connect `sub` of this app's own, `public` (the default) for the
    /// user's id. An update without it keeps the registered one.
    #[serde(default)]
    pub subject_type: Option<SubjectType>,
}

/// How the app's ID tokens and UserInfo name users (OpenID Connect Core §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) enum SubjectType {
    /// The user's id.
    Public,
    /// An id of the app's own.
    Pairwise,
}

impl RegistrationRequest {
    /// The use case's registration, or the field errors in wire names.
    pub(super) fn registration(&self) -> Result<Registration, String> {
        let [callback] = self.redirect_uris.as_slice() else {
            return Err("redirectUris must hold exactly one callback URL".into());
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Ok(Registration {
            company_name: self.organization_name.clone(),
            company_website: text(&self.organization_location),
            terms_url: text(&self.registration_terms_of_service_location),
            privacy_url: text(&self.registration_privacy_statement_location),
            name: self.registration_name.clone(),
            description: text(&self.registration_description),
            logo_url: text(&self.registration_logo_secure_location),
            website: self.registration_location.clone(),
            callback_url: callback.clone(),
            scopes: self.scopes.clone(),
            kind: Some(self.client_type.unwrap_or(ClientType::Confidential).into()),
            post_logout_redirect_uris: self
                .post_logout_redirect_uris
                .as_deref()
                .unwrap_or_default()
                .join(" "),
            pairwise_subject: self.subject_type == Some(SubjectType::Pairwise),
        })
    }
}

/// Field errors of the use case, in the wire's field names.
pub(super) fn describe_errors(errors: &FieldErrors) -> String {
    errors
        .iter()
        .map(|(field, problem)| {
            let wire = match *field {
                "company_name" => "organizationName",
                "company_website" => "organizationLocation",
                "terms_url" => "registrationTermsOfServiceLocation",
                "privacy_url" => "registrationPrivacyStatementLocation",
                "name" => "registrationName",
                "description" => "registrationDescription",
                "logo_url" => "registrationLogoSecureLocation",
                "website" => "registrationLocation",
                "callback_url" => "redirectUris",
                "post_logout_redirect_uris" => "postLogoutRedirectUris",
                other => other,
            };
            format!("{wire} {problem}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A registered app. Secrets appear only in the answer that created them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RegistrationResponse {
    /// The App ID.
    pub registration_id: Uuid,
    /// Application name.
    pub registration_name: String,
    /// Description.
    pub registration_description: String,
    /// Application website.
    pub registration_location: String,
    /// Logo URL, or empty.
    pub registration_logo_secure_location: String,
    /// Terms of service URL, or empty.
    pub registration_terms_of_service_location: String,
    /// Privacy statement URL, or empty.
    pub registration_privacy_statement_location: String,
    /// Company name.
    pub organization_name: String,
    /// Company website, or empty.
    pub organization_location: String,
    /// The callback URL.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs (OpenID Connect RP-initiated logout), when any are registered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// `pairwise` when the app has a pairwise OpenID Connect subject (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<SubjectType>,
    /// Scopes, sorted, space separated.
    pub scopes: String,
    /// Confidential or public.
    pub client_type: ClientType,
    /// The owner's user id.
    pub identity_id: Uuid,
    /// Always true: a deleted registration is not found.
    pub is_valid: bool,
    /// The primary client secret, only right after it was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The primary secret's version id (`csi`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_version_id: Option<Uuid>,
    /// When the primary secret was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub valid_from: Option<String>,
    /// When the primary secret expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub secret_valid_to: Option<String>,
    /// The alternative client secret, only right after it was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative_secret: Option<String>,
    /// The alternative secret's version id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative_secret_version_id: Option<Uuid>,
    /// When the alternative secret was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub alternative_secret_valid_from: Option<String>,
    /// When the alternative secret expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub alternative_secret_valid_to: Option<String>,
    /// Certificates registered for `private_key_jwt` client authentication, when any are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertificateResponse>,
}

/// A certificate registered on an app (public: no private key).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CertificateResponse {
    /// SHA-1 thumbprint, upper-case hex (as the Azure portal shows it; `x5t` carries it in
    /// base64url).
    pub thumbprint: String,
    /// SHA-256 thumbprint, upper-case hex (`x5t#S256` carries it in base64url).
    pub thumbprint_sha256: String,
    /// The certificate's subject.
    pub subject: String,
    /// What it is for.
    pub description: String,
    /// Valid from.
    #[schema(format = DateTime)]
    pub valid_from: String,
    /// Valid until.
    #[schema(format = DateTime)]
    pub valid_to: String,
}

impl From<&AppCertificate> for CertificateResponse {
    fn from(c: &AppCertificate) -> Self {
        Self {
            thumbprint: c.thumbprint_hex(),
            thumbprint_sha256: c.thumbprint_sha256_hex(),
            subject: c.subject.clone(),
            description: c.description.clone(),
            valid_from: iso(c.not_before),
            valid_to: iso(c.not_after),
        }
    }
}

/// `{"count": N, "value": [...]}` of certificates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct CertificateList {
    /// How many.
    pub count: usize,
    /// The certificates, oldest first.
    pub value: Vec<CertificateResponse>,
}

/// A certificate to register.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CertificateRequest {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`); RSA of 2048 bits or more, or EC
    /// P-256.
    pub pem: String,
    /// What it is for (optional).
    #[serde(default)]
    pub description: String,
}

impl RegistrationResponse {
    /// The app with its secret versions; `new_secret` puts a just-made secret in its slot.
    pub(super) fn of(
        app: &App,
        secrets: &[SlottedSecret],
        certificates: &[AppCertificate],
        new_secret: Option<(SecretSlot, String)>,
    ) -> Self {
        let slot = |which: SecretSlot| secrets.iter().find(|s| s.slot == which);
        let (primary, alternative) = (slot(SecretSlot::Primary), slot(SecretSlot::Alternative));
        let shown = |which: SecretSlot| {
            new_secret
                .as_ref()
                .filter(|(s, _)| *s == which)
                .map(|(_, v)| v.clone())
        };
        let confidential = app.kind == ClientKind::Confidential;
        let (primary, alternative) = if confidential {
            (primary, alternative)
        } else {
            (None, None)
        };
        Self {
            registration_id: app.id.0,
            registration_name: app.name.clone(),
            registration_description: app.description.clone(),
            registration_location: app.website.clone(),
            registration_logo_secure_location: app.logo_url.clone(),
            registration_terms_of_service_location: app.terms_url.clone(),
            registration_privacy_statement_location: app.privacy_url.clone(),
            organization_name: app.company_name.clone(),
            organization_location: app.company_website.clone(),
            redirect_uris: vec![app.callback_url.clone()],
            post_logout_redirect_uris: app.post_logout_redirect_uris.clone(),
            subject_type: app.pairwise_subject.then_some(SubjectType::Pairwise),
            scopes: app.scopes.to_string(),
            client_type: app.kind.into(),
            identity_id: app.owner_id.0,
            is_valid: true,
            secret: shown(SecretSlot::Primary),
            secret_version_id: primary.map(|s| s.secret.id.0),
            valid_from: primary.map(|s| iso(s.secret.created_at)),
            secret_valid_to: primary.map(|s| iso(s.secret.expires_at)),
            alternative_secret: shown(SecretSlot::Alternative),
            alternative_secret_version_id: alternative.map(|s| s.secret.id.0),
            alternative_secret_valid_from: alternative.map(|s| iso(s.secret.created_at)),
            alternative_secret_valid_to: alternative.map(|s| iso(s.secret.expires_at)),
            certificates: certificates.iter().map(CertificateResponse::from).collect(),
        }
    }
}

/// `{"count": N, "value": [...]}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct RegistrationList {
    /// How many.
    pub count: usize,
    /// The registrations, oldest first.
    pub value: Vec<RegistrationResponse>,
}

/// The hosted service's error envelope.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ErrorEnvelope {
    /// Always `"1"`.
    #[serde(rename = "$id")]
    pub id: String,
    /// Always null.
    pub inner_exception: Option<String>,
    /// What went wrong.
    pub message: String,
    /// The .NET exception type name.
    pub type_name: String,
    /// The short exception key.
    pub type_key: String,
    /// Always 0.
    pub error_code: i32,
    /// Always 3000.
    pub event_id: i32,
}
