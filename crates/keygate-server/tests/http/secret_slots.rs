//! Two client secrets per app: both verify until one is regenerated or expires, and regenerating
//! one revokes only what that secret minted.

use reqwest::StatusCode;

use super::audit::secret_on;
use super::helpers::*;

async fn regenerate(app: &TestApp, app_id: &str, slot: &str) -> String {
    let path = format!("/app/{app_id}/regenerate?slot={slot}");
    let confirm = app.get(&path).await.text().await.unwrap();
    assert!(confirm.contains(&format!("Regenerate the {slot} secret")));
    let page = app
        .post_form(&path, &[("csrf", csrf_in(&confirm).as_str())])
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("Copy the new {slot} client secret now")));
    secret_on(&html)
}

async fn tokens(app: &TestApp, client: &TestClient) -> serde_json::Value {
    let code = app.authorize_code(client).await;
    let r = app.exchange(client, &code).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn profile_status(app: &TestApp, access: &str) -> StatusCode {
    app.client
        .get(app.url("/_apis/profile/profiles/me"))
        .bearer_auth(access)
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn both_secrets_verify_and_regenerating_one_revokes_only_what_it_minted() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let primary = app.register_client(&ana).await;
    app.sign_in("ana@example.com").await;

    let page = app
        .get(&format!("/app/{}", primary.app_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Create alternative secret"));
    let alternative = TestClient {
        app_id: primary.app_id.clone(),
        secret: regenerate(&app, &primary.app_id, "alternative").await,
    };
    let page = app
        .get(&format!("/app/{}", primary.app_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Regenerate alternative") && page.contains("Regenerate primary"));

    let by_primary = tokens(&app, &primary).await;
    let by_alternative = tokens(&app, &alternative).await;
    // A refresh may use either secret.
    let swapped = app
        .refresh(&alternative, by_primary["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(swapped.status(), StatusCode::OK);
    let by_primary: serde_json::Value = swapped.json().await.unwrap();

    let new_primary = TestClient {
        app_id: primary.app_id.clone(),
        secret: regenerate(&app, &primary.app_id, "primary").await,
    };
    // The old primary is refused; the alternative and the new primary work.
    let code = app.authorize_code(&primary).await;
    let refused: serde_json::Value = app.exchange(&primary, &code).await.json().await.unwrap();
    assert_eq!(refused["Error"], "unauthorized_client");
    tokens(&app, &alternative).await;
    tokens(&app, &new_primary).await;

    // What the old primary redeemed is revoked everywhere within the propagation bound; what the
    // alternative redeemed is not.
    let revoked_access = by_primary["access_token"].as_str().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while profile_status(&app, revoked_access).await != StatusCode::UNAUTHORIZED {
        assert!(std::time::Instant::now() < deadline, "never revoked");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        profile_status(&app, by_alternative["access_token"].as_str().unwrap()).await,
        StatusCode::OK
    );
    let refreshed = app
        .refresh(
            &alternative,
            by_alternative["refresh_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_expired_secret_stops_verifying_while_the_other_goes_on() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let primary = app.register_client(&ana).await;
    app.sign_in("ana@example.com").await;
    // Five years on, the primary (made first) expires first; make the alternative late instead.
    app.clock.advance(100);
    let alternative = TestClient {
        app_id: primary.app_id.clone(),
        secret: regenerate(&app, &primary.app_id, "alternative").await,
    };
    app.clock.advance(app.state.kg.lifetimes.client_secret - 50);
    app.sign_in("ana@example.com").await;
    let code = app.authorize_code(&primary).await;
    let expired: serde_json::Value = app.exchange(&primary, &code).await.json().await.unwrap();
    assert_eq!(expired["ErrorDescription"], "Client secret is expired.");
    tokens(&app, &alternative).await;
}
