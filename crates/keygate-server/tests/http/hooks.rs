//! Service hooks subscriptions (rest-api.md §2): create, read, list, replace and delete through
//! the organization with `vso.hooks` / `vso.hooks_write` (implied by `vso.work`); https consumers only, http to loopback
//! only in emulator mode; bad input gets the 400 envelope and stores nothing.

use keygate_server::emulator::Emulator;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::api::{ApiWorld, ORG, PROJECT};
use super::helpers::TestApp;

fn subscriptions() -> String {
    format!("/{ORG}/_apis/hooks/subscriptions")
}

fn body(event: &str, url: &str) -> Value {
    json!({
        "publisherId": "tfs",
        "eventType": event,
        "resourceVersion": "1.0",
        "consumerId": "webHooks",
        "consumerActionId": "httpRequest",
        "publisherInputs": {"projectId": PROJECT},
        "consumerInputs": {"url": url, "httpHeaders": "X-Secret: s3cret"},
    })
}

async fn send(w: &ApiWorld, method: Method, path: &str, json: Option<&Value>) -> Response {
    let mut req = w
        .app
        .client
        .request(method, w.app.url(path))
        .bearer_auth(w.access());
    if let Some(j) = json {
        req = req
            .header("content-type", "application/json")
            .body(j.to_string());
    }
    req.send().await.unwrap()
}

async fn emulated(scopes: &str) -> ApiWorld {
    let app = TestApp::spawn_adjusted(|s| {
        s.with_emulator(Emulator {
            auto_approve: false,
            passwordless: Default::default(),
        })
    })
    .await;
    ApiWorld::on(app, scopes).await
}

async fn assert_bad_request(r: Response, contains: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["typeKey"], "ArgumentException", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(contains), "{message}");
}

#[tokio::test]
async fn a_subscription_is_created_read_listed_replaced_and_deleted() {
    let w = ApiWorld::with_scopes("vso.work").await;
    let r = send(
        &w,
        Method::POST,
        &subscriptions(),
        Some(&body("workitem.created", "https://hooks.example.com/in")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["status"], "enabled");
    assert_eq!(created["eventType"], "workitem.created");
    assert_eq!(created["publisherId"], "tfs");
    assert_eq!(
        created["consumerInputs"]["url"],
        "https://hooks.example.com/in"
    );
    assert!(created["publisherInputs"]["projectId"].is_string());
    let id = created["id"].as_str().unwrap();
    let url = created["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/{ORG}/_apis/hooks/subscriptions/{id}")));

    // Its url resolves to it, in any case of the path.
    let r = w
        .app
        .client
        .get(url.replace("hooks/subscriptions", "Hooks/Subscriptions"))
        .bearer_auth(w.access())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), created);

    let listed: Value = send(&w, Method::GET, &subscriptions(), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["value"][0], created);

    let path = format!("{}/{id}", subscriptions());
    let r = send(
        &w,
        Method::PUT,
        &path,
        Some(&body("workitem.updated", "https://elsewhere.example.com/")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let replaced: Value = r.json().await.unwrap();
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["eventType"], "workitem.updated");
    assert_eq!(
        replaced["consumerInputs"]["url"],
        "https://elsewhere.example.com/"
    );

    let r = send(&w, Method::DELETE, &path, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        send(&w, Method::GET, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&w, Method::DELETE, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );

    // Each change is in the audit log with its event and the consumer's host, never its path
    // or headers.
    let query = keygate_core::model::AuditQuery {
        limit: 1000,
        ..Default::default()
    };
    let events = keygate_core::audit::events(&w.app.state.kg, query)
        .await
        .unwrap();
    let hooks: Vec<_> = events
        .iter()
        .filter(|e| e.event.target == format!("hook-subscription:{id}"))
        .collect();
    let mut kinds: Vec<String> = hooks.iter().map(|e| e.event.kind.to_string()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "hook_subscription_created",
            "hook_subscription_deleted",
            "hook_subscription_replaced"
        ]
    );
    for e in hooks {
        assert!(e.event.org_id.is_some());
        assert!(!e.event.detail.contains("s3cret") && !e.event.detail.contains("/in"));
    }
}

/// `vso.hooks` / `vso.hooks_write` are internal scopes apps cannot ask for; as on the hosted
/// service, `vso.work` (like `vso.build` and `vso.code`) implies them.
#[tokio::test]
async fn subscriptions_need_a_scope_implying_vso_hooks() {
    let w = ApiWorld::with_scopes("vso.profile vso.project").await;
    let r = send(&w, Method::GET, &subscriptions(), None).await;
    assert_ne!(r.status(), StatusCode::OK);
    let r = send(
        &w,
        Method::POST,
        &subscriptions(),
        Some(&body("workitem.created", "https://hooks.example.com/in")),
    )
    .await;
    assert_ne!(r.status(), StatusCode::OK);
    let w = ApiWorld::with_scopes("vso.build").await;
    assert_eq!(
        send(&w, Method::GET, &subscriptions(), None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_subscriptions_get_the_400_envelope_and_nothing_is_stored() {
    let w = ApiWorld::with_scopes("vso.work").await;
    let cases = [
        (
            body("workitem.created", "http://hooks.example.com/in"),
            "https",
        ),
        (
            body("workitem.created", "http://127.0.0.1:9/in"),
            "emulator",
        ),
        (body("workitem.created", "not a url"), "valid URL"),
        (
            body("build.complete", "https://hooks.example.com/"),
            "eventType",
        ),
        (
            json!({"publisherId": "tfs", "eventType": "workitem.created",
                   "consumerId": "slack", "consumerActionId": "httpRequest",
                   "consumerInputs": {"url": "https://hooks.example.com/"}}),
            "consumerId",
        ),
    ];
    for (b, contains) in cases {
        let r = send(&w, Method::POST, &subscriptions(), Some(&b)).await;
        assert_bad_request(r, contains).await;
    }
    let r = w
        .app
        .client
        .post(w.app.url(&subscriptions()))
        .bearer_auth(w.access())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_bad_request(r, "not a subscription").await;
    let mut unknown_project = body("workitem.created", "https://hooks.example.com/");
    unknown_project["publisherInputs"]["projectId"] = json!("Nope");
    let r = send(&w, Method::POST, &subscriptions(), Some(&unknown_project)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let listed: Value = send(&w, Method::GET, &subscriptions(), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 0);
    let r = send(
        &w,
        Method::GET,
        &format!("{}/not-a-guid", subscriptions()),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn emulator_mode_allows_http_to_a_loopback_consumer() {
    let w = emulated("vso.work").await;
    for url in [
        "http://127.0.0.1:9/in",
        "http://[::1]:9/in",
        "http://localhost:9/in",
    ] {
        let r = send(
            &w,
            Method::POST,
            &subscriptions(),
            Some(&body("workitem.updated", url)),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
    }
    let r = send(
        &w,
        Method::POST,
        &subscriptions(),
        Some(&body("workitem.updated", "http://hooks.example.com/")),
    )
    .await;
    assert_bad_request(r, "https").await;
}
