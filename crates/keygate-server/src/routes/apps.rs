//! App registration pages: register, view, regenerate the secret, add and remove certificates,
//! delete, and the owner's list.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keygate_core::apps::{self, AppError, FieldErrors, Manager, Registration};
use keygate_core::ids::AppId;
use keygate_core::model::{App, AuditQuery, ClientKind, SecretSlot, User};

use super::nav;
use crate::csrf;
use crate::error::PageError;
use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::origin::ClientAddr;
use crate::pages::{
    date_time, render, AppPage, AppRow, CertificateForm, CertificateRow, ConfirmPage, ProfilePage,
    RegisterPage, ScopeLabel, SecretSlotRow,
};
use crate::session::SignedIn;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/register", get(register_app_form).post(register_app))
        .route("/app/{id}", get(show_app))
        .route(
            "/app/{id}/regenerate",
            get(regenerate_secret_form).post(regenerate_secret),
        )
        .route("/app/{id}/delete", get(delete_app_form).post(delete_app))
        .route("/app/{id}/certificates", post(add_certificate))
        .route(
            "/app/{id}/certificates/{thumbprint}/remove",
            post(remove_certificate),
        )
        .route("/profile/view", get(list_apps))
}

async fn register_app_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
) -> Response {
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    (
        AppendHeaders(cookies),
        render(&RegisterPage::new(
            nav,
            &Registration::default(),
            &FieldErrors::new(),
        )),
    )
        .into_response()
}

async fn register_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let registration = Registration {
        company_name: form.text("company_name"),
        company_website: form.text("company_website"),
        terms_url: form.text("terms_url"),
        privacy_url: form.text("privacy_url"),
        name: form.text("name"),
        description: form.text("description"),
        logo_url: form.text("logo_url"),
        website: form.text("website"),
        callback_url: form.text("callback_url"),
        scopes: FormFields::all(&body, "scopes").join(" "),
        kind: Some(match form.get("client_type") {
            Some("public") => ClientKind::Public,
            _ => ClientKind::Confidential,
        }),
        post_logout_redirect_uris: form.text("post_logout_redirect_uris"),
        pairwise_subject: form.get("subject_type") == Some("pairwise"),
    };
    let kg = state.acting_user(user.id, addr);
    match apps::register_app(&kg, user.id, &registration, None).await {
        Ok(registered) => {
            tracing::info!(app.id = %registered.app.id, user.id = %user.id, "app registered");
            Ok(app_page(
                &state,
                &headers,
                &user,
                registered.app,
                registered.client_secret.map(|s| (SecretSlot::Primary, s)),
                CertificateForm::default(),
            )
            .await?)
        }
        Err(AppError::Invalid(errors)) => {
            let (nav, cookies) = nav(&state, &headers, Some(&user));
            Ok((
                StatusCode::BAD_REQUEST,
                AppendHeaders(cookies),
                render(&RegisterPage::new(nav, &registration, &errors)),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Renders the app page; `new_secret` only right after creation or regeneration.
async fn app_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    app: App,
    new_secret: Option<(SecretSlot, String)>,
    certificate_form: CertificateForm,
) -> Result<Response, PageError> {
    let (nav, cookies) = nav(state, headers, Some(user));
    let certificates = apps::certificates_of(&state.kg, &app)
        .await?
        .iter()
        .map(|c| CertificateRow {
            thumbprint: c.thumbprint_hex(),
            subject: c.subject.clone(),
            description: c.description.clone(),
            expires: date_time(c.not_after),
        })
        .collect();
    let status = if certificate_form.has_errors() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let has_secret = app.kind == ClientKind::Confidential;
    let stored = apps::secrets_of(&state.kg, app.id).await?;
    let secrets = [
        (SecretSlot::Primary, "Primary"),
        (SecretSlot::Alternative, "Alternative"),
    ]
    .into_iter()
    .map(|(slot, label)| SecretSlotRow {
        slot: slot.as_str(),
        label,
        expires: stored
            .iter()
            .find(|s| s.slot == slot)
            .map(|s| date_time(s.secret.expires_at)),
    })
    .collect();
    let events = crate::audit_view::rows(
        state,
        AuditQuery {
            app: Some(app.id),
            ..AuditQuery::default()
        },
    )
    .await?;
    let (new_secret_slot, new_secret) = match new_secret {
        Some((slot, secret)) => (slot.as_str(), Some(secret)),
        None => ("", None),
    };
    let page = AppPage {
        nav,
        app_id_upper: app.id.to_upper(),
        scopes: ScopeLabel::list(&app.scopes),
        kind: if has_secret {
            "Confidential (server-side, with a client secret)"
        } else {
            "Public (PKCE, no secret)"
        },
        has_secret,
        created: date_time(app.created_at),
        new_secret,
        new_secret_slot,
        secrets,
        events,
        certificates,
        certificate_form,
        app,
    };
    Ok((status, sensitive(), AppendHeaders(cookies), render(&page)).into_response())
}

/// `?slot=primary|alternative` on the regenerate pages; primary when absent.
#[derive(Debug, serde::Deserialize)]
struct SlotQuery {
    slot: Option<String>,
}

impl SlotQuery {
    fn slot(&self) -> Result<SecretSlot, PageError> {
        match self.slot.as_deref() {
            None | Some("") => Ok(SecretSlot::Primary),
            Some(s) => SecretSlot::parse(s)
                .ok_or_else(|| PageError::BadRequest("Unknown secret slot.".into())),
        }
    }
}

/// The app named by the path, if it exists and `user` owns it; someone else's app is reported as
/// not found (core's one ownership rule, shared with the registration API).
async fn owned_app(state: &AppState, user: &User, id: &str) -> Result<App, PageError> {
    let id: AppId = id.parse().map_err(|_| PageError::NotFound)?;
    Ok(apps::managed_app(&state.kg, &Manager::Owner(user.id), id).await?)
}

async fn show_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let app = owned_app(&state, &user, &id).await?;
    app_page(
        &state,
        &headers,
        &user,
        app,
        None,
        CertificateForm::default(),
    )
    .await
}

async fn regenerate_secret_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<SlotQuery>,
) -> Result<Response, PageError> {
    let slot = query.slot()?;
    let app = owned_app(&state, &user, &id).await?;
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    Ok((
        AppendHeaders(cookies),
        render(&ConfirmPage {
            nav,
            title: format!("Regenerate the {slot} secret of {}?", app.name),
            message: format!("The current {slot} client secret (if any) stops working at once, and so does every access and refresh token issued with it: users who authorized through it will have to authorize the app again. The other secret keeps working."),
            action: format!("/app/{}/regenerate?slot={slot}", app.id),
            confirm_label: "Regenerate secret",
            cancel_url: format!("/app/{}", app.id),
        }),
    )
        .into_response())
}

async fn regenerate_secret(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<SlotQuery>,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    if !csrf::verify(&state, &headers, FormFields::parse(&body).get("csrf")) {
        return Err(PageError::Csrf);
    }
    let slot = query.slot()?;
    let app = owned_app(&state, &user, &id).await?;
    let kg = state.acting_user(user.id, addr);
    let secret = apps::rotate_secret(&kg, &app, slot, None).await?;
    app_page(
        &state,
        &headers,
        &user,
        app,
        Some((slot, secret)),
        CertificateForm::default(),
    )
    .await
}

async fn delete_app_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let app = owned_app(&state, &user, &id).await?;
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    Ok((
        AppendHeaders(cookies),
        render(&ConfirmPage {
            nav,
            title: format!("Delete {}?", app.name),
            message: "The application is removed for good: its App ID is refused from then on, and every token it holds stops working.".into(),
            action: format!("/app/{}/delete", app.id),
            confirm_label: "Delete application",
            cancel_url: format!("/app/{}", app.id),
        }),
    )
        .into_response())
}

async fn delete_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    if !csrf::verify(&state, &headers, FormFields::parse(&body).get("csrf")) {
        return Err(PageError::Csrf);
    }
    let app = owned_app(&state, &user, &id).await?;
    apps::delete_app(&state.acting_user(user.id, addr), app.id).await?;
    Ok(Redirect::to("/profile/view").into_response())
}

async fn list_apps(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let apps = apps::apps_of(&state.kg, &Manager::Owner(user.id)).await?;
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    let apps = apps
        .into_iter()
        .map(|a| AppRow {
            id: a.id.to_string(),
            id_upper: a.id.to_upper(),
            name: a.name,
            company: a.company_name,
            callback_url: a.callback_url,
        })
        .collect();
    Ok((AppendHeaders(cookies), render(&ProfilePage { nav, apps })).into_response())
}

/// Registers a certificate from the pasted PEM; errors are shown on the app page, by field.
async fn add_certificate(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let app = owned_app(&state, &user, &id).await?;
    let pem = form.text("certificate");
    let description = form.text("description");
    let kg = state.acting_user(user.id, addr);
    match apps::add_certificate(&kg, &app, &pem, &description).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{}#certificates", app.id)).into_response()),
        Err(AppError::Invalid(mut errors)) => {
            let pem_error = errors
                .remove(apps::CERTIFICATE_FIELD)
                .map(|e| format!("The certificate {e}."));
            let description_error = errors
                .remove("description")
                .map(|e| format!("The description {e}."));
            let form = CertificateForm {
                pem,
                description,
                pem_error,
                description_error,
            };
            app_page(&state, &headers, &user, app, None, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a certificate, named by its thumbprint.
async fn remove_certificate(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path((id, thumbprint)): Path<(String, String)>,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    if !csrf::verify(&state, &headers, FormFields::parse(&body).get("csrf")) {
        return Err(PageError::Csrf);
    }
    let app = owned_app(&state, &user, &id).await?;
    apps::remove_certificate(&state.acting_user(user.id, addr), &app, &thumbprint).await?;
    Ok(Redirect::to(&format!("/app/{}#certificates", app.id)).into_response())
}
