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

/// A client bound to `source`, another loopback address than the one the flood comes from.
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_connections_from_one_address_keep_no_other_address_out() {
    let app = LimitedApp::spawn(Limits::default(), None).await;
    // The flood, opened all at once: each connection starts a request head and then sends
    // nothing more, as a slow-header attacker does between its one-line-a-second writes.
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let addr = app.addr;
        opening.spawn(async move {
            // A connect the server's queue has no room for is retried by the kernel for
            // seconds; the flood does not wait for those.
            let connect = tokio::net::TcpStream::connect(addr);
            let mut conn = tokio::time::timeout(Duration::from_millis(500), connect)
                .await
                .ok()?
                .ok()?;
            // A connection past the address's share may already be closed: the write fails.
            let _ = conn
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: k\r\nX-Slow: ")
                .await;
            Some(conn)
        });
    }
    let mut flood = Vec::with_capacity(1000);
    while let Some(opened) = opening.join_next().await {
        flood.extend(opened.unwrap());
    }
    // More than the address's share got through the listen queue (how many more depends on
    // how fast the server closes them).
    assert!(
        flood.len() > 64,
        "the flood opened only {} connections",
        flood.len()
    );
    // Another address is served at once, within the two seconds the client allows.
    let r = client_from("127.0.0.2")
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("another address was kept out by the flood");
    assert_eq!(r.status(), StatusCode::OK);
    // The flooding address itself holds only its share: a further connection is closed at once.
    let mut more = app.connect().await;
    let response = read_until_closed(&mut more, Duration::from_secs(5)).await;
    assert!(response.is_empty(), "{response}");
    drop(flood);
}

#[tokio::test]
async fn a_connection_past_the_per_address_cap_is_closed_and_the_slot_comes_back() {
    let app = LimitedApp::spawn(
        Limits {
            max_connections_per_address: 2,
            ..Limits::default()
        },
        None,
    )
    .await;
    let mut first = app.connect().await;
    let mut second = app.connect().await;
    for conn in [&mut first, &mut second] {
        let r = request_on(conn, "GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    }
    let mut third = app.connect().await;
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n")
        .await;
    let refused = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(refused.is_empty(), "{refused}");
    // Another address is not counted with this one.
    let r = client_from("127.0.0.3")
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A closed connection gives its slot back (the server notices the close asynchronously).
    drop(first);
    let mut served = None;
    for _ in 0..50 {
        let mut again = app.connect().await;
        let _ = again
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n")
            .await;
        let response = read_until_closed_or_answered(&mut again).await;
        if response.starts_with("HTTP/1.1 200") {
            served = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        served.is_some(),
        "the slot of a closed connection never came back"
    );
}

/// Reads one response head, or until the server closes the connection.
async fn read_until_closed_or_answered(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if out.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}
