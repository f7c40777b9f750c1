//! Body size, header and request timeouts, and the connection cap.

use std::time::Duration;

use keygate_server::Limits;
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

use super::limited_app::{read_until_closed, request_on, LimitedApp};

fn small_body_limit() -> Limits {
    Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_on_every_kind_of_endpoint() {
    let app = LimitedApp::spawn(small_body_limit(), None).await;
    let big = "a=".to_owned() + &"x".repeat(2048);
    for path in [
        "/oauth2/token",
        "/_signin",
        "/oauth2/authorize",
        "/app/register",
        "/fabrikam/Fabrikam-Fiber/_apis/wit/workitems/$Task",
        "/no/such/page",
    ] {
        let r = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    // A body under the limit reaches the endpoint.
    let r = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=nope")
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_chunked_body_that_grows_past_the_limit_is_cut_off_with_413() {
    let app = LimitedApp::spawn(small_body_limit(), None).await;
    let mut conn = app.connect().await;
    let chunk = "x".repeat(800);
    let raw = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: k\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    let response = request_on(&mut conn, &raw).await;
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "unexpected response: {response}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let app = LimitedApp::spawn(
        Limits {
            header_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
        None,
    )
    .await;
    let mut conn = app.connect().await;
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: k\r\nX-Slow: ")
        .await
        .unwrap();
    let response = read_until_closed(&mut conn, Duration::from_secs(10)).await;
    assert!(!response.contains("200 OK"), "{response}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let app = LimitedApp::spawn(
        Limits {
            header_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
        None,
    )
    .await;
    let mut conn = app.connect().await;
    let first = request_on(&mut conn, "GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n").await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // The connection stays open for the next request only as long as a request head may take.
    let rest = read_until_closed(&mut conn, Duration::from_secs(10)).await;
    assert!(rest.is_empty() || rest.contains("408"), "{rest}");
}

#[tokio::test]
async fn a_body_that_trickles_in_slower_than_the_request_timeout_gets_408() {
    let app = LimitedApp::spawn(
        Limits {
            request_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
        None,
    )
    .await;
    let mut conn = app.connect().await;
    conn.write_all(
        b"POST /oauth2/token HTTP/1.1\r\nHost: k\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\ngrant_type=",
    )
    .await
    .unwrap();
    let response = read_until_closed(&mut conn, Duration::from_secs(10)).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_a_slot_frees() {
    let app = LimitedApp::spawn(
        Limits {
            max_connections: 1,
            ..Limits::default()
        },
        None,
    )
    .await;
    // The one slot: a keep-alive connection that has been served, so it is surely accepted.
    let mut holder = app.connect().await;
    let first = request_on(&mut holder, "GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n").await;
    assert!(first.starts_with("HTTP/1.1 200"));

    let waiting = tokio::spawn({
        let client = reqwest::Client::new();
        let url = app.url("/healthz");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a second connection was served past the cap of one"
    );

    drop(holder);
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the waiting client was not served after the slot freed")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
}
