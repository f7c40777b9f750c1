//! OAuth 2.0 Form Post Response Mode: the authorization response as an auto-submitting form
//! that posts its parameters to the redirect URI. The form is submitted by `/_static/form_post.js`
//! from this origin, so the CSP stays free of inline script; `form-action` is not restricted.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keygate_core::oauth::authorize::AuthorizationResponse;

use crate::headers::sensitive;
use crate::pages::render;

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage {
    redirect_uri: String,
    params: Vec<(&'static str, String)>,
}

/// Delivers an authorization response: a 302 with a query, or the auto-submitting form.
pub(crate) fn deliver(response: AuthorizationResponse) -> Response {
    if !response.form_post {
        return crate::routes::authorize::found(&response.location());
    }
    let page = FormPostPage {
        redirect_uri: response.redirect_uri,
        params: response.params,
    };
    (StatusCode::OK, sensitive(), render(&page)).into_response()
}
