//! Sending a request and reading its answer with a size cap, so a misbehaving server can neither
//! hang nor exhaust the app.

use std::time::Duration;

use crate::error::Error;

/// The most of a body this SDK reads; the REST API's lists are far smaller.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;

/// A response reduced to what the parsers need.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The HTTP client this SDK uses unless given one: timeouts, no redirects (a redirect from a
/// token or API endpoint is a misconfiguration to report, not to follow), and a user agent.
pub(crate) fn default_http_client() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("keygate-client/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Sends `request` and reads at most [`MAX_BODY`] bytes of the answer.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<Answer, Error> {
    let mut response = request.send().await?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Error::UnexpectedResponse {
                status,
                detail: format!("the body is larger than {MAX_BODY} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { status, body })
}
