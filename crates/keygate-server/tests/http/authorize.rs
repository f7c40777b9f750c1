//! `/oauth2/authorize`: the 400 page, sign-in and back, consent, Accept, Deny, scope rules.

use reqwest::StatusCode;

use super::helpers::*;

async fn signed_in_app() -> (TestApp, TestClient) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    (app, client)
}

#[tokio::test]
async fn an_unknown_client_gets_a_400_page_and_no_redirect() {
    let (app, client) = signed_in_app().await;
    let queries = [
        format!("client_id=&response_type=Assertion&state=s&scope=vso.work&redirect_uri={}", enc(CALLBACK)),
        format!("client_id=not-a-guid&response_type=Assertion&state=s&redirect_uri={}", enc(CALLBACK)),
        format!(
            "client_id=00000000-0000-0000-0000-000000000001&response_type=Assertion&redirect_uri={}",
            enc(CALLBACK)
        ),
        // A registered client with another redirect URI.
        format!(
            "client_id={}&response_type=Assertion&state=s&scope={}&redirect_uri={}",
            client.app_id,
            enc(SCOPES),
            enc("https://evil.example/cb")
        ),
        // Not byte-for-byte the registered one.
        format!(
            "client_id={}&response_type=Assertion&state=s&scope={}&redirect_uri={}",
            client.app_id,
            enc(SCOPES),
            enc("https://localhost:5001/oauth/callback/")
        ),
        format!("client_id={}&response_type=Assertion&state=s&scope={}", client.app_id, enc(SCOPES)),
    ];
    for q in queries {
        let r = app.get_authorize(&q).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q}");
        assert!(r.headers().get("location").is_none());
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn an_anonymous_browser_is_sent_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    let query = TestApp::authorize_query(&client, "s1");
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to_sign_in = location(&r);
    assert!(to_sign_in.starts_with("/_signin?returnUrl="));
    let return_url = query_param(&app.url(&to_sign_in), "returnUrl").unwrap();
    assert_eq!(return_url, format!("/oauth2/authorize?{query}"));
    let r = app
        .post_sign_in("ana@example.com", PASSWORD, &return_url)
        .await;
    assert_eq!(location(&r), return_url);
    let consent = app.get(&return_url).await;
    assert_eq!(consent.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_consent_page_shows_the_app_and_each_scope_title() {
    let (app, client) = signed_in_app().await;
    let r = app
        .get_authorize(&TestApp::authorize_query(&client, "s"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    for text in [
        "Fabrikam",
        "Fiber",
        "A test app",
        "https://fabrikam.example",
        "User profile (read)",
        "Work items (read and write)",
        "Code (read)",
        "name=\"decision\" value=\"accept\"",
        "name=\"decision\" value=\"deny\"",
    ] {
        assert!(html.contains(text), "consent page lacks {text}");
    }
}

#[tokio::test]
async fn accept_redirects_with_a_code_and_the_state() {
    let (app, client) = signed_in_app().await;
    let r = app
        .post_consent(&TestApp::authorize_query(&client, "abc"), "accept")
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let to = location(&r);
    assert!(to.starts_with(CALLBACK));
    assert!(query_param(&to, "code").is_some());
    assert_eq!(query_param(&to, "state").as_deref(), Some("abc"));
}

#[tokio::test]
async fn deny_redirects_with_access_denied_the_state_and_no_code() {
    let (app, client) = signed_in_app().await;
    let r = app
        .post_consent(&TestApp::authorize_query(&client, "abc"), "deny")
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert_eq!(query_param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&to, "state").as_deref(), Some("abc"));
    assert!(query_param(&to, "error_description").is_some());
    assert!(query_param(&to, "code").is_none());
}

#[tokio::test]
async fn assertion_scopes_other_than_the_registered_set_redirect_with_invalid_scope() {
    let (app, client) = signed_in_app().await;
    for scope in [
        "vso.profile",
        "vso.profile+vso.project+vso.build+vso.code+vso.work_write+vso.packaging",
        "vso.nope",
    ] {
        let q = format!(
            "client_id={}&response_type=Assertion&state=st&scope={scope}&redirect_uri={}",
            client.app_id,
            enc(CALLBACK)
        );
        let r = app.get_authorize(&q).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{scope}");
        let to = location(&r);
        assert_eq!(query_param(&to, "error").as_deref(), Some("InvalidScope"));
        assert_eq!(query_param(&to, "state").as_deref(), Some("st"));
    }
}

#[tokio::test]
async fn registered_scopes_match_in_any_order_and_case() {
    let (app, client) = signed_in_app().await;
    let q = format!(
        "client_id={}&response_type=Assertion&state=st&scope=VSO.WORK_WRITE+vso.code+vso.build+vso.project+vso.profile&redirect_uri={}",
        client.app_id.to_lowercase(),
        enc(CALLBACK)
    );
    assert_eq!(app.get_authorize(&q).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_csrf_less_consent_post_is_refused_and_issues_no_code() {
    let (app, client) = signed_in_app().await;
    let r = app
        .post_form(
            "/oauth2/authorize",
            &[
                ("client_id", client.app_id.as_str()),
                ("response_type", "Assertion"),
                ("scope", SCOPES),
                ("redirect_uri", CALLBACK),
                ("state", "s"),
                ("decision", "accept"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn the_query_the_csharp_sample_builds_is_accepted() {
    // The C# sample: `+` for spaces, lower-case percent-encoding, a GUID state, upper-case App ID.
    let (app, client) = signed_in_app().await;
    let state = "7b2d1ef4-3c0e-4a43-9d84-9b7a5c6f1e20";
    let q = format!(
        "client_id={}&response_type=Assertion&state={state}&scope=vso.profile+vso.project+vso.build+vso.code+vso.work_write&redirect_uri=https%3a%2f%2flocalhost%3a5001%2foauth%2fcallback",
        client.app_id
    );
    let r = app.post_consent(&q, "accept").await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(query_param(&location(&r), "state").as_deref(), Some(state));
}

#[tokio::test]
async fn ruby_omniauth_response_type_code_with_request_type_assertion_is_the_same_flow() {
    let (app, client) = signed_in_app().await;
    let q = format!(
        "client_id={}&response_type=code&request_type=Assertion&state=rb&scope={}&redirect_uri={}",
        client.app_id,
        enc(SCOPES),
        enc(CALLBACK)
    );
    let r = app.post_consent(&q, "accept").await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let code = query_param(&location(&r), "code").unwrap();
    let t = app.exchange(&client, &code).await;
    assert_eq!(t.status(), StatusCode::OK);
}
