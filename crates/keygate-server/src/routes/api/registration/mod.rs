//! The registration REST API, shaped like the hosted service's `delegatedAuth` area: create, read,
//! list, update and delete app registrations (`/_apis/delegatedauth/registration`), and create
//! or rotate an app's primary or alternative secret (`/_apis/delegatedauth/registrationsecret`).
//! Its OpenAPI document, generated from these handlers and wire types, is `/_apis/openapi.json`.

mod caller;
mod openapi;
mod wire;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keygate_core::apps::{self, AppError};
use keygate_core::ids::{AppId, UserId};
use keygate_core::model::{App, SecretSlot};
use serde::de::DeserializeOwned;

use self::caller::Authorized;
use self::wire::{
    describe_errors, CertificateList, CertificateRequest, CertificateResponse, RegistrationList,
    RegistrationRequest, RegistrationResponse,
};
use super::error::ApiError;
use super::json_response;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/_apis/delegatedauth/registration",
            post(create_registration).get(list_registrations),
        )
        .route(
            "/_apis/delegatedauth/registration/{registrationId}",
            get(get_registration)
                .put(update_registration)
                .delete(delete_registration),
        )
        .route(
            "/_apis/delegatedauth/registrationsecret/{registrationId}",
            post(create_alternative_secret).put(rotate_secret),
        )
        .route(
            "/_apis/delegatedauth/registration/{registrationId}/certificates",
            get(list_certificates).post(add_certificate),
        )
        .route(
            "/_apis/delegatedauth/registration/{registrationId}/certificates/{thumbprint}",
            axum::routing::delete(remove_certificate),
        )
        .route("/_apis/openapi.json", get(openapi::serve))
}

/// The `api-version` query parameter, echoed in the content type.
fn api_version(query: &Option<String>) -> Option<String> {
    query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "api-version")
            .map(|(_, v)| v.into_owned())
    })
}

fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// Reads a JSON body; anything unreadable is a 400 in the API's envelope, never axum's text.
fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid: {e}")))
}

fn not_found() -> ApiError {
    ApiError::NotFound {
        message: "The registration does not exist, or you may not see it.".into(),
        type_key: "RegistrationNotFoundException",
    }
}

fn app_error(e: AppError) -> ApiError {
    match e {
        AppError::Invalid(errors) => ApiError::BadRequest(describe_errors(&errors)),
        AppError::NotFound => not_found(),
        AppError::NoSecret => {
            ApiError::BadRequest("Public registrations have no client secret.".into())
        }
        AppError::AlternativeSecretExists => ApiError::Conflict(
            "The registration already has an alternative secret; rotate it with PUT ?secretType=alternative.".into(),
        ),
        AppError::OwnerNotCaller => {
            ApiError::BadRequest("identityId may only name the caller".into())
        }
        AppError::OwnerRequired => ApiError::BadRequest(
            "identityId must name the owner when an admin token registers an app".into(),
        ),
        AppError::NoSuchOwner => ApiError::BadRequest("identityId names no user".into()),
        AppError::AdminOnly => {
            ApiError::BadRequest("Only an administrator may change this setting.".into())
        }
        AppError::CertificateNotFound => ApiError::NotFound {
            message: "The registration has no certificate with that thumbprint.".into(),
            type_key: "CertificateNotFoundException",
        },
        AppError::Store(s) => s.into(),
        AppError::Mint(e) => {
            tracing::error!(error = %e, "could not mint a client secret");
            ApiError::Internal
        }
    }
}

/// The app named by the path, if the caller may manage it; otherwise not found (no oracle).
async fn managed_app(auth: &Authorized, id: &str) -> Result<App, ApiError> {
    let id: AppId = id.parse().map_err(|_| not_found())?;
    apps::managed_app(&auth.kg, &auth.caller.manager(), id)
        .await
        .map_err(app_error)
}

async fn describe(
    auth: &Authorized,
    app: &App,
    new_secret: Option<(SecretSlot, String)>,
) -> Result<RegistrationResponse, ApiError> {
    let secrets = apps::secrets_of(&auth.kg, app.id)
        .await
        .map_err(app_error)?;
    let certificates = apps::certificates_of(&auth.kg, app)
        .await
        .map_err(app_error)?;
    Ok(RegistrationResponse::of(
        app,
        &secrets,
        &certificates,
        new_secret,
    ))
}

fn ok<T: serde::Serialize>(value: &T, query: &Option<String>) -> Result<Response, ApiError> {
    let value = serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "could not serialize a registration");
        ApiError::Internal
    })?;
    Ok(json_response(
        StatusCode::OK,
        &value,
        api_version(query).as_deref(),
    ))
}

/// Registers an app; the answer carries its primary secret, shown this once.
#[utoipa::path(
    post,
    path = "/_apis/delegatedauth/registration",
    tag = "Registration",
    operation_id = "Registration_Create",
    params(("api-version" = Option<String>, Query, description = "Accepted and echoed")),
    request_body = RegistrationRequest,
    responses(
        (status = 200, description = "The registration, with its primary secret", body = RegistrationResponse),
        (status = 400, description = "The registration is invalid", body = wire::ErrorEnvelope),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn create_registration(
    auth: Authorized,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: RegistrationRequest = json_body(&body)?;
    let registration = request.registration().map_err(ApiError::BadRequest)?;
    let registered = auth
        .caller
        .manager()
        .register_app(&auth.kg, request.identity_id.map(UserId), &registration)
        .await
        .map_err(app_error)?;
    let secret = registered.client_secret.map(|s| (SecretSlot::Primary, s));
    ok(&describe(&auth, &registered.app, secret).await?, &query)
}

/// The caller's registrations (every registration for an admin token), oldest first.
#[utoipa::path(
    get,
    path = "/_apis/delegatedauth/registration",
    tag = "Registration",
    operation_id = "Registration_List",
    params(("api-version" = Option<String>, Query, description = "Accepted and echoed")),
    responses(
        (status = 200, description = "The registrations", body = RegistrationList),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn list_registrations(
    auth: Authorized,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let apps = apps::apps_of(&auth.kg, &auth.caller.manager())
        .await
        .map_err(app_error)?;
    let mut value = Vec::new();
    for app in apps {
        value.push(describe(&auth, &app, None).await?);
    }
    ok(
        &RegistrationList {
            count: value.len(),
            value,
        },
        &query,
    )
}

/// One registration (its secrets' versions and validity, never the secrets).
#[utoipa::path(
    get,
    path = "/_apis/delegatedauth/registration/{registrationId}",
    tag = "Registration",
    operation_id = "Registration_Get",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("api-version" = Option<String>, Query, description = "Accepted and echoed"),
    ),
    responses(
        (status = 200, description = "The registration", body = RegistrationResponse),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn get_registration(
    auth: Authorized,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    ok(&describe(&auth, &app, None).await?, &query)
}

/// Changes a registration's details; its scopes and client type cannot change.
#[utoipa::path(
    put,
    path = "/_apis/delegatedauth/registration/{registrationId}",
    tag = "Registration",
    operation_id = "Registration_Update",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("api-version" = Option<String>, Query, description = "Accepted and echoed"),
    ),
    request_body = RegistrationRequest,
    responses(
        (status = 200, description = "The updated registration", body = RegistrationResponse),
        (status = 400, description = "The registration is invalid", body = wire::ErrorEnvelope),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn update_registration(
    auth: Authorized,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    let request: RegistrationRequest = json_body(&body)?;
    let mut registration = request.registration().map_err(ApiError::BadRequest)?;
    if request.post_logout_redirect_uris.is_none() {
        registration.post_logout_redirect_uris = app.post_logout_redirect_uris.join(" ");
    }
    if request.subject_type.is_none() {
        registration.pairwise_subject = app.pairwise_subject;
    }
    if request
        .client_type
        .is_some_and(|t| keygate_core::model::ClientKind::from(t) != app.kind)
    {
        return Err(ApiError::BadRequest(
            "clientType cannot be changed after registration".into(),
        ));
    }
    if request
        .identity_id
        .is_some_and(|owner| owner != app.owner_id.0)
    {
        return Err(ApiError::BadRequest(
            "identityId cannot be changed after registration".into(),
        ));
    }
    let updated = apps::update_app(&auth.kg, &app, &registration)
        .await
        .map_err(app_error)?;
    ok(&describe(&auth, &updated, None).await?, &query)
}

/// Deletes a registration: its App ID is refused from then on and every token it holds stops
/// working.
#[utoipa::path(
    delete,
    path = "/_apis/delegatedauth/registration/{registrationId}",
    tag = "Registration",
    operation_id = "Registration_Delete",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("api-version" = Option<String>, Query, description = "Accepted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn delete_registration(
    auth: Authorized,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    apps::delete_app(&auth.kg, app.id)
        .await
        .map_err(app_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Creates the alternative secret and answers with it (a JSON string), shown this once. The
/// primary keeps working; an existing alternative is rotated with `PUT ?secretType=alternative`.
#[utoipa::path(
    post,
    path = "/_apis/delegatedauth/registrationsecret/{registrationId}",
    tag = "Registration Secret",
    operation_id = "Registration Secret_Create",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("api-version" = Option<String>, Query, description = "Accepted and echoed"),
    ),
    responses(
        (status = 200, description = "The new alternative secret", body = String),
        (status = 400, description = "A public registration has no secret", body = wire::ErrorEnvelope),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
        (status = 409, description = "The registration already has an alternative secret", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn create_alternative_secret(
    auth: Authorized,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    let secret = apps::create_alternative_secret(&auth.kg, &app)
        .await
        .map_err(app_error)?;
    ok(&secret, &query)
}

/// Replaces the primary (default) or alternative secret; the other keeps working. The answer
/// carries the new secret, shown this once.
#[utoipa::path(
    put,
    path = "/_apis/delegatedauth/registrationsecret/{registrationId}",
    tag = "Registration Secret",
    operation_id = "Registration Secret_Rotate Secret",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("secretType" = Option<String>, Query, description = "`primary` (the default) or `alternative`"),
        ("api-version" = Option<String>, Query, description = "Accepted and echoed"),
    ),
    responses(
        (status = 200, description = "The registration, with the new secret", body = RegistrationResponse),
        (status = 400, description = "Unknown secretType, or a public registration", body = wire::ErrorEnvelope),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn rotate_secret(
    auth: Authorized,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    let slot = match query_param(&query, "secretType").as_deref() {
        None | Some("") => SecretSlot::Primary,
        Some(raw) => SecretSlot::parse(raw).ok_or_else(|| {
            ApiError::BadRequest("secretType must be primary or alternative".into())
        })?,
    };
    let secret = apps::rotate_secret(&auth.kg, &app, slot, None)
        .await
        .map_err(app_error)?;
    ok(&describe(&auth, &app, Some((slot, secret))).await?, &query)
}

/// The registration's certificates (for `private_key_jwt`), oldest first.
#[utoipa::path(
    get,
    path = "/_apis/delegatedauth/registration/{registrationId}/certificates",
    tag = "Registration Certificates",
    operation_id = "Registration Certificates_List",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("api-version" = Option<String>, Query, description = "Accepted and echoed"),
    ),
    responses(
        (status = 200, description = "The certificates", body = CertificateList),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn list_certificates(
    auth: Authorized,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    let held = apps::certificates_of(&auth.kg, &app)
        .await
        .map_err(app_error)?;
    let value: Vec<CertificateResponse> = held.iter().map(CertificateResponse::from).collect();
    ok(
        &CertificateList {
            count: value.len(),
            value,
        },
        &query,
    )
}

/// Registers a certificate (PEM) on the registration, so the app may authenticate at the
/// token endpoint with a JWT signed by its private key.
#[utoipa::path(
    post,
    path = "/_apis/delegatedauth/registration/{registrationId}/certificates",
    tag = "Registration Certificates",
    operation_id = "Registration Certificates_Add",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("api-version" = Option<String>, Query, description = "Accepted and echoed"),
    ),
    request_body = CertificateRequest,
    responses(
        (status = 200, description = "The registered certificate", body = CertificateResponse),
        (status = 400, description = "Not a usable certificate, already registered, or the registration holds ten", body = wire::ErrorEnvelope),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn add_certificate(
    auth: Authorized,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    let request: CertificateRequest = json_body(&body)?;
    let added = apps::add_certificate(&auth.kg, &app, &request.pem, &request.description)
        .await
        .map_err(app_error)?;
    ok(&CertificateResponse::from(&added), &query)
}

/// Removes a certificate, named by its SHA-1 or SHA-256 thumbprint (hex).
#[utoipa::path(
    delete,
    path = "/_apis/delegatedauth/registration/{registrationId}/certificates/{thumbprint}",
    tag = "Registration Certificates",
    operation_id = "Registration Certificates_Remove",
    params(
        ("registrationId" = uuid::Uuid, Path, description = "The App ID"),
        ("thumbprint" = String, Path, description = "SHA-1 or SHA-256 thumbprint, hex"),
        ("api-version" = Option<String>, Query, description = "Accepted"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No usable token", body = wire::ErrorEnvelope),
        (status = 404, description = "No such registration of the caller's, or no such certificate", body = wire::ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
async fn remove_certificate(
    auth: Authorized,
    Path((id, thumbprint)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app = managed_app(&auth, &id).await?;
    apps::remove_certificate(&auth.kg, &app, &thumbprint)
        .await
        .map_err(app_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
