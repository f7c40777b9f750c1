//! What a person and an app do over HTTP against a running Keygate at `base`: sign in, answer
//! the consent page, exchange and refresh in the Azure flavour, call the REST API.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::html::{field, hidden_fields};
use crate::process::Server;
use crate::CALLBACK;

/// The Azure flavour's grant for a code exchange (protocol §4).
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The Azure flavour's client assertion type: the client secret is the assertion.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client that keeps cookies (for every node of a cluster: cookies ignore the port) and never
/// follows redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GETs the page at `url` and returns the CSRF token its form carries.
pub async fn csrf(browser: &Client, url: &str) -> String {
    let html = browser.get(url).send().await.unwrap().text().await.unwrap();
    field(&html, "csrf")
}

/// Signs `browser` in at `base` through the sign-in page.
pub async fn sign_in(browser: &Client, base: &str, email: &str, password: &str) {
    let csrf = csrf(browser, &format!("{base}/_signin")).await;
    let r = browser
        .post(format!("{base}/_signin"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in failed");
}

/// Submits the consent page `html` (every hidden field it carries) at `base` with `decision`
/// ("accept" or "deny"), and returns the answer.
pub async fn answer_consent(browser: &Client, base: &str, html: &str, decision: &str) -> Response {
    let mut form = hidden_fields(html);
    form.push(("decision".into(), decision.into()));
    browser
        .post(format!("{base}/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Has the signed-in `browser` accept `app_id` for `scopes` at `base` (Azure flavour, callback
/// [`CALLBACK`]); returns the code.
pub async fn authorize(browser: &Client, base: &str, app_id: &str, scopes: &str) -> String {
    authorize_as(browser, base, app_id, scopes, "Assertion").await
}

/// Like [`authorize`], asking with `response_type` (`Assertion` for the Azure flavour, `code`
/// for standard OAuth).
pub async fn authorize_as(
    browser: &Client,
    base: &str,
    app_id: &str,
    scopes: &str,
    response_type: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", app_id)
        .append_pair("response_type", response_type)
        .append_pair("state", "s")
        .append_pair("scope", scopes)
        .append_pair("redirect_uri", CALLBACK)
        .finish();
    let consent = browser
        .get(format!("{base}/oauth2/authorize?{query}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = answer_consent(browser, base, &consent, "accept").await;
    assert_eq!(r.status(), StatusCode::FOUND, "consent refused");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned()
}

/// A standard (RFC 6749) token request at `base` by the confidential client `app_id`,
/// authenticated with HTTP Basic and `secret`, carrying `form`. Not yet sent.
pub fn standard_token_request(
    client: &Client,
    base: &str,
    app_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> RequestBuilder {
    client
        .post(format!("{base}/oauth2/token"))
        .basic_auth(app_id, Some(secret))
        .form(form)
}

/// An Azure-flavour token request at `base`: the client secret as the assertion, `grant` with
/// `assertion` (a code or a refresh token). Not yet sent.
pub fn azure_token_request(
    client: &Client,
    base: &str,
    secret: &str,
    grant: &str,
    assertion: &str,
) -> RequestBuilder {
    client.post(format!("{base}/oauth2/token")).form(&[
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", secret),
        ("grant_type", grant),
        ("assertion", assertion),
        ("redirect_uri", CALLBACK),
    ])
}

/// The Azure code exchange at `base`.
pub async fn exchange(client: &Client, base: &str, secret: &str, code: &str) -> Response {
    azure_token_request(client, base, secret, JWT_BEARER, code)
        .send()
        .await
        .unwrap()
}

/// The Azure refresh at `base`.
pub async fn refresh(client: &Client, base: &str, secret: &str, refresh: &str) -> Response {
    azure_token_request(client, base, secret, "refresh_token", refresh)
        .send()
        .await
        .unwrap()
}

/// Access and refresh tokens from a successful token response.
pub async fn tokens(r: Response) -> (String, String) {
    assert_eq!(r.status(), StatusCode::OK, "token request refused");
    let t: Value = r.json().await.unwrap();
    (
        t["access_token"].as_str().unwrap().to_owned(),
        t["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// Signs in at `base` as `email`, authorizes `app_id` for `scopes` and exchanges the code with
/// `secret`: the signed-in browser and the access token.
pub async fn tokens_from(
    base: &str,
    email: &str,
    password: &str,
    scopes: &str,
    app_id: &str,
    secret: &str,
) -> (Client, String) {
    let b = browser();
    sign_in(&b, base, email, password).await;
    let code = authorize(&b, base, app_id, scopes).await;
    let (access, _) = tokens(exchange(&b, base, secret, &code).await).await;
    (b, access)
}

/// The status of `GET path` with `token` at `base` (header `X-TFS-FedAuthRedirect: Suppress`,
/// so a refused token answers 401 rather than the sign-in page).
pub async fn status(base: &str, path: &str, token: &str) -> StatusCode {
    Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap()
        .status()
}

/// How long after `start` until every one of `bases` answers 401 to the request `status_of`
/// makes to it, asking each again until `give_up` has passed; `what` names the credential in
/// the failure message.
pub async fn time_until_all_refuse<'a, F, Fut>(
    bases: &[&'a str],
    start: Instant,
    give_up: Duration,
    what: &str,
    status_of: F,
) -> Duration
where
    F: Fn(&'a str) -> Fut,
    Fut: Future<Output = StatusCode>,
{
    let mut pending: Vec<&str> = bases.to_vec();
    while !pending.is_empty() && start.elapsed() < give_up {
        let mut still = Vec::new();
        for base in pending {
            if status_of(base).await != StatusCode::UNAUTHORIZED {
                still.push(base);
            }
        }
        pending = still;
    }
    assert!(pending.is_empty(), "a node never refused the {what}");
    start.elapsed()
}

/// How long after `start` until every one of `nodes` refuses `token` on `path` with 401, asking
/// each again until `give_up` has passed.
pub async fn time_until_token_refused(
    nodes: &[&Server],
    path: &str,
    token: &str,
    start: Instant,
    give_up: Duration,
) -> Duration {
    let bases: Vec<&str> = nodes.iter().map(|n| n.base.as_str()).collect();
    time_until_all_refuse(&bases, start, give_up, "token", |base| {
        status(base, path, token)
    })
    .await
}
