//! What the pages give a person before any script runs: errors tied to their fields, the error
//! summary, the scope picker's groups, the assets the CSP allows, and the header on error pages.

use reqwest::StatusCode;

use super::helpers::*;

#[tokio::test]
async fn a_failed_sign_in_ties_its_error_to_both_fields_and_links_the_summary_to_them() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let html = app.get("/_signin").await.text().await.unwrap();
    assert!(tag_with_id(&html, "email").contains(" autofocus"));
    assert!(!html.contains("aria-invalid"));

    let r = app.post_sign_in("ana@example.com", "wrong", "/").await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<title>Error: Sign in · Keygate</title>"),
        "{html}"
    );
    for field in ["email", "password"] {
        let tag = tag_with_id(&html, field);
        assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
        assert!(
            tag.contains("aria-describedby=\"credentials-error\""),
            "{tag}"
        );
    }
    assert!(tag_with_id(&html, "credentials-error").starts_with("<p class=\"error\""));
    let summary = tag_with_id(&html, "error-summary");
    assert!(
        summary.contains("tabindex=\"-1\"") && summary.contains("autofocus"),
        "{summary}"
    );
    assert!(html.contains("<a href=\"#email\">The email address or password is incorrect.</a>"));
}

#[tokio::test]
async fn the_scope_picker_groups_scopes_under_readable_names_and_works_without_script() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let html = app.get("/app/register").await.text().await.unwrap();
    assert!(html.contains("<summary><span>Member entitlement management</span>"));
    assert!(html.contains("<summary><span>Work items</span>"));
    // Collapsed groups are plain <details>; the filter box appears only when the script runs.
    assert!(!html.contains("<details class=\"scope-group\" open>"));
    assert!(tag_with_id(&html, "scope-tools").contains(" hidden"));
    assert!(html.contains("0 scopes chosen"));
    assert!(html.contains("<script src=\"/_static/keygate.js\" defer></script>"));
}

#[tokio::test]
async fn the_script_and_the_icon_are_served_from_this_origin_and_the_csp_allows_only_those() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/_static/keygate.js", "text/javascript; charset=utf-8"),
        ("/_static/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], kind, "{path}");
    }
    let csp = app.get("/_signin").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test]
async fn an_error_page_shows_a_signed_in_visitor_their_own_header() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let signed_out = app.get("/oauth2/authorize?client_id=not-an-app-id").await;
    assert_eq!(signed_out.status(), StatusCode::BAD_REQUEST);
    assert!(signed_out
        .text()
        .await
        .unwrap()
        .contains("href=\"/_signin\""));

    app.sign_in("ana@example.com").await;
    for path in [
        "/app/00000000-0000-4000-8000-000000000000",
        "/oauth2/authorize?client_id=not-an-app-id",
    ] {
        let r = app.get(path).await;
        assert!(r.status().is_client_error(), "{path}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("href=\"/_signin\""), "{path} offers sign-in");
        assert!(
            html.contains("action=\"/_signout\""),
            "{path} has no Sign out"
        );
    }
}

#[tokio::test]
async fn the_authorizations_page_names_scopes_by_title_and_each_revoke_button_by_its_app() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    app.authorize_code(&client).await;
    let html = app
        .get("/profile/authorizations")
        .await
        .text()
        .await
        .unwrap();
    assert!(html
        .contains("Work items (read and write) <code class=\"scope-code\">vso.work_write</code>"));
    assert!(html.contains("Revoke<span class=\"visually-hidden\"> access for "));
    assert!(
        html.contains(" UTC</td>"),
        "issue and expiry times carry the time of day"
    );
}
