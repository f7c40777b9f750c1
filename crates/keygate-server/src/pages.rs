//! Page templates (askama) and the one helper that renders them.

mod display;
mod register;

use askama::Template;
use axum::response::Html;
use keygate_core::model::App;

pub(crate) use display::{date_time, timestamp, ScopeLabel};
pub(crate) use register::RegisterPage;

/// The header bar: who is signed in, and the CSRF token for its sign-out form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nav {
    /// Display name of the signed-in user.
    pub user: Option<String>,
    /// CSRF token for forms on the page.
    pub csrf: String,
}

/// Renders a template; a template fault becomes a plain generic page and is logged.
pub(crate) fn render<T: Template>(t: &T) -> Html<String> {
    match t.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            Html(
                "<!doctype html><title>Error</title><p>Something went wrong on our side.</p>"
                    .into(),
            )
        }
    }
}

/// A form error: the field it belongs to (its element id) and what to say.
#[derive(Debug, Clone)]
pub(crate) struct FieldError {
    /// The field's id, which the summary links to; empty for an error with no field.
    pub field: &'static str,
    /// A sentence naming the field and the problem.
    pub message: String,
}

/// The box at the top of a form that lists its errors, each linking to its field.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorSummary {
    /// A sentence before the list, or empty.
    pub note: &'static str,
    /// The errors, in the order their fields appear.
    pub errors: Vec<FieldError>,
}

impl ErrorSummary {
    /// One error for one field.
    pub(crate) fn one(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            note: "",
            errors: vec![FieldError {
                field,
                message: message.into(),
            }],
        }
    }

    /// Whether there is nothing to report.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A page that says what went wrong.
#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    /// Header.
    pub nav: Nav,
    /// Heading.
    pub title: &'a str,
    /// Explanation.
    pub message: &'a str,
}

/// `GET /_signin`.
#[derive(Template)]
#[template(path = "signin.html")]
pub(crate) struct SignInPage {
    /// Header.
    pub nav: Nav,
    /// Where to go after signing in (a same-origin path).
    pub return_url: String,
    /// Email as typed, on a retry.
    pub email: String,
    /// The one generic failure, on a retry; it belongs to both fields.
    pub summary: ErrorSummary,
}

/// `GET /`.
#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    /// Header.
    pub nav: Nav,
}

/// `GET /app/{id}`.
#[derive(Template)]
#[template(path = "app.html")]
pub(crate) struct AppPage {
    /// Header.
    pub nav: Nav,
    /// The app.
    pub app: App,
    /// App ID in upper case.
    pub app_id_upper: String,
    /// The scopes it registered, by title.
    pub scopes: Vec<ScopeLabel>,
    /// Client type text.
    pub kind: &'static str,
    /// Whether it has a secret.
    pub has_secret: bool,
    /// Creation time.
    pub created: String,
    /// The secret, only right after creation or regeneration.
    pub new_secret: Option<String>,
    /// Which slot `new_secret` went into.
    pub new_secret_slot: &'static str,
    /// The two secret slots.
    pub secrets: Vec<SecretSlotRow>,
    /// The app's audit events, newest first.
    pub events: Vec<AuditRow>,
    /// Its certificates (`private_key_jwt`), oldest first.
    pub certificates: Vec<CertificateRow>,
    /// The add-certificate form as posted, with its errors.
    pub certificate_form: CertificateForm,
}

/// A certificate on the app page.
#[derive(Debug)]
pub(crate) struct CertificateRow {
    /// SHA-1 thumbprint, upper-case hex (as the Azure portal shows it).
    pub thumbprint: String,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// When it expires.
    pub expires: String,
}

/// The add-certificate form: what was typed and what was wrong with it.
#[derive(Debug, Default)]
pub(crate) struct CertificateForm {
    /// The PEM as posted.
    pub pem: String,
    /// The description as posted.
    pub description: String,
    /// The problem with the PEM.
    pub pem_error: Option<String>,
    /// The problem with the description.
    pub description_error: Option<String>,
}

impl CertificateForm {
    /// Whether the form has an error to show.
    pub(crate) fn has_errors(&self) -> bool {
        self.pem_error.is_some() || self.description_error.is_some()
    }
}

/// A confirmation step before a destructive action.
#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage {
    /// Header.
    pub nav: Nav,
    /// Heading.
    pub title: String,
    /// What will happen.
    pub message: String,
    /// Form action.
    pub action: String,
    /// Button label.
    pub confirm_label: &'static str,
    /// Where Cancel goes.
    pub cancel_url: String,
}

/// A row of the app list.
#[derive(Debug, Clone)]
pub(crate) struct AppRow {
    /// App ID (lower case, for links).
    pub id: String,
    /// App ID (upper case, for display).
    pub id_upper: String,
    /// Name.
    pub name: String,
    /// Company.
    pub company: String,
    /// Callback.
    pub callback_url: String,
}

/// `GET /profile/view`.
#[derive(Template)]
#[template(path = "profile.html")]
pub(crate) struct ProfilePage {
    /// Header.
    pub nav: Nav,
    /// The user's apps.
    pub apps: Vec<AppRow>,
}

/// The consent page.
#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage {
    /// Header.
    pub nav: Nav,
    /// The app asking.
    pub app: App,
    /// Who is consenting.
    pub user_email: String,
    /// Requested scopes.
    pub scopes: Vec<ScopeLabel>,
    /// Host the browser will be sent back to.
    pub redirect_host: String,
    /// The authorize parameters, carried through the form.
    pub hidden: Vec<(&'static str, String)>,
}

/// A row of the authorizations page.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRow {
    /// App ID.
    pub app_id: String,
    /// App name.
    pub app_name: String,
    /// Company.
    pub company_name: String,
    /// Scopes granted, by title.
    pub scopes: Vec<ScopeLabel>,
    /// When it was granted.
    pub issued: String,
    /// When its last credential expires.
    pub expires: String,
}

/// `GET /profile/authorizations`.
#[derive(Template)]
#[template(path = "authorizations.html")]
pub(crate) struct AuthorizationsPage {
    /// Header.
    pub nav: Nav,
    /// One row per authorized app.
    pub rows: Vec<AuthorizationRow>,
    /// What the last action did.
    pub notice: Option<String>,
}

/// `GET /{org}/_settings/organizationPolicy`.
#[derive(Template)]
#[template(path = "org_policy.html")]
pub(crate) struct OrgPolicyPage {
    /// Header.
    pub nav: Nav,
    /// Organization name.
    pub org_name: String,
    /// Whether third-party OAuth access is allowed.
    pub allowed: bool,
    /// What the last action did.
    pub notice: Option<String>,
    /// The organization's audit events, newest first.
    pub events: Vec<AuditRow>,
}

/// One audit event as the app and organization pages list it.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    /// When, in UTC.
    pub when: String,
    /// What happened (`secret_regenerated`, ...).
    pub kind: String,
    /// Who (`user:<id>`, `cli`, ...).
    pub actor: String,
    /// To what.
    pub target: String,
    /// The client's address, or empty.
    pub address: String,
    /// The short description.
    pub detail: String,
}

/// One of an app's two client secrets as its page shows it (never the secret itself).
#[derive(Debug, Clone)]
pub(crate) struct SecretSlotRow {
    /// `primary` or `alternative`.
    pub slot: &'static str,
    /// `Primary` or `Alternative`, for people.
    pub label: &'static str,
    /// When the secret in the slot expires, or `None` when the slot is empty.
    pub expires: Option<String>,
}

/// `GET /device`: where a person types the code a device shows (RFC 8628 §3.3).
#[derive(Template)]
#[template(path = "device.html")]
pub(crate) struct DevicePage {
    /// Header.
    pub nav: Nav,
    /// The code as typed or prefilled from `?user_code=`.
    pub user_code: String,
    /// What was wrong with the code, on a retry.
    pub summary: ErrorSummary,
}

/// The consent page of a device's request.
#[derive(Template)]
#[template(path = "device_consent.html")]
pub(crate) struct DeviceConsentPage {
    /// Header.
    pub nav: Nav,
    /// The app asking.
    pub app: App,
    /// Who is consenting.
    pub user_email: String,
    /// Requested scopes.
    pub scopes: Vec<ScopeLabel>,
    /// The user code, as the device shows it.
    pub user_code: String,
}

/// What the verification page says after a decision.
#[derive(Template)]
#[template(path = "device_done.html")]
pub(crate) struct DeviceDonePage {
    /// Header.
    pub nav: Nav,
    /// Heading.
    pub title: &'static str,
    /// What happens next.
    pub message: String,
}
