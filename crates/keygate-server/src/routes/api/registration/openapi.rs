//! `GET /_apis/openapi.json`: the registration API's OpenAPI document, generated from the
//! handlers' `#[utoipa::path]` attributes and the wire types' `ToSchema` derives.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::wire::{
    CertificateList, CertificateRequest, CertificateResponse, ClientType, ErrorEnvelope,
    RegistrationList, RegistrationRequest, RegistrationResponse,
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keygate registration API",
        description = "App registrations and their two client secrets, shaped like the hosted \
                       service's delegatedAuth area. Authorize with an OAuth access token \
                       carrying vso.tokens, or an admin token from `keygate admin-token create`."
    ),
    paths(
        super::create_registration,
        super::list_registrations,
        super::get_registration,
        super::update_registration,
        super::delete_registration,
        super::create_alternative_secret,
        super::rotate_secret,
        super::list_certificates,
        super::add_certificate,
        super::remove_certificate,
    ),
    components(schemas(
        CertificateList,
        CertificateRequest,
        CertificateResponse,
        ClientType,
        ErrorEnvelope,
        RegistrationList,
        RegistrationRequest,
        RegistrationResponse
    )),
    modifiers(&BearerScheme)
)]
pub(super) struct RegistrationApi;

/// Declares the `bearer` security scheme the operations name.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Serves the document as JSON.
pub(super) async fn serve() -> Response {
    match RegistrationApi::openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not render the OpenAPI document");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
