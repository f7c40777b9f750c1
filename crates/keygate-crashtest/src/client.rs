//! The OAuth client side: sign in, authorize and consent for a code, exchange it, refresh; and
//! what each answer means when the server may have died mid-request.

use anyhow::{bail, Context};
use reqwest::{Client, StatusCode};

/// The registered app's callback URL.
pub(crate) const CALLBACK: &str = "https://localhost:5001/oauth/callback";
/// The registered app's scopes.
pub(crate) const SCOPES: &str = "vso.profile vso.work";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a token request came to, from the client's side.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// 200 and the whole body read: the refresh token is the client's now.
    Tokens(String),
    /// A complete error answer.
    Refused(String),
    /// The connection could not be made: the request never reached the server.
    NotSent,
    /// Sent, but no complete answer: the server may or may not have committed it.
    Ambiguous,
}

/// One registered app and a signed-in browser.
#[derive(Clone)]
pub(crate) struct OAuthClient {
    http: Client,
    base: String,
    app_id: String,
    secret: String,
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub(crate) fn browser() -> anyhow::Result<Client> {
    Ok(Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()?)
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let start = part.find(&format!("{name}=\""))? + name.len() + 2;
            let end = part[start..].find('"')? + start;
            Some(
                part[start..end]
                    .replace("&#43;", "+")
                    .replace("&#x2b;", "+")
                    .replace("&#47;", "/")
                    .replace("&#x2f;", "/")
                    .replace("&quot;", "\"")
                    .replace("&#34;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        };
        if let (Some(k), Some(v)) = (attr("name"), attr("value")) {
            out.push((k, v));
        }
    }
    out
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl OAuthClient {
    /// A client for `app_id`/`secret` at `base`, using `http` (which holds the session).
    pub(crate) fn new(http: Client, base: String, app_id: String, secret: String) -> Self {
        Self {
            http,
            base,
            app_id,
            secret,
        }
    }

    /// Signs the browser in.
    pub(crate) async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let page = self
            .http
            .get(format!("{}/_signin", self.base))
            .send()
            .await?
            .text()
            .await?;
        let mut fields = hidden_fields(&page);
        fields.retain(|(k, _)| k == "csrf");
        fields.push(("email".into(), email.into()));
        fields.push(("password".into(), password.into()));
        fields.push(("returnUrl".into(), "/".into()));
        let r = self
            .http
            .post(format!("{}/_signin", self.base))
            .form(&fields)
            .send()
            .await?;
        if r.status() != StatusCode::SEE_OTHER {
            bail!("sign-in failed with {}", r.status());
        }
        Ok(())
    }

    /// Authorize and Accept: a fresh code.
    pub(crate) async fn new_code(&self) -> anyhow::Result<String> {
        let query = format!(
            "client_id={}&response_type=Assertion&state=crash&scope={}&redirect_uri={}",
            self.app_id,
            enc(SCOPES),
            enc(CALLBACK)
        );
        let page = self
            .http
            .get(format!("{}/oauth2/authorize?{query}", self.base))
            .send()
            .await?;
        if page.status() != StatusCode::OK {
            bail!("consent page answered {}", page.status());
        }
        let mut fields = hidden_fields(&page.text().await?);
        fields.push(("decision".into(), "accept".into()));
        let r = self
            .http
            .post(format!("{}/oauth2/authorize", self.base))
            .form(&fields)
            .send()
            .await?;
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .context("consent gave no redirect")?;
        url::Url::parse(location)?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .context("the redirect carries no code")
    }

    async fn token(&self, grant_type: &str, assertion: &str) -> Outcome {
        let sent = self
            .http
            .post(format!("{}/oauth2/token", self.base))
            .form(&[
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", self.secret.as_str()),
                ("grant_type", grant_type),
                ("assertion", assertion),
                ("redirect_uri", CALLBACK),
            ])
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Outcome::NotSent,
            Err(_) => return Outcome::Ambiguous,
        };
        let status = response.status();
        let Ok(body) = response.json::<serde_json::Value>().await else {
            return Outcome::Ambiguous;
        };
        match (status, body["refresh_token"].as_str()) {
            (StatusCode::OK, Some(refresh)) => Outcome::Tokens(refresh.to_owned()),
            _ => Outcome::Refused(
                body["ErrorDescription"]
                    .as_str()
                    .unwrap_or("(no description)")
                    .to_owned(),
            ),
        }
    }

    /// The Azure code exchange.
    pub(crate) async fn exchange(&self, code: &str) -> Outcome {
        self.token(JWT_BEARER, code).await
    }

    /// The Azure refresh.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Outcome {
        self.token("refresh_token", refresh_token).await
    }
}

/// The answer to a second redemption of a code (protocol §4).
pub(crate) const CODE_ALREADY_USED: &str = "An access token has already been issued";
/// The answer to a second use of a refresh token (protocol §4).
pub(crate) const REFRESH_ALREADY_USED: &str = "The access token has already been refreshed";
