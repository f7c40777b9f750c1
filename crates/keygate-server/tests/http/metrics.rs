//! `/metrics`: requests by route template and status, latency, tokens by grant, token errors by
//! code, sign-in failures, pool use; and off the public listener when it has its own.

use reqwest::StatusCode;

use super::helpers::*;

async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    r.text().await.unwrap()
}

/// The value of the sample whose line starts with `series` (name and labels), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status_never_by_raw_path() {
    let app = TestApp::spawn_adjusted(|state| state.with_public_metrics()).await;
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    for _ in 0..2 {
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.get(&format!("/app/{id}")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            r#"keygate_http_requests_total{method="GET",route="/healthz",status="200"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"keygate_http_requests_total{method="GET",route="/app/{id}",status="303"}"#
        ),
        Some(1.0)
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(
        text.contains(r#"keygate_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"}"#),
        "{text}"
    );
    assert!(!text.contains(id), "a raw path leaked into the labels");
    assert!(!text.contains("/no/such/page"));
}

#[tokio::test]
async fn tokens_issued_by_grant_and_token_errors_by_code_are_counted() {
    let app = TestApp::spawn_adjusted(|state| state.with_public_metrics()).await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    app.sign_in("ana@example.com").await;
    let code = app.authorize_code(&client).await;
    let tokens: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh(&client, refresh).await.status(), StatusCode::OK);
    // The spent code again, and a body with no grant type.
    assert_eq!(
        app.exchange(&client, &code).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.post_token(&[("client_assertion", "x")]).await.status(),
        StatusCode::BAD_REQUEST
    );
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, r#"keygate_tokens_issued_total{grant="jwt-bearer"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"keygate_tokens_issued_total{grant="refresh_token"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"keygate_token_errors_total{error="invalid_request"}"#
        ),
        Some(2.0)
    );
    assert!(!text.contains(&client.secret) && !text.contains(&code));
}

#[tokio::test]
async fn sign_in_failures_and_database_pool_use_are_reported() {
    let app = TestApp::spawn_adjusted(|state| state.with_public_metrics()).await;
    app.create_user("ana@example.com").await;
    for _ in 0..3 {
        app.post_sign_in("ana@example.com", "wrong password", "/")
            .await;
    }
    let text = scrape(&app).await;
    assert_eq!(sample(&text, "keygate_sign_in_failures_total"), Some(3.0));
    let max = sample(&text, "keygate_db_pool_max_connections").unwrap();
    let open = sample(&text, "keygate_db_pool_connections").unwrap();
    assert!(max >= 2.0 && open >= 1.0 && open <= max, "{text}");
    assert!(sample(&text, "keygate_db_pool_idle_connections").is_some());
}

#[tokio::test]
async fn metrics_are_not_on_the_public_listener_unless_asked_for() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_with_their_own_listener_leave_the_public_one() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = app.state.clone();
    let handle = tokio::spawn(async move {
        keygate_server::serve_metrics(listener, served, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"keygate_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    let _ = tx.send(());
    handle.await.unwrap();
}
