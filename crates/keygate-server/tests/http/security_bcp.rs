//! RFC 9700 items that no other test file covers: the implicit grant is refused, sign-in issues a
//! fresh session id and answers 303 (never 307), and forwarded headers do not move the issuer.

use reqwest::StatusCode;

use super::helpers::{enc, location, query_param, TestApp, CALLBACK, PASSWORD, SCOPES};

/// RFC 9700 §2.1.2: no access token in the front channel.
#[tokio::test]
async fn the_implicit_grant_is_refused_and_no_token_reaches_the_front_channel() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    app.sign_in("ana@example.com").await;
    let query = format!(
        "client_id={}&response_type=token&state=s&scope={}&redirect_uri={}",
        client.app_id,
        enc(SCOPES),
        enc(CALLBACK)
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert!(!to.contains("access_token") && !to.contains('#'), "{to}");
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kg_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

/// RFC 9700 §4.12 (no 307 after a credential POST) and session fixation: every sign-in answers
/// 303 and sets a session id of its own.
#[tokio::test]
async fn each_sign_in_answers_303_with_a_fresh_session_id() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let first = app.post_sign_in("ana@example.com", PASSWORD, "/").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let first = session_cookie(&first).expect("no session cookie");
    let second = app.post_sign_in("ana@example.com", PASSWORD, "/").await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    let second = session_cookie(&second).expect("no session cookie");
    assert_ne!(first, second);
}

/// RFC 9700 §4.13: the issuer and every URL Keygate builds come from its configured public URL,
/// never from headers a client or proxy can set.
#[tokio::test]
async fn forwarded_headers_do_not_change_the_issuer_or_the_urls_keygate_builds() {
    let app = TestApp::spawn().await;
    let plain: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    let forwarded: serde_json::Value = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server"))
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain, forwarded);
    assert!(!forwarded.to_string().contains("evil.example"));
}
