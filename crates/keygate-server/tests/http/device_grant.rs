//! The device authorization grant (RFC 8628): the device authorization endpoint, polling the
//! token endpoint through pending, slow_down, denial, expiry and success (once), and the /device
//! verification page with its consent, its one-user claim and its throttle on wrong codes.

use keygate_core::audit;
use keygate_core::model::AuditQuery;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

impl TestApp {
    /// `POST /oauth2/devicecode` for `scope`, authenticated as `auth`.
    async fn start_device(&self, auth: Auth<'_>, scope: Option<&str>) -> Response {
        let fields: Vec<(&str, &str)> = scope.map(|s| ("scope", s)).into_iter().collect();
        self.post_client("/oauth2/devicecode", auth, &fields).await
    }

    /// One poll of the token endpoint.
    async fn poll(&self, auth: Auth<'_>, device_code: &str) -> Response {
        self.post_client(
            "/oauth2/token",
            auth,
            &[("grant_type", DEVICE_GRANT), ("device_code", device_code)],
        )
        .await
    }

    /// Submits `user_code` on /device; returns the answer (the consent page on success).
    async fn enter_user_code(&self, user_code: &str) -> Response {
        let csrf = self.csrf_from("/device").await;
        self.post_form("/device", &[("csrf", &csrf), ("user_code", user_code)])
            .await
    }

    /// Enters `user_code` and answers its consent page with `decision`.
    pub(crate) async fn decide_device(&self, user_code: &str, decision: &str) -> Response {
        let page = self.enter_user_code(user_code).await;
        assert_eq!(page.status(), StatusCode::OK, "no consent page");
        let mut fields = hidden_fields(&page.text().await.unwrap());
        fields.push(("decision".into(), decision.into()));
        self.client
            .post(self.url("/device/decide"))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }
}

/// A server with a signed-in user who owns a public app; returns the app's id.
async fn public_device_app() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let id = app.register_public_client(&ana, LOOPBACK).await;
    (app, id)
}

async fn started(r: Response) -> Value {
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[tokio::test]
async fn the_device_authorization_endpoint_answers_codes_and_both_metadata_documents_announce_it() {
    let (app, id) = public_device_app().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let metadata: Value = app.get(path).await.json().await.unwrap();
        assert_eq!(
            metadata["device_authorization_endpoint"],
            app.url("/oauth2/devicecode")
        );
        assert!(metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from(DEVICE_GRANT)));
    }

    let body = started(app.start_device(Auth::Public(&id), Some("vso.code")).await).await;
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "device_code",
            "user_code",
            "verification_uri",
            "verification_uri_complete",
            "expires_in",
            "interval"
        ]
    );
    assert!(text(&body, "device_code").len() >= 43, "256 random bits");
    let user_code = text(&body, "user_code");
    assert_eq!(user_code.len(), 9);
    assert!(user_code
        .chars()
        .all(|c| c == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(c)));
    assert_eq!(body["verification_uri"], app.url("/device"));
    assert_eq!(
        body["verification_uri_complete"],
        app.url(&format!("/device?user_code={user_code}"))
    );
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["interval"], 5);
}

#[tokio::test]
async fn the_device_authorization_endpoint_refuses_like_the_token_endpoint() {
    let (app, id) = public_device_app().await;
    let ana = app.create_user("bo@example.com").await;
    let confidential = app.register_client(&ana).await;
    let r = app.start_device(Auth::Public(&id), Some("vso.admin")).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let r = app
        .start_device(Auth::Public(&confidential.app_id), None)
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let r = app
        .start_device(Auth::Basic(&confidential.app_id, "not the secret"), None)
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let r = app.start_device(Auth::None, None).await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let body = started(
        app.start_device(
            Auth::Basic(&confidential.app_id, &confidential.secret),
            None,
        )
        .await,
    )
    .await;
    assert!(
        body["user_code"].is_string(),
        "a confidential app may start it"
    );
}

#[tokio::test]
async fn a_device_polls_pending_slows_down_and_redeems_its_code_once_after_approval() {
    let (app, id) = public_device_app().await;
    let body = started(
        app.start_device(Auth::Public(&id), Some("vso.profile"))
            .await,
    )
    .await;
    let device_code = text(&body, "device_code");
    let user_code = text(&body, "user_code");

    let r = app.poll(Auth::Public(&id), device_code).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "authorization_pending").await;
    let r = app.poll(Auth::Public(&id), device_code).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "slow_down").await;
    app.clock.advance(5);
    let r = app.poll(Auth::Public(&id), device_code).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "slow_down").await;
    app.clock.advance(15);
    let r = app.poll(Auth::Public(&id), device_code).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "authorization_pending").await;

    let done = app
        .decide_device(&user_code.to_lowercase().replace('-', ""), "accept")
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Device connected"));

    let r = app.poll(Auth::Public(&id), device_code).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "vso.profile");
    assert!(tokens["refresh_token"].is_string());
    let me = app
        .client
        .get(app.url("/_apis/profile/profiles/me"))
        .bearer_auth(text(&tokens, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let again = app.poll(Auth::Public(&id), device_code).await;
    assert_standard_error(again, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let other = app.create_user("bo@example.com").await;
    let stranger = app.register_public_client(&other, LOOPBACK).await;
    let r = app.poll(Auth::Public(&stranger), device_code).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let r = app.poll(Auth::Public(&id), "").await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_denied_device_hears_access_denied_and_an_unanswered_one_expired_token() {
    let (app, id) = public_device_app().await;
    let denied = started(app.start_device(Auth::Public(&id), None).await).await;
    let done = app.decide_device(text(&denied, "user_code"), "deny").await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Request denied"));
    let r = app
        .poll(Auth::Public(&id), text(&denied, "device_code"))
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "access_denied").await;

    let late = started(app.start_device(Auth::Public(&id), None).await).await;
    app.clock.advance(900);
    let r = app
        .poll(Auth::Public(&id), text(&late, "device_code"))
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "expired_token").await;
    let page = app.enter_user_code(text(&late, "user_code")).await;
    assert_eq!(
        page.status(),
        StatusCode::BAD_REQUEST,
        "an expired code shows nothing"
    );
}

#[tokio::test]
async fn a_confidential_device_authenticates_every_poll_and_its_tokens_die_with_the_authorization()
{
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&ana).await;
    let basic = || Auth::Basic(&client.app_id, &client.secret);
    let body = started(app.start_device(basic(), Some("vso.profile")).await).await;
    let device_code = text(&body, "device_code");
    let r = app.poll(Auth::Public(&client.app_id), device_code).await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    app.decide_device(text(&body, "user_code"), "accept").await;
    let r = app.poll(basic(), device_code).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: Value = r.json().await.unwrap();

    // Revoking the app's authorizations (the user's authorizations page) ends the chain.
    let csrf = app.csrf_from("/profile/authorizations").await;
    let revoked = app
        .post_form(
            "/profile/authorizations/revoke-all",
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert!(revoked.status().is_redirection() || revoked.status().is_success());
    let r = app
        .standard_refresh(&client, text(&tokens, "refresh_token"))
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn the_verification_page_asks_for_sign_in_prefills_the_code_and_shows_the_consent() {
    let (app, id) = public_device_app().await;
    let body = started(app.start_device(Auth::Public(&id), Some("vso.code")).await).await;
    let user_code = text(&body, "user_code");

    let anonymous = browser();
    let r = anonymous
        .get(app.url(&format!("/device?user_code={user_code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with("/_signin?returnUrl="), "{to}");
    assert_eq!(
        query_param(&format!("http://x{to}"), "returnUrl").as_deref(),
        Some(format!("/device?user_code={user_code}").as_str())
    );

    let page = app.get(&format!("/device?user_code={user_code}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let input = tag_with_id(&html, "user_code");
    assert!(input.contains(&format!("value=\"{user_code}\"")), "{input}");
    assert!(!input.contains("aria-invalid"));

    let consent = app.enter_user_code(user_code).await;
    assert_eq!(consent.status(), StatusCode::OK);
    let html = consent.text().await.unwrap();
    assert!(html.contains("Authorize Fiber for phones"));
    assert!(html.contains(user_code));
    assert!(html.contains("vso.code"));
    assert!(html.contains("value=\"accept\"") && html.contains("value=\"deny\""));
}

#[tokio::test]
async fn a_code_claimed_by_one_user_is_shown_to_nobody_else() {
    let (app, id) = public_device_app().await;
    let body = started(app.start_device(Auth::Public(&id), None).await).await;
    let user_code = text(&body, "user_code");
    assert_eq!(
        app.enter_user_code(user_code).await.status(),
        StatusCode::OK
    );

    let mallory = TestApp::spawn_on(&app.db_path, browser(), app.clock.clone()).await;
    mallory.create_user("mallory@example.com").await;
    mallory.sign_in("mallory@example.com").await;
    let r = mallory.enter_user_code(user_code).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(!r.text().await.unwrap().contains("Fiber for phones"));
}

#[tokio::test]
async fn wrong_codes_are_tied_to_the_field_counted_recorded_and_then_throttled() {
    let (app, _) = public_device_app().await;
    let r = app.enter_user_code("not a code").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let input = tag_with_id(&html, "user_code");
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(
        input.contains("aria-describedby=\"user_code-error\""),
        "{input}"
    );
    assert!(html.contains("id=\"user_code-error\""));
    assert!(html.contains("<title>Error: Connect a device"));

    for _ in 0..5 {
        let r = app.enter_user_code("BCDF-GHJK").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("not valid or has expired"));
    }
    let r = app.enter_user_code("BCDF-GHJK").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));

    let events = audit::events(
        &app.state.kg,
        AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        },
    )
    .await
    .unwrap();
    let count = |kind: &str| {
        events
            .iter()
            .filter(|e| e.event.kind.to_string() == kind)
            .count()
    };
    assert_eq!(count("device_code_rejected"), 5);
    assert_eq!(count("device_code_throttled"), 1);
    assert!(events
        .iter()
        .filter(|e| e.event.kind.to_string().starts_with("device_code"))
        .all(|e| e.event.client_addr.is_some() && !e.event.detail.contains("BCDF")));

    app.clock.advance(300);
    assert_eq!(
        app.enter_user_code("BCDF-GHJK").await.status(),
        StatusCode::BAD_REQUEST,
        "the window ended"
    );
}
