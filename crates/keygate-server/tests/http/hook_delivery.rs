//! Service hooks delivery against a real receiver on a loopback port (emulator mode): created
//! and updated events arrive, a failed delivery is retried after its backoff, and a restart
//! neither loses an undelivered event nor re-sends a delivered one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use keygate_core::Policy;
use keygate_server::emulator::Emulator;
use reqwest::Method;
use serde_json::{json, Value};

use super::api::{ApiWorld, ORG, PROJECT};
use super::helpers::{browser, TestApp};

/// A webhook receiver: records what it accepts, answers 503 while `failing`.
#[derive(Default)]
struct Receiver {
    failing: AtomicBool,
    attempts: AtomicUsize,
    accepted: Mutex<Vec<(Option<String>, Value)>>,
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    r.attempts.fetch_add(1, Ordering::SeqCst);
    if r.failing.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let secret = headers
        .get("x-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let value = serde_json::from_str(&body).unwrap_or(Value::Null);
    r.accepted.lock().unwrap().push((secret, value));
    StatusCode::OK
}

async fn start_receiver() -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (receiver, url)
}

fn emulator() -> Emulator {
    Emulator {
        auto_approve: false,
        passwordless: Default::default(),
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn send(w: &ApiWorld, method: Method, path: &str, content_type: &str, body: Value) -> Value {
    let r = w
        .app
        .client
        .request(method, w.app.url(path))
        .bearer_auth(w.access())
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    r.json().await.unwrap()
}

async fn subscribe(w: &ApiWorld, event: &str, url: &str) -> String {
    let created = send(
        w,
        Method::POST,
        &format!("/{ORG}/_apis/hooks/subscriptions"),
        "application/json",
        json!({
            "publisherId": "tfs", "eventType": event,
            "consumerId": "webHooks", "consumerActionId": "httpRequest",
            "publisherInputs": {"projectId": PROJECT},
            "consumerInputs": {"url": url, "httpHeaders": "X-Secret: s3cret"},
        }),
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

async fn create_item(w: &ApiWorld, title: &str) -> i64 {
    let item = send(
        w,
        Method::POST,
        &format!("/{ORG}/{PROJECT}/_apis/wit/workitems/$Task"),
        "application/json-patch+json",
        json!([{"op": "add", "path": "/fields/System.Title", "value": title}]),
    )
    .await;
    item["id"].as_i64().unwrap()
}

fn accepted(r: &Receiver) -> Vec<Value> {
    r.accepted
        .lock()
        .unwrap()
        .iter()
        .map(|(_, v)| v.clone())
        .collect()
}

#[tokio::test]
async fn work_item_events_arrive_are_retried_and_survive_a_restart_without_duplicates() {
    let app = TestApp::spawn_adjusted(|s| s.with_emulator(emulator())).await;
    let mut w = ApiWorld::on(app, "vso.work_write").await;
    let (receiver, url) = start_receiver().await;
    let created_sub = subscribe(&w, "workitem.created", &url).await;
    subscribe(&w, "workitem.updated", &url).await;

    // Created: the event arrives with the work item and the subscription's header.
    let id = create_item(&w, "Hooked").await;
    until("the created event", || accepted(&receiver).len() == 1).await;
    let (secret, event) = receiver.accepted.lock().unwrap()[0].clone();
    assert_eq!(secret.as_deref(), Some("s3cret"));
    assert_eq!(event["eventType"], "workitem.created");
    assert_eq!(event["publisherId"], "tfs");
    assert_eq!(event["subscriptionId"], created_sub.as_str());
    assert_eq!(event["resource"]["id"], id);
    assert_eq!(event["resource"]["fields"]["System.Title"], "Hooked");
    assert_eq!(event["resourceContainers"]["project"]["name"], PROJECT);
    // The event's work item link resolves.
    let link = event["resource"]["url"].as_str().unwrap();
    let r = w
        .app
        .client
        .get(link)
        .bearer_auth(w.access())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);

    // Updated while the receiver fails: retried after the backoff, then delivered once.
    receiver.failing.store(true, Ordering::SeqCst);
    let before = receiver.attempts.load(Ordering::SeqCst);
    send(
        &w,
        Method::PATCH,
        &format!("/{ORG}/{PROJECT}/_apis/wit/workitems/{id}"),
        "application/json-patch+json",
        json!([{"op": "replace", "path": "/fields/System.Title", "value": "Rehooked"}]),
    )
    .await;
    until("a failed attempt", || {
        receiver.attempts.load(Ordering::SeqCst) > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        receiver.attempts.load(Ordering::SeqCst),
        before + 1,
        "no retry before the backoff"
    );
    let subs: Value = w
        .get(&format!("/{ORG}/_apis/hooks/subscriptions"))
        .await
        .json()
        .await
        .unwrap();
    let failing = subs["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["eventType"] == "workitem.updated")
        .unwrap();
    assert_eq!(failing["probationRetries"], 1);
    assert_eq!(failing["status"], "enabled");
    receiver.failing.store(false, Ordering::SeqCst);
    w.app
        .clock
        .advance(keygate_core::hooks::FIRST_RETRY_SECONDS);
    until("the retried updated event", || {
        accepted(&receiver).len() == 2
    })
    .await;
    let update = &accepted(&receiver)[1];
    assert_eq!(update["eventType"], "workitem.updated");
    assert_eq!(update["resource"]["workItemId"], id);
    assert_eq!(update["resource"]["rev"], 2);
    assert_eq!(
        update["resource"]["fields"]["System.Title"],
        json!({"oldValue": "Hooked", "newValue": "Rehooked"})
    );
    assert_eq!(
        update["resource"]["revision"]["fields"]["System.Title"],
        "Rehooked"
    );

    // An event committed while the receiver is down waits in the store across a restart.
    receiver.failing.store(true, Ordering::SeqCst);
    let before = receiver.attempts.load(Ordering::SeqCst);
    create_item(&w, "Queued").await;
    until("a failed attempt", || {
        receiver.attempts.load(Ordering::SeqCst) > before
    })
    .await;
    w.app.stop().await;
    receiver.failing.store(false, Ordering::SeqCst);
    let clock = w.app.clock.clone();
    let restarted = TestApp::spawn_adjusted_on(
        w.app.db_path.clone(),
        browser(),
        clock.clone(),
        Policy::default(),
        |s| s.with_emulator(emulator()),
    )
    .await;
    // The stopped server keeps the database directory alive until the test ends.
    let _stopped = std::mem::replace(&mut w.app, restarted);
    // Past the retry time, and past the lease in case the stop came before the failure was
    // recorded.
    clock.advance(keygate_core::hooks::LEASE_SECONDS + 1);
    until("the queued event after the restart", || {
        accepted(&receiver).len() == 3
    })
    .await;
    assert_eq!(
        accepted(&receiver)[2]["resource"]["fields"]["System.Title"],
        "Queued"
    );

    // Nothing delivered is sent again, whatever the time.
    clock.advance(24 * 3600);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let events = accepted(&receiver);
    assert_eq!(events.len(), 3);
    let mut ids: Vec<i64> = events
        .iter()
        .map(|e| e["notificationId"].as_i64().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "no notification twice");
}
