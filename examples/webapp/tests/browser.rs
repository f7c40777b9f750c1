//! The sample web app end to end in headless Chromium: home -> Authorize -> Keygate sign-in ->
//! consent -> back on the web app with a token -> projects and builds -> Refresh; and Deny.
//! Keygate runs in-process over a fresh SQLite file; the web app serves https on localhost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

mod chromium;
mod support;

use std::time::{Duration, Instant};

use chromium::{screenshot_dir, Browser};
use keygate_testkit::in_process::BUILD_NUMBER;
use keygate_testkit::{ORG, PROJECT};
use keygate_webapp::config::WireFlavour;
use support::{World, EMAIL, PASSWORD};

/// From the web app's home page through Keygate's sign-in to its consent page. Returns the
/// `state` the consent form carries (the one the web app generated).
async fn authorize_until_consent(b: &Browser, world: &World, screenshots: bool) -> String {
    b.client.goto(&world.webapp_url("/")).await.unwrap();
    let authorize = b.wait_for("#authorize").await;
    if screenshots {
        b.screenshot(&screenshot_dir(), "home.png").await;
    }
    authorize.click().await.unwrap();

    b.wait_for("form[action='/_signin'] #email").await;
    let url = b.client.current_url().await.unwrap();
    assert!(
        url.as_str().starts_with(&world.keygate),
        "the sign-in page is Keygate's: {url}"
    );
    b.wait_for("#email").await.send_keys(EMAIL).await.unwrap();
    if screenshots {
        b.screenshot(&screenshot_dir(), "signin.png").await;
    }
    b.wait_for("#password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    b.wait_for("form[action='/_signin'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();

    b.wait_for("button[value=accept]").await;
    assert!(b
        .text_of("h1")
        .await
        .contains("Authorize Fabrikam Fiber web app"));
    if screenshots {
        // Tall enough to show every scope and the Accept and Deny buttons.
        b.client.set_window_size(1100, 1300).await.unwrap();
        b.screenshot(&screenshot_dir(), "consent.png").await;
        b.client.set_window_size(1100, 860).await.unwrap();
    }
    b.wait_for("input[name=state]")
        .await
        .attr("value")
        .await
        .unwrap()
        .expect("the consent form carries the state")
}

/// Polls until `css`'s text differs from `before` (the countdown ticks once a second).
async fn wait_for_text_change(b: &Browser, css: &str, before: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = b.text_of(css).await;
        if now != before {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{css} stayed {before:?} for 10 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_authorizes_sees_projects_and_builds_and_refreshes_in_a_real_browser() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let world = World::start().await;

    let state = authorize_until_consent(&b, &world, true).await;
    b.wait_for("button[value=accept]")
        .await
        .click()
        .await
        .unwrap();

    // Back on the web app, with a token and a live countdown.
    let fingerprint = b.text_of("#fingerprint").await;
    let url = b.client.current_url().await.unwrap();
    assert_eq!(url.as_str(), world.webapp_url("/token"));
    assert_eq!(fingerprint.len(), 12);
    let countdown = b.text_of("#countdown").await;
    assert!(countdown.starts_with("in 59:"), "{countdown}");
    let ticked = wait_for_text_change(&b, "#countdown", &countdown).await;
    assert!(ticked.starts_with("in 59:"), "{ticked}");
    assert_eq!(
        b.wait_for("#countdown")
            .await
            .attr("data-live")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    b.screenshot(&screenshot_dir(), "token.png").await;

    // Projects and builds, read through the REST API with that token.
    b.wait_for("#projects").await.click().await.unwrap();
    b.wait_for("table.builds").await;
    let page = b.text_of("main").await;
    assert!(page.contains(&format!("{ORG} / {PROJECT}")), "{page}");
    assert!(page.contains(BUILD_NUMBER), "{page}");
    assert!(page.contains("succeeded"), "{page}");
    assert!(page.contains("Signed in as Demo User"), "{page}");
    b.screenshot(&screenshot_dir(), "projects.png").await;

    // Refresh: a new access token, and the API still answers with it.
    b.client.goto(&world.webapp_url("/token")).await.unwrap();
    b.wait_for("#refresh").await.click().await.unwrap();
    let notice = b.text_of("#refreshed").await;
    assert!(notice.contains("refreshed (1 so far)"), "{notice}");
    let refreshed = b.text_of("#fingerprint").await;
    assert_ne!(refreshed, fingerprint, "Refresh brought a new access token");
    b.wait_for("#projects").await.click().await.unwrap();
    b.wait_for("table.builds").await;

    // The callback's state was single use: replaying it ends on an error page.
    let replay = format!(
        "{}?code=replayed&state={state}",
        world.webapp_url("/oauth/callback")
    );
    b.client.goto(&replay).await.unwrap();
    assert_eq!(
        b.text_of("#error-title").await,
        "This sign-in cannot be completed"
    );

    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_on_the_consent_page_ends_on_the_webapps_access_denied_page() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let world = World::start().await;

    authorize_until_consent(&b, &world, false).await;
    b.wait_for("button[value=deny]")
        .await
        .click()
        .await
        .unwrap();

    assert_eq!(b.text_of("#error-title").await, "Access denied");
    let url = b.client.current_url().await.unwrap();
    assert!(
        url.as_str()
            .starts_with(&world.webapp_url("/oauth/callback?")),
        "{url}"
    );
    assert!(b
        .text_of("[role=alert]")
        .await
        .contains("You chose not to let this app use your account"));
    assert!(!b.text_of("#error-detail").await.is_empty());
    b.screenshot(&screenshot_dir(), "denied.png").await;

    // No token was kept.
    b.client.goto(&world.webapp_url("/token")).await.unwrap();
    assert_eq!(b.text_of("#error-title").await, "Not signed in");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_standard_flavour_the_same_pages_end_with_a_bearer_token() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let world = World::start_with(WireFlavour::Standard).await;

    authorize_until_consent(&b, &world, false).await;
    b.wait_for("button[value=accept]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#fingerprint").await;
    let page = b.text_of("main").await;
    assert!(
        page.contains("Token type\nBearer") || page.contains("Token type Bearer"),
        "{page}"
    );
    let before = b.text_of("#fingerprint").await;
    b.wait_for("#refresh").await.click().await.unwrap();
    b.wait_for("#refreshed").await;
    assert_ne!(b.text_of("#fingerprint").await, before);
    b.wait_for("#projects").await.click().await.unwrap();
    assert!(b.text_of("table.builds").await.contains(BUILD_NUMBER));
    b.close().await;
}
