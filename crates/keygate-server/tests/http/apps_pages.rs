//! Registration pages: the form, field errors, the app page, regenerate and delete.

use keygate_core::accounts;
use keygate_core::apps::{self, Manager};
use reqwest::StatusCode;

use super::helpers::*;

async fn signed_in() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    app
}

fn registration<'a>(csrf: &'a str, callback: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("company_name", "Fabrikam"),
        ("name", "Fiber"),
        ("website", "https://fabrikam.example"),
        ("callback_url", callback),
        ("scopes", "vso.work"),
        ("scopes", "vso.code"),
    ]
}

#[tokio::test]
async fn the_registration_form_offers_public_scopes_as_checkboxes() {
    let app = signed_in().await;
    let r = app.get("/app/register").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"vso.work_write\""));
    assert!(html.contains("Work items (read and write)"));
    assert!(
        !html.contains("value=\"vso.base\""),
        "internal scope offered"
    );
    assert!(
        !html.contains("value=\"preview_api_all\""),
        "deprecated scope offered"
    );
}

#[tokio::test]
async fn registering_shows_the_app_id_and_the_secret_once() {
    let app = signed_in().await;
    let csrf = app.csrf_from("/app/register").await;
    let r = app
        .post_form(
            "/app/register",
            &registration(&csrf, "https://localhost:5001/cb"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"client-secret\""));
    let id_start = html.find("id=\"app-id\">").unwrap() + "id=\"app-id\">".len();
    let app_id = &html[id_start..id_start + 36];
    assert_eq!(app_id, app_id.to_uppercase());
    let again = app.get(&format!("/app/{}", app_id.to_lowercase())).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(!again.text().await.unwrap().contains("id=\"client-secret\""));
    let list = app.get("/profile/view").await.text().await.unwrap();
    assert!(list.contains(app_id));
}

#[tokio::test]
async fn invalid_fields_are_reported_without_losing_what_was_typed() {
    let app = signed_in().await;
    let csrf = app.csrf_from("/app/register").await;
    let r = app
        .post_form(
            "/app/register",
            &[
                ("csrf", csrf.as_str()),
                ("company_name", ""),
                ("name", "Keep this name"),
                ("website", "https://fabrikam.example"),
                ("callback_url", "http://app.example/cb"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"Keep this name\""));
    assert!(html.contains("Company name is required"));
    assert!(html.contains("Authorization callback URL must start with https://"));
    assert!(html.contains("Scopes: at least one scope is required"));
    let all = apps::apps_of(&app.state.kg, &Manager::Admin).await.unwrap();
    assert!(all.is_empty());

    // The summary links to each field in page order; each field is marked and described.
    assert!(html.contains("<title>Error: Register an application · Keygate</title>"));
    let linked: Vec<&str> = html
        .split("<li><a href=\"#")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(linked, ["company_name", "callback_url", "scopes"]);
    for field in linked {
        let tag = tag_with_id(&html, field);
        assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
        assert!(
            tag.contains(&format!("aria-describedby=\"{field}-error\"")),
            "{tag}"
        );
        assert!(html.contains(&format!("id=\"{field}-error\"")));
    }
    assert!(!tag_with_id(&html, "name").contains("aria-invalid"));
}

#[tokio::test]
async fn only_the_owner_sees_or_changes_an_app() {
    let app = signed_in().await;
    let owner = accounts::find_user(app.state.kg.data(), "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    let client = app.register_client(&owner).await;
    app.create_user("bob@example.com").await;
    let bob = TestApp::spawn_on(&app.db_path, browser(), app.clock.clone()).await;
    bob.sign_in("bob@example.com").await;
    let path = format!("/app/{}", client.app_id);
    assert_eq!(bob.get(&path).await.status(), StatusCode::NOT_FOUND);
    let csrf = bob.csrf_from("/").await;
    let r = bob
        .post_form(&format!("{path}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn regenerate_and_delete_ask_for_confirmation_then_act() {
    let app = signed_in().await;
    let owner = accounts::find_user(app.state.kg.data(), "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    let client = app.register_client(&owner).await;
    let path = format!("/app/{}", client.app_id);
    let confirm = app
        .get(&format!("{path}/regenerate"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Regenerate secret"));
    let csrf = csrf_in(&confirm);
    let r = app
        .post_form(&format!("{path}/regenerate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("id=\"client-secret\""));
    let confirm = app
        .get(&format!("{path}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Delete application"));
    let r = app
        .post_form(&format!("{path}/delete"), &[("csrf", &csrf_in(&confirm))])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    let q = TestApp::authorize_query(&client, "s");
    assert_eq!(
        app.get_authorize(&q).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn certificates_are_added_with_field_errors_and_removed_on_the_app_page() {
    let app = signed_in().await;
    let owner = accounts::find_user(app.state.kg.data(), "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    let client = app.register_client(&owner).await;
    let path = format!("/app/{}", client.app_id);
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("No certificates."));
    let csrf = csrf_in(&page);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["daemon.example".to_string()]).unwrap();
    let pem = params.self_signed(&key).unwrap().pem();

    // A private key pasted by mistake: the error is tied to the field and the text is kept.
    let key_pem = key.serialize_pem();
    let r = app
        .post_form(
            &format!("{path}/certificates"),
            &[
                ("csrf", &csrf),
                ("certificate", &key_pem),
                ("description", "ci"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<title>Error:"),
        "the title says there is an error"
    );
    let textarea = tag_with_id(&html, "certificate");
    assert!(textarea.contains("aria-invalid=\"true\""), "{textarea}");
    assert!(textarea.contains("aria-describedby=\"certificate-error\""));
    assert!(html.contains("id=\"certificate-error\""));
    assert!(html.contains("value=\"ci\""), "the description is kept");

    let r = app
        .post_form(
            &format!("{path}/certificates"),
            &[
                ("csrf", &csrf),
                ("certificate", &pem),
                ("description", "ci"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let held = apps::certificates_of(
        &app.state.kg,
        &apps::managed_app(
            &app.state.kg,
            &Manager::Admin,
            client.app_id.parse().unwrap(),
        )
        .await
        .unwrap(),
    )
    .await
    .unwrap();
    let thumbprint = held[0].thumbprint_hex();
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains(&thumbprint), "the SHA-1 thumbprint is listed");

    // Without the CSRF token nothing is removed.
    let remove = format!("{path}/certificates/{thumbprint}/remove");
    let r = app.post_form(&remove, &[("csrf", "forged")]).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post_form(&remove, &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get(&path).await.text().await.unwrap();
    // (The security events still name it, as removed.)
    assert!(!page.contains(&format!("<code class=\"thumbprint\">{thumbprint}")));
    assert!(page.contains("No certificates."));
}
