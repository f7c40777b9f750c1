//! Page templates (askama) and the one helper that renders them.

use askama::Template;
use axum::response::Html;

/// Renders a template; a template fault becomes a plain generic page and is logged.
pub(crate) fn render<T: Template>(t: &T) -> Html<String> {
    match t.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            Html(
                "<!doctype html><title>Error</title><p>Something went wrong in this app.</p>"
                    .into(),
            )
        }
    }
}

/// `GET /`.
#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    /// "Keygate" or "Azure DevOps".
    pub provider: &'static str,
    /// Where the authorize page is.
    pub authorize_host: String,
    /// The scopes asked for.
    pub scopes: String,
    /// Whether this browser already has tokens.
    pub signed_in: bool,
}

/// `GET /token`.
#[derive(Template)]
#[template(path = "token.html")]
pub(crate) struct TokenPage {
    /// `jwt-bearer` or `Bearer`.
    pub token_type: String,
    /// The first characters of the access token.
    pub access_preview: String,
    /// Its length.
    pub access_length: usize,
    /// A short SHA-256 fingerprint, to tell tokens apart.
    pub fingerprint: String,
    /// Expiry in milliseconds since the epoch, for the countdown script.
    pub expires_at_ms: u128,
    /// The time left when served ("in 59:59").
    pub countdown: String,
    /// The expiry as a UTC time.
    pub expires_at_text: String,
    /// Whether a refresh token is kept.
    pub has_refresh: bool,
    /// Whether the page follows a refresh.
    pub refreshed: bool,
    /// How many refreshes so far.
    pub refreshes: u32,
    /// The CSRF token for the Refresh form.
    pub csrf: String,
}

/// One row of the builds table.
pub(crate) struct BuildRow {
    /// Build number.
    pub number: String,
    /// Definition name.
    pub definition: String,
    /// Source branch.
    pub branch: String,
    /// Status.
    pub status: String,
    /// Result, or a dash.
    pub result: String,
    /// Who asked for it.
    pub requested_for: String,
}

/// A project and its builds.
pub(crate) struct ProjectView {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Builds, newest first as the API lists them.
    pub builds: Vec<BuildRow>,
}

/// An organization and its projects.
pub(crate) struct OrgView {
    /// Name.
    pub name: String,
    /// Projects.
    pub projects: Vec<ProjectView>,
}

/// `GET /projects`.
#[derive(Template)]
#[template(path = "projects.html")]
pub(crate) struct ProjectsPage {
    /// The user's display name.
    pub display_name: String,
    /// The user's email.
    pub email: String,
    /// Their organizations.
    pub orgs: Vec<OrgView>,
}

/// Any error, Deny included.
#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    /// Heading.
    pub title: &'a str,
    /// Explanation.
    pub message: &'a str,
    /// What the server said, verbatim, if anything.
    pub detail: Option<&'a str>,
}
