//! Work items as the SDKs and integrations use them (rest-api.md §2): create by POST or PATCH
//! `$Type`, update with JSON Patch (all or nothing), batch reads, WIQL, and every link in an
//! answer leading to the resource.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::api::{ApiWorld, ORG, PROJECT};

const PATCH_TYPE: &str = "application/json-patch+json; charset=utf-8";

async fn send_patch(w: &ApiWorld, method: Method, path: &str, body: Value) -> Response {
    w.app
        .client
        .request(method, w.app.url(path))
        .bearer_auth(w.access())
        .header("content-type", PATCH_TYPE)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn item_path(id: impl std::fmt::Display) -> String {
    format!("/{ORG}/{PROJECT}/_apis/wit/workitems/{id}")
}

async fn create(w: &ApiWorld, work_item_type: &str, title: &str) -> Value {
    let r = send_patch(
        w,
        Method::POST,
        &item_path(format!("${work_item_type}")),
        json!([{"op": "add", "path": "/fields/System.Title", "value": title}]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// `v` with times, ids and this server's address replaced, for a snapshot.
fn stable(w: &ApiWorld, v: Value) -> Value {
    let base = w.app.url("");
    let text = v.to_string().replace(base.trim_end_matches('/'), "[base]");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for key in ["System.CreatedDate", "System.ChangedDate"] {
        if v["fields"].get(key).is_some() {
            v["fields"][key] = json!("[time]");
        }
    }
    if v.get("asOf").is_some() {
        v["asOf"] = json!("[time]");
    }
    v
}

async fn assert_bad_request(r: Response, contains: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["$id"].is_string() && body["typeKey"].is_string(),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(contains), "{message}");
}

#[tokio::test]
async fn a_patch_updates_fields_raises_rev_and_stamps_the_change() {
    let w = ApiWorld::with_scopes("vso.work_write").await;
    let created = create(&w, "Task", "Write docs").await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["rev"], 1);
    let r = send_patch(
        &w,
        Method::PATCH,
        &item_path(id),
        json!([
            {"op": "test", "path": "/rev", "value": 1},
            {"op": "replace", "path": "/fields/System.Title", "value": "Write the docs"},
            {"op": "add", "path": "/fields/System.State", "value": "Active"},
            {"op": "add", "path": "/fields/Microsoft.VSTS.Common.Priority", "value": 1}
        ]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["rev"], 2);
    assert_eq!(updated["fields"]["System.Title"], "Write the docs");
    assert_eq!(updated["fields"]["System.State"], "Active");
    assert_eq!(
        updated["fields"]["System.CreatedDate"],
        created["fields"]["System.CreatedDate"]
    );
    assert!(updated["fields"]["System.ChangedDate"].is_string());
    assert_eq!(updated["fields"]["System.ChangedBy"], "Test User");

    let read: Value = w.get(&item_path(id)).await.json().await.unwrap();
    assert_eq!(read, updated);
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("work_item_updated", stable(&w, updated.clone()));

    let removed: Value = send_patch(
        &w,
        Method::PATCH,
        &format!("/{ORG}/_apis/wit/workItems/{id}"),
        json!([{"op": "remove", "path": "/fields/Microsoft.VSTS.Common.Priority"}]),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(removed["rev"], 3);
    assert!(removed["fields"]
        .get("Microsoft.VSTS.Common.Priority")
        .is_none());
}

#[tokio::test]
async fn work_items_are_created_by_post_by_patch_and_updated_through_a_method_override() {
    let w = ApiWorld::with_scopes("vso.work_write").await;
    let bug: Value = send_patch(
        &w,
        Method::PATCH,
        &item_path("$bug"),
        json!([{"op": "add", "path": "/fields/System.Title", "value": "Crash"}]),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(bug["fields"]["System.WorkItemType"], "Bug");
    assert_eq!(bug["fields"]["System.State"], "New");
    let id = bug["id"].as_i64().unwrap();
    let overridden = w
        .app
        .client
        .post(w.app.url(&item_path(id)))
        .bearer_auth(w.access())
        .header("content-type", PATCH_TYPE)
        .header("x-http-method-override", "PATCH")
        .body(
            json!([{"op": "add", "path": "/fields/System.State", "value": "Resolved"}]).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(overridden.status(), StatusCode::OK);
    let body: Value = overridden.json().await.unwrap();
    assert_eq!(body["rev"], 2);
    assert_eq!(body["fields"]["System.State"], "Resolved");

    let at_org = w
        .app
        .client
        .post(w.app.url(&format!("/{ORG}/_apis/wit/workitems/{id}")))
        .bearer_auth(w.access())
        .header("content-type", PATCH_TYPE)
        .header("X-HTTP-Method-Override", "patch")
        .body(json!([{"op": "add", "path": "/fields/System.State", "value": "Closed"}]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(at_org.status(), StatusCode::OK);
    assert_eq!(at_org.json::<Value>().await.unwrap()["rev"], 3);
    let plain_post = w
        .app
        .client
        .post(w.app.url(&item_path(id)))
        .bearer_auth(w.access())
        .header("content-type", PATCH_TYPE)
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(plain_post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_bad_patch_a_failed_test_or_an_unknown_field_is_a_400_and_writes_nothing() {
    let w = ApiWorld::with_scopes("vso.work_write").await;
    let created = create(&w, "Task", "Keep me").await;
    let id = created["id"].as_i64().unwrap();
    let cases = [
        (
            json!([
                {"op": "replace", "path": "/fields/System.Title", "value": "Changed"},
                {"op": "test", "path": "/fields/System.Title", "value": "Something else"}
            ]),
            "Test operation failed",
        ),
        (
            json!([
                {"op": "replace", "path": "/fields/System.Title", "value": "Changed"},
                {"op": "test", "path": "/rev", "value": 7}
            ]),
            "Test operation failed",
        ),
        (
            json!([{"op": "add", "path": "/fields/Custom.Nope", "value": "x"}]),
            "TF51535",
        ),
        (
            json!([{"op": "add", "path": "/fields/System.Rev", "value": 9}]),
            "ReadOnly",
        ),
        (
            json!([{"op": "move", "path": "/fields/System.Title", "from": "/x"}]),
            "not supported",
        ),
        (json!({"op": "add"}), "not a valid JSON Patch"),
        (
            json!([{"op": "remove", "path": "/fields/System.Title"}]),
            "TF401320",
        ),
    ];
    for (body, message) in cases {
        let r = send_patch(&w, Method::PATCH, &item_path(id), body).await;
        assert_bad_request(r, message).await;
    }
    let plain_json = w
        .app
        .client
        .patch(w.app.url(&item_path(id)))
        .bearer_auth(w.access())
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_bad_request(plain_json, "json-patch+json").await;
    let bad_type = send_patch(
        &w,
        Method::POST,
        &item_path("$Spaceship"),
        json!([{"op": "add", "path": "/fields/System.Title", "value": "x"}]),
    )
    .await;
    assert_bad_request(bad_type, "Spaceship").await;

    let read: Value = w.get(&item_path(id)).await.json().await.unwrap();
    assert_eq!(read, created, "nothing was written");
}

#[tokio::test]
async fn a_batch_read_answers_the_ids_in_order_with_the_fields_asked_for() {
    let w = ApiWorld::with_scopes("vso.work_write").await;
    let a = create(&w, "Task", "A").await["id"].as_i64().unwrap();
    let b = create(&w, "Bug", "B").await["id"].as_i64().unwrap();
    let body: Value = w
        .get(&format!(
            "/{ORG}/_apis/wit/workitems?ids={b},{a}&fields=System.Title,System.WorkItemType"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["count"], 2);
    assert_eq!(body["value"][0]["id"], b);
    assert_eq!(
        body["value"][0]["fields"],
        json!({"System.Title": "B", "System.WorkItemType": "Bug"})
    );
    let in_project = w
        .get(&format!("/{ORG}/{PROJECT}/_apis/wit/workItems?ids={a}"))
        .await;
    assert_eq!(in_project.status(), StatusCode::OK);
    let missing = w
        .get(&format!("/{ORG}/_apis/wit/workitems?ids={a},999999"))
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let none = w.get(&format!("/{ORG}/_apis/wit/workitems")).await;
    assert_eq!(none.status(), StatusCode::BAD_REQUEST);
}

async fn wiql(w: &ApiWorld, path: &str, query: &str) -> Response {
    w.app
        .client
        .post(w.app.url(path))
        .bearer_auth(w.access())
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wiql_answers_the_supported_subset_and_refuses_the_rest() {
    let w = ApiWorld::with_scopes("vso.work_write").await;
    let task = create(&w, "Task", "T").await["id"].as_i64().unwrap();
    let bug = create(&w, "Bug", "B").await["id"].as_i64().unwrap();
    let r = wiql(
        &w,
        &format!("/{ORG}/{PROJECT}/_apis/wit/wiql"),
        "SELECT [System.Id], [System.Title] FROM WorkItems WHERE [System.TeamProject] = @project \
         AND [System.WorkItemType] = 'Task' AND [System.State] = 'New' ORDER BY [System.Id] DESC",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["queryType"], "flat");
    let ids: Vec<i64> = body["workItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![task],
        "the seeded task has no State, the bug is a Bug"
    );
    assert_eq!(body["columns"][1]["referenceName"], "System.Title");
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("wiql_result", stable(&w, body.clone()));
    assert_eq!(body["sortColumns"][0]["descending"], true);

    let all: Value = wiql(
        &w,
        &format!("/{ORG}/{PROJECT}/_apis/wit/wiql"),
        "SELECT [System.Id] FROM WorkItems ORDER BY [System.Id]",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(all["workItems"].as_array().unwrap().len(), 3);
    assert_eq!(all["workItems"][2]["id"], bug);

    let refused = wiql(
        &w,
        &format!("/{ORG}/{PROJECT}/_apis/wit/wiql"),
        "SELECT [System.Id] FROM WorkItems WHERE [System.State] = 'New' OR [System.State] = 'Done'",
    )
    .await;
    assert_bad_request(refused, "TF51005").await;
}

/// Every `url` and `_links.*.href` in `v`, at any depth.
fn links(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("url" | "href", Value::String(s)) => out.push(s.clone()),
                    _ => links(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| links(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_url_and_link_in_an_answer_leads_to_its_resource() {
    let w = ApiWorld::with_scopes("vso.project vso.code vso.build_execute vso.work_write").await;
    create(&w, "Task", "Linked").await;
    let queued = w
        .app
        .client
        .post(w.app.url(&format!("/{ORG}/{PROJECT}/_apis/build/builds")))
        .bearer_auth(w.access())
        .json(&json!({"definition": {"id": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::OK);
    let mut found = Vec::new();
    for path in [
        format!("/{ORG}/_apis/projects"),
        format!("/{ORG}/{PROJECT}/_apis/git/repositories"),
        format!("/{ORG}/{PROJECT}/_apis/build/builds"),
        format!("/{ORG}/_apis/wit/workitems?ids={}", w.work_item),
    ] {
        let body: Value = w.get(&path).await.json().await.unwrap();
        links(&body, &mut found);
    }
    let query: Value = wiql(
        &w,
        &format!("/{ORG}/{PROJECT}/_apis/wit/wiql"),
        "SELECT [System.Id] FROM WorkItems",
    )
    .await
    .json()
    .await
    .unwrap();
    links(&query, &mut found);
    assert!(found.len() >= 7, "{found:?}");
    let base = w.app.url("");
    for url in found {
        let path = url
            .strip_prefix(base.trim_end_matches('/'))
            .unwrap_or_else(|| panic!("{url} is not on this server"));
        let r = w.call(Method::GET, path, Some(w.access())).await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
    }
}
