//! What a person's browser does before the load starts: sign in, authorize, Accept, and redeem the
//! code, through the real pages (reqwest with a cookie jar, redirects off).
//!
//! Scenarios use it to mint codes, refresh-token chains and access tokens beforehand, and
//! `full-flow` uses it as its step.

use anyhow::{bail, Context};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};

use crate::fixture::Fixture;
use crate::target::Target;

/// The Azure `client_assertion_type` and code-exchange `grant_type`.
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The Azure code-exchange grant type.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A cookie-keeping client for one signed-in person.
#[derive(Debug, Clone)]
pub(crate) struct Browser {
    client: Client,
    target: Target,
}

/// Tokens from a code exchange or refresh.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct Tokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
}

impl Browser {
    /// A fresh browser with an empty cookie jar.
    pub(crate) fn new(target: &Target) -> anyhow::Result<Self> {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            target: target.clone(),
        })
    }

    /// The underlying client (for token and API calls from the same browser).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Signs in as the fixture's user.
    pub(crate) async fn sign_in(&self, fixture: &Fixture) -> anyhow::Result<()> {
        let page = self.client.get(self.target.url("/_signin")).send().await?;
        expect(page.status(), StatusCode::OK, "GET /_signin")?;
        let fields = hidden_fields(&page.text().await?);
        let csrf = field(&fields, "csrf").context("the sign-in page has no CSRF field")?;
        let r = self
            .client
            .post(self.target.url("/_signin"))
            .form(&[
                ("csrf", csrf),
                ("email", fixture.email.as_str()),
                ("password", fixture.password.as_str()),
                ("returnUrl", "/"),
            ])
            .send()
            .await?;
        expect(r.status(), StatusCode::SEE_OTHER, "POST /_signin")
    }

    /// Runs authorize and Accept for the fixture's app (Azure `response_type=Assertion`) and
    /// returns the code from the redirect.
    pub(crate) async fn authorize_code(&self, fixture: &Fixture) -> anyhow::Result<String> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &fixture.app_id)
            .append_pair("response_type", "Assertion")
            .append_pair("state", "bench")
            .append_pair("scope", &fixture.scopes)
            .append_pair("redirect_uri", &fixture.callback_url)
            .finish();
        let page = self
            .client
            .get(self.target.url(&format!("/oauth2/authorize?{query}")))
            .send()
            .await?;
        expect(page.status(), StatusCode::OK, "GET /oauth2/authorize")?;
        let mut fields = hidden_fields(&page.text().await?);
        fields.push(("decision".into(), "accept".into()));
        let r = self
            .client
            .post(self.target.url("/oauth2/authorize"))
            .form(&fields)
            .send()
            .await?;
        expect(r.status(), StatusCode::FOUND, "POST /oauth2/authorize")?;
        let location = r
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .context("the consent answer has no Location")?;
        let url = url::Url::parse(location).context("the consent answer's Location")?;
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .context("the consent redirect carries no code")
    }

    /// Exchanges a code for tokens (Azure flavour).
    pub(crate) async fn exchange(&self, fixture: &Fixture, code: &str) -> anyhow::Result<Tokens> {
        self.token(&azure_exchange_fields(fixture, code)).await
    }

    /// Refreshes (Azure flavour).
    pub(crate) async fn refresh(
        &self,
        fixture: &Fixture,
        refresh_token: &str,
    ) -> anyhow::Result<Tokens> {
        self.token(&azure_refresh_fields(fixture, refresh_token))
            .await
    }

    async fn token(&self, fields: &[(&str, &str)]) -> anyhow::Result<Tokens> {
        let r = self
            .client
            .post(self.target.url("/oauth2/token"))
            .form(fields)
            .send()
            .await?;
        expect(r.status(), StatusCode::OK, "POST /oauth2/token")?;
        Ok(r.json().await?)
    }
}

/// The form of an Azure code exchange (protocol §4).
pub(crate) fn azure_exchange_fields<'a>(
    fixture: &'a Fixture,
    code: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", fixture.client_secret.as_str()),
        ("grant_type", JWT_BEARER),
        ("assertion", code),
        ("redirect_uri", fixture.callback_url.as_str()),
    ]
}

/// The form of an Azure refresh (protocol §4: the refresh token travels in `assertion`).
pub(crate) fn azure_refresh_fields<'a>(
    fixture: &'a Fixture,
    token: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", fixture.client_secret.as_str()),
        ("grant_type", "refresh_token"),
        ("assertion", token),
        ("redirect_uri", fixture.callback_url.as_str()),
    ]
}

fn expect(got: StatusCode, want: StatusCode, what: &str) -> anyhow::Result<()> {
    if got != want {
        bail!("{what} answered {got}, expected {want}");
    }
    Ok(())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every `<input type="hidden" name=".." value="..">` of a Keygate page, HTML-unescaped; the
/// first of a repeated name comes first.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let start = part.find(&format!("{name}=\""))? + name.len() + 2;
            let end = part[start..].find('"')? + start;
            Some(unescape(&part[start..end]))
        };
        if let (Some(k), Some(v)) = (attr("name"), attr("value")) {
            if !out.iter().any(|(existing, _)| *existing == k) {
                out.push((k, v));
            }
        }
    }
    out
}

/// Undoes askama's HTML escaping (decimal, hexadecimal and named entities it emits).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_are_read_unescaped_and_the_first_of_a_name_wins() {
        let html = r#"<form><input type="hidden" name="csrf" value="a&#43;b&#x2f;c&amp;d">
            <input type="hidden" name="scope" value="vso.code vso.work">
            <input type="hidden" name="csrf" value="other"></form>"#;
        assert_eq!(
            hidden_fields(html),
            vec![
                ("csrf".to_string(), "a+b/c&d".to_string()),
                ("scope".to_string(), "vso.code vso.work".to_string()),
            ]
        );
    }

    #[test]
    fn an_unknown_entity_is_kept_as_written() {
        assert_eq!(unescape("a&bogus;b&"), "a&bogus;b&");
    }
}
