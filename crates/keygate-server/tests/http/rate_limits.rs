//! Rate limits: per client on the token endpoint, per address on sign-in; 429 with Retry-After,
//! and the bucket refills as the clock moves.

use keygate_server::Limits;
use reqwest::{Response, StatusCode};

use super::helpers::{csrf_in, ASSERTION_TYPE, JWT_BEARER};
use super::limited_app::LimitedApp;

async fn post_token(app: &LimitedApp, fields: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url("/oauth2/token"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn exchange_with(secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_assertion_type", ASSERTION_TYPE.to_owned()),
        ("client_assertion", secret.to_owned()),
        ("grant_type", JWT_BEARER.to_owned()),
        ("assertion", "not-a-code".to_owned()),
        ("redirect_uri", "https://localhost:5001/cb".to_owned()),
    ]
}

async fn exchange(app: &LimitedApp, secret: &str) -> Response {
    let fields = exchange_with(secret);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_token(app, &borrowed).await
}

fn retry_after(r: &Response) -> i64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_client_over_its_token_rate_gets_429_with_retry_after_and_others_are_unaffected() {
    let app = LimitedApp::spawn(
        Limits {
            token_requests_per_minute: 3,
            ..Limits::default()
        },
        None,
    )
    .await;
    for _ in 0..3 {
        let r = exchange(&app, "secret-of-app-a").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let r = exchange(&app, "secret-of-app-a").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&r);
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");

    // Another client (another credential) has its own budget.
    let r = exchange(&app, "secret-of-app-b").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Once the advertised wait has passed, the first client is served again.
    app.clock.advance(wait);
    let r = exchange(&app, "secret-of-app-a").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn token_requests_without_credentials_share_their_address_budget() {
    let app = LimitedApp::spawn(
        Limits {
            token_requests_per_minute: 2,
            ..Limits::default()
        },
        None,
    )
    .await;
    for grant in ["a", "b"] {
        let r = post_token(&app, &[("grant_type", grant)]).await;
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let r = post_token(&app, &[("grant_type", "c")]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_zero_token_rate_turns_the_limit_off() {
    let app = LimitedApp::spawn(
        Limits {
            token_requests_per_minute: 0,
            ..Limits::default()
        },
        None,
    )
    .await;
    for _ in 0..50 {
        assert_eq!(exchange(&app, "s").await.status(), StatusCode::BAD_REQUEST);
    }
}

async fn attempt_sign_in(app: &LimitedApp, email: &str) -> Response {
    let page = app.client.get(app.url("/_signin")).send().await.unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    app.client
        .post(app.url("/_signin"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", "wrong password"),
            ("returnUrl", "/"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_attempts_from_one_address_are_limited_across_accounts() {
    let app = LimitedApp::spawn(
        Limits {
            sign_in_attempts_per_minute: 3,
            ..Limits::default()
        },
        None,
    )
    .await;
    // Three different accounts: the per-account limit never trips, the per-address one does.
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(attempt_sign_in(&app, email).await.status(), StatusCode::OK);
    }
    let r = attempt_sign_in(&app, "d@example.com").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&r);
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    assert!(r.text().await.unwrap().contains("Try again later"));
    // The sign-in page itself is still shown; only attempts are counted.
    let page = app.client.get(app.url("/_signin")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    app.clock.advance(wait);
    assert_eq!(
        attempt_sign_in(&app, "d@example.com").await.status(),
        StatusCode::OK
    );
}

async fn post_token_forwarded_for(app: &LimitedApp, forwarded_for: &str) -> StatusCode {
    app.client
        .post(app.url("/oauth2/token"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("grant_type", "none")])
        .send()
        .await
        .unwrap()
        .status()
}

fn two_token_requests_a_minute(trusted_proxies: &[&str]) -> Limits {
    Limits {
        token_requests_per_minute: 2,
        trusted_proxies: trusted_proxies.iter().map(|p| p.parse().unwrap()).collect(),
        ..Limits::default()
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_budget() {
    let app = LimitedApp::spawn(two_token_requests_a_minute(&["127.0.0.1/32"]), None).await;
    for _ in 0..2 {
        let status = post_token_forwarded_for(&app, "203.0.113.9").await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let status = post_token_forwarded_for(&app, "203.0.113.9").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is another address.
    let status = post_token_forwarded_for(&app, "198.51.100.4").await;
    assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
    // A client cannot escape its budget by prepending a made-up hop: the proxy appended its
    // real address last, and that is what counts.
    let status = post_token_forwarded_for(&app, "192.0.2.77, 203.0.113.9").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn forwarded_headers_from_a_peer_that_is_not_a_trusted_proxy_are_ignored() {
    let app = LimitedApp::spawn(two_token_requests_a_minute(&["10.0.0.0/8"]), None).await;
    for forwarded in ["203.0.113.9", "198.51.100.4"] {
        let status = post_token_forwarded_for(&app, forwarded).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    // Whatever the header claims, every request came from this one peer.
    let status = post_token_forwarded_for(&app, "192.0.2.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
