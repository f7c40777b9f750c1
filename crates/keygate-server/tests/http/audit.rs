//! The audit log: each security event is stored with actor, time, target and client address;
//! owners see their app's and organization's events; no secret or token ever appears in it.

use keygate_core::model::{Actor, AuditKind, AuditQuery};
use keygate_core::{accounts, audit};
use reqwest::StatusCode;

use super::helpers::*;

async fn all_events(app: &TestApp) -> Vec<keygate_core::model::AuditEvent> {
    let query = AuditQuery {
        limit: 1000,
        ..AuditQuery::default()
    };
    audit::events(&app.state.kg, query).await.unwrap()
}

fn kinds(events: &[keygate_core::model::AuditEvent]) -> Vec<String> {
    let mut k: Vec<String> = events.iter().map(|e| e.event.kind.to_string()).collect();
    k.reverse();
    k
}

#[tokio::test]
async fn every_security_event_is_recorded_with_actor_target_and_address_and_no_credential() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let org = accounts::create_org(
        app.state.kg.data(),
        app.state.kg.clock.as_ref(),
        "fabrikam",
        "ana@example.com",
    )
    .await
    .unwrap();

    // Sign-in failures: for an unknown account and for a known one.
    app.post_sign_in("nobody@example.com", "some guess", "/")
        .await;
    app.post_sign_in("ana@example.com", "not the password", "/")
        .await;
    app.sign_in("ana@example.com").await;

    // Register on the page, then regenerate the alternative secret.
    let csrf = app.csrf_from("/app/register").await;
    let page = app
        .post_form(
            "/app/register",
            &[
                ("csrf", csrf.as_str()),
                ("company_name", "Fabrikam"),
                ("name", "Fiber"),
                ("website", "https://fabrikam.example"),
                ("callback_url", CALLBACK),
                ("scopes", "vso.profile"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("id=\"app-id\">").unwrap() + "id=\"app-id\">".len();
    let app_id = page[start..start + 36].to_owned();
    let primary = secret_on(&page);
    let csrf = app
        .csrf_from(&format!("/app/{app_id}/regenerate?slot=alternative"))
        .await;
    let page = app
        .post_form(
            &format!("/app/{app_id}/regenerate?slot=alternative"),
            &[("csrf", csrf.as_str())],
        )
        .await
        .text()
        .await
        .unwrap();
    let alternative = secret_on(&page);
    let client = TestClient {
        app_id: app_id.clone(),
        secret: primary.clone(),
    };

    // Grant, exchange, refresh, then reuse the spent refresh token.
    let code = app.authorize_code_for(&client, "vso.profile").await;
    let tokens: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let rotated: serde_json::Value = app
        .refresh(&client, &first_refresh)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.refresh(&client, &first_refresh).await.status(),
        StatusCode::BAD_REQUEST
    );

    // Policy change and revocation on the pages, then delete the app.
    let csrf = app
        .csrf_from("/fabrikam/_settings/organizationPolicy")
        .await;
    app.post_form(
        "/fabrikam/_settings/organizationPolicy",
        &[("csrf", csrf.as_str()), ("third_party_oauth", "deny")],
    )
    .await;
    let code = app.authorize_code_for(&client, "vso.profile").await;
    let csrf = app.csrf_from("/profile/authorizations").await;
    app.post_form(
        "/profile/authorizations/revoke",
        &[("csrf", csrf.as_str()), ("app_id", app_id.as_str())],
    )
    .await;

    // The app page shows the app's events to its owner; the policy page the org's.
    let html = app
        .get(&format!("/app/{app_id}"))
        .await
        .text()
        .await
        .unwrap();
    for kind in [
        "app_registered",
        "secret_regenerated",
        "authorization_granted",
        "refresh_token_reuse_detected",
        "authorization_revoked",
    ] {
        assert!(html.contains(kind), "{kind} missing from the app page");
    }
    assert!(html.contains("127.0.0.1"));
    assert!(!html.contains("policy_changed"));
    let html = app
        .get("/fabrikam/_settings/organizationPolicy")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("policy_changed") && html.contains("third_party_oauth=deny"));
    assert!(!html.contains("app_registered"));

    let csrf = app.csrf_from(&format!("/app/{app_id}/delete")).await;
    app.post_form(&format!("/app/{app_id}/delete"), &[("csrf", csrf.as_str())])
        .await;

    let events = all_events(&app).await;
    assert_eq!(
        kinds(&events),
        vec![
            "sign_in_failed",
            "sign_in_failed",
            "app_registered",
            "secret_regenerated",
            "authorization_granted",
            "refresh_token_reuse_detected",
            "policy_changed",
            "authorization_granted",
            "authorization_revoked",
            "app_deleted",
        ]
    );
    let by_kind = |k: AuditKind| {
        events
            .iter()
            .find(|e| e.event.kind == k)
            .map(|e| e.event.clone())
            .unwrap()
    };
    let registered = by_kind(AuditKind::AppRegistered);
    assert_eq!(registered.actor, Actor::User(ana.id));
    assert_eq!(registered.target, format!("app:{}", app_id.to_lowercase()));
    assert_eq!(registered.client_addr, Some("127.0.0.1".parse().unwrap()));
    assert!((registered.at - app.state.kg.clock.now()).abs() <= 1);
    let reuse = by_kind(AuditKind::RefreshTokenReuseDetected);
    assert_eq!(
        reuse.actor,
        Actor::App(app_id.to_lowercase().parse().unwrap())
    );
    assert!(reuse.target.starts_with("authorization:"));
    assert_eq!(by_kind(AuditKind::PolicyChanged).org_id, Some(org.id));
    let failures: Vec<_> = events
        .iter()
        .filter(|e| e.event.kind == AuditKind::SignInFailed)
        .map(|e| (e.event.actor.clone(), e.event.target.clone()))
        .collect();
    assert_eq!(
        failures,
        vec![
            (Actor::Anonymous, format!("user:{}", ana.id)),
            (Actor::Anonymous, "unknown".to_owned()),
        ],
        "a typed email that matches no account is not stored"
    );

    // Nothing usable or private ever lands in the log.
    let dump = format!("{events:?}");
    let refresh = rotated["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    for credential in [
        primary.as_str(),
        alternative.as_str(),
        code.as_str(),
        first_refresh.as_str(),
        refresh,
        access,
        PASSWORD,
        "not the password",
        "some guess",
        "nobody@example.com",
    ] {
        assert!(
            !dump.contains(credential),
            "a credential leaked into the audit log"
        );
    }
}

/// The secret shown on an app page right after creation or regeneration.
pub(crate) fn secret_on(html: &str) -> String {
    let start = html.find("id=\"client-secret\">").expect("no secret shown") + 19;
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn another_users_app_page_and_its_events_stay_hidden() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    app.create_user("bob@example.com").await;
    let client = app.register_client(&ana).await;
    app.sign_in("bob@example.com").await;
    let r = app.get(&format!("/app/{}", client.app_id)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("app_registered"));
}
