//! The bearer-protected REST API: endpoints, the scope matrix, failure shapes, and every
//! lifecycle event (revocation, regeneration, deletion, organization policy) taking effect.

use std::time::{Duration, Instant};

use keygate_core::model::NewWorkItem;
use keygate_core::{accounts, work_items};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::helpers::*;

pub(crate) const ORG: &str = "fabrikam";
pub(crate) const PROJECT: &str = "Fabrikam-Fiber";

/// A signed-in member of `fabrikam` with a project, one work item, and a token pair for `scopes`.
pub(crate) struct ApiWorld {
    pub(crate) app: TestApp,
    pub(crate) client: TestClient,
    pub(crate) tokens: Value,
    pub(crate) work_item: i64,
}

impl ApiWorld {
    pub(crate) async fn with_scopes(scopes: &str) -> Self {
        Self::on(TestApp::spawn().await, scopes).await
    }

    /// The same world on a server already started (in emulator mode, say).
    pub(crate) async fn on(app: TestApp, scopes: &str) -> Self {
        let user = app.create_user("ana@example.com").await;
        let (data, clock) = (app.state.kg.data(), app.state.kg.clock.as_ref());
        accounts::create_org(data, clock, ORG, "ana@example.com")
            .await
            .unwrap();
        let project = accounts::create_project(data, clock, ORG, PROJECT, "")
            .await
            .unwrap();
        let seeded = NewWorkItem {
            id: 0,
            project_id: project.id,
            rev: 1,
            work_item_type: "Task".into(),
            fields_json: json!({"System.Title": "Seeded"}).to_string(),
            created_by: user.id,
            created_at: 0,
        };
        let item = work_items::record_work_item(&app.state.kg, seeded)
            .await
            .unwrap();
        app.sign_in("ana@example.com").await;
        let client = app.register_client_with(&user, scopes, CALLBACK).await;
        let query = format!(
            "client_id={}&response_type=Assertion&state=s&scope={}&redirect_uri={}",
            client.app_id,
            enc(scopes),
            enc(CALLBACK)
        );
        let r = app.post_consent(&query, "accept").await;
        let code = query_param(&location(&r), "code").unwrap();
        let tokens: Value = app.exchange(&client, &code).await.json().await.unwrap();
        Self {
            app,
            client,
            tokens,
            work_item: item.id,
        }
    }

    pub(crate) fn access(&self) -> &str {
        self.tokens["access_token"].as_str().unwrap()
    }

    pub(crate) async fn call(&self, method: Method, path: &str, token: Option<&str>) -> Response {
        let mut req = self.app.client.request(method, self.app.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req.send().await.unwrap()
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, Some(self.access())).await
    }
}

async fn assert_tf400813(r: Response) {
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("TF400813: The user '"), "{message}");
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("tf400813", body, {".message" => "[message naming the user]"});
}

/// Waits for a change made through the store to reach the server's snapshot (bounded by 1 s
/// by design; 3 s here to stay clear of a loaded machine).
async fn eventually_status(w: &ApiWorld, path: &str, want: StatusCode) -> Response {
    let start = Instant::now();
    loop {
        let r = w.get(path).await;
        if r.status() == want || start.elapsed() > Duration::from_secs(3) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn the_profile_call_returns_the_signed_in_user() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let r = w.get("/_apis/profile/profiles/me?api-version=7.1").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("api-version=7.1"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["emailAddress"], "ana@example.com");
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("profile_me", body, {
        ".id" => "[user id]", ".publicAlias" => "[alias]", ".timeStamp" => "[time]"
    });
}

#[tokio::test]
async fn connection_data_names_the_authenticated_user() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let body: Value = w.get("/_apis/connectionData").await.json().await.unwrap();
    let user = &body["authenticatedUser"];
    for key in [
        "id",
        "descriptor",
        "subjectDescriptor",
        "providerDisplayName",
    ] {
        assert!(user.get(key).is_some(), "no {key}");
    }
    assert_eq!(user["providerDisplayName"], "Test User");
}

#[tokio::test]
async fn accounts_lists_only_the_callers_organizations() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let me: Value = w
        .get("/_apis/profile/profiles/me")
        .await
        .json()
        .await
        .unwrap();
    let id = me["id"].as_str().unwrap();
    let body: Value = w
        .get(&format!("/_apis/accounts?memberId={id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["count"], 1);
    assert_eq!(body["value"][0]["accountName"], ORG);
    let other: Value = w
        .get("/_apis/accounts?memberId=00000000-0000-0000-0000-000000000001")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["count"], 0);
}

#[tokio::test]
async fn projects_repositories_builds_and_work_items_are_served_to_members() {
    let w = ApiWorld::with_scopes("vso.project vso.code vso.build_execute vso.work_write").await;
    let projects: Value = w
        .get(&format!("/{ORG}/_apis/projects"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(projects["count"], 1);
    assert_eq!(projects["value"][0]["name"], PROJECT);
    let repos: Value = w
        .get(&format!("/{ORG}/{PROJECT}/_apis/git/repositories"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        repos["value"][0]["name"], PROJECT,
        "the default repository is named after the project"
    );
    let queued = w
        .app
        .client
        .post(w.app.url(&format!(
            "/{ORG}/{PROJECT}/_apis/build/builds?api-version=7.1"
        )))
        .bearer_auth(w.access())
        .json(&json!({"definition": {"id": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::OK);
    let queued: Value = queued.json().await.unwrap();
    assert_eq!(queued["status"], "notStarted");
    let builds: Value = w
        .get(&format!("/{ORG}/{PROJECT}/_apis/build/builds"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(builds["count"], 1);
    assert_eq!(builds["value"][0]["id"], queued["id"]);
    let created = w
        .app
        .client
        .post(
            w.app
                .url(&format!("/{ORG}/{PROJECT}/_apis/wit/workitems/$Task")),
        )
        .bearer_auth(w.access())
        .header("content-type", "application/json-patch+json")
        .body(
            json!([{"op": "add", "path": "/fields/System.Title", "value": "From the API"}])
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["fields"]["System.Title"], "From the API");
    assert_eq!(created["fields"]["System.WorkItemType"], "Task");
    let id = created["id"].as_i64().unwrap();
    let fetched: Value = w
        .get(&format!("/{ORG}/{PROJECT}/_apis/wit/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["fields"]["System.Title"], "From the API");
    let seeded = w
        .get(&format!(
            "/{ORG}/{PROJECT}/_apis/wit/workitems/{}",
            w.work_item
        ))
        .await;
    assert_eq!(seeded.status(), StatusCode::OK);
    let missing = w
        .get(&format!("/{ORG}/{PROJECT}/_apis/wit/workitems/999999"))
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_work_item_post_that_is_not_json_patch_is_refused_with_400() {
    let w = ApiWorld::with_scopes("vso.work_write").await;
    let r = w
        .app
        .client
        .post(
            w.app
                .url(&format!("/{ORG}/{PROJECT}/_apis/wit/workitems/$Task")),
        )
        .bearer_auth(w.access())
        .json(&json!([{"op": "add", "path": "/fields/System.Title", "value": "x"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = w
        .app
        .client
        .post(
            w.app
                .url(&format!("/{ORG}/{PROJECT}/_apis/wit/workitems/$Task")),
        )
        .bearer_auth(w.access())
        .header("content-type", "application/json-patch+json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_non_member_gets_tf400813_for_the_organization() {
    let w = ApiWorld::with_scopes("vso.project").await;
    let (data, clock) = (w.app.state.kg.data(), w.app.state.kg.clock.as_ref());
    w.app.create_user("bob@example.com").await;
    accounts::create_org(data, clock, "contoso", "bob@example.com")
        .await
        .unwrap();
    assert_tf400813(w.get("/contoso/_apis/projects").await).await;
    assert_tf400813(w.get("/nowhere/_apis/projects").await).await;
}

/// (endpoint, method, required scope, a weaker scope, a scope that implies the required one)
const MATRIX: [(&str, &str, &str, &str, &str); 8] = [
    (
        "/_apis/profile/profiles/me",
        "GET",
        "vso.profile",
        "vso.code_status",
        "vso.work",
    ),
    (
        "/_apis/accounts",
        "GET",
        "vso.profile",
        "vso.code_status",
        "vso.build",
    ),
    (
        "/fabrikam/_apis/projects",
        "GET",
        "vso.project",
        "vso.profile",
        "vso.project_write",
    ),
    (
        "/fabrikam/Fabrikam-Fiber/_apis/build/builds",
        "GET",
        "vso.build",
        "vso.work",
        "vso.build_execute",
    ),
    (
        "/fabrikam/Fabrikam-Fiber/_apis/build/builds",
        "POST",
        "vso.build_execute",
        "vso.build",
        "vso.build_execute",
    ),
    (
        "/fabrikam/Fabrikam-Fiber/_apis/git/repositories",
        "GET",
        "vso.code",
        "vso.work",
        "vso.code_write",
    ),
    (
        "/fabrikam/Fabrikam-Fiber/_apis/wit/workitems/1",
        "GET",
        "vso.work",
        "vso.code",
        "vso.work_write",
    ),
    (
        "/fabrikam/Fabrikam-Fiber/_apis/wit/workitems/$Task",
        "POST",
        "vso.work_write",
        "vso.work",
        "vso.work_full",
    ),
];

async fn call_matrix_row(w: &ApiWorld, path: &str, method: &str) -> StatusCode {
    let req = match method {
        "POST" if path.contains("workitems") => w
            .app
            .client
            .post(w.app.url(path))
            .header("content-type", "application/json-patch+json")
            .body(json!([{"op": "add", "path": "/fields/System.Title", "value": "t"}]).to_string()),
        "POST" => w
            .app
            .client
            .post(w.app.url(path))
            .json(&json!({"definition": {"id": 1}})),
        _ => w.app.client.get(w.app.url(path)),
    };
    req.bearer_auth(w.access())
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn each_endpoint_refuses_a_weaker_scope_and_accepts_the_exact_and_an_implying_scope() {
    for (path, method, exact, weaker, implying) in MATRIX {
        for (scope, want_ok) in [(weaker, false), (exact, true), (implying, true)] {
            let w = ApiWorld::with_scopes(scope).await;
            let status = call_matrix_row(&w, path, method).await;
            if want_ok {
                assert!(
                    status.is_success(),
                    "{method} {path} with {scope}: {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} with {scope}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_missing_or_malformed_token_gets_the_203_sign_in_page_on_get_and_post() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    for token in [None, Some("garbage"), Some("a.b.c")] {
        for method in [Method::GET, Method::POST] {
            let r = w
                .call(method.clone(), "/_apis/profile/profiles/me", token)
                .await;
            assert_eq!(
                r.status(),
                StatusCode::NON_AUTHORITATIVE_INFORMATION,
                "{method} {token:?}"
            );
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"));
        }
    }
}

#[tokio::test]
async fn suppress_patch_head_and_options_get_401_with_a_bearer_challenge() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let r = w
        .app
        .client
        .get(w.app.url("/_apis/profile/profiles/me"))
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["typeKey"], "UnauthorizedRequestException");
    for method in [Method::PATCH, Method::HEAD, Method::OPTIONS] {
        let r = w
            .call(
                method.clone(),
                "/_apis/profile/profiles/me",
                Some("garbage"),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn a_refresh_token_or_a_code_presented_as_an_access_token_is_refused() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let refresh = w.tokens["refresh_token"].as_str().unwrap();
    let r = w
        .call(Method::GET, "/_apis/profile/profiles/me", Some(refresh))
        .await;
    assert_eq!(r.status(), StatusCode::NON_AUTHORITATIVE_INFORMATION);
    let query = format!(
        "client_id={}&response_type=Assertion&state=s&scope=vso.profile&redirect_uri={}",
        w.client.app_id,
        enc(CALLBACK)
    );
    let code = query_param(
        &location(&w.app.post_consent(&query, "accept").await),
        "code",
    )
    .unwrap();
    let r = w
        .call(Method::GET, "/_apis/profile/profiles/me", Some(&code))
        .await;
    assert_eq!(r.status(), StatusCode::NON_AUTHORITATIVE_INFORMATION);
}

#[tokio::test]
async fn an_expired_access_token_gets_the_sign_in_answer() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    w.app.clock.advance(3600);
    let r = w.get("/_apis/profile/profiles/me").await;
    assert_eq!(r.status(), StatusCode::NON_AUTHORITATIVE_INFORMATION);
}

#[tokio::test]
async fn revoking_on_the_authorizations_page_stops_access_and_refresh_tokens() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let page = w
        .app
        .get("/profile/authorizations")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Fiber"));
    let app_id = w.client.app_id.to_lowercase();
    assert!(page.contains(&app_id));
    let r = w
        .app
        .post_form(
            "/profile/authorizations/revoke",
            &[("csrf", &csrf_in(&page)), ("app_id", &app_id)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.text().await.unwrap().contains(&app_id));
    assert_tf400813(
        eventually_status(&w, "/_apis/profile/profiles/me", StatusCode::UNAUTHORIZED).await,
    )
    .await;
    let refresh = w
        .app
        .refresh(&w.client, w.tokens["refresh_token"].as_str().unwrap())
        .await;
    let body: Value = refresh.json().await.unwrap();
    assert_eq!(
        body,
        json!({"Error": "invalid_request", "ErrorDescription": "The access token is not valid"})
    );
}

#[tokio::test]
async fn revoke_all_needs_a_csrf_token_and_then_revokes_every_app() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let r = w
        .app
        .post_form("/profile/authorizations/revoke-all", &[("csrf", "forged")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        w.get("/_apis/profile/profiles/me").await.status(),
        StatusCode::OK
    );
    let csrf = w.app.csrf_from("/profile/authorizations").await;
    let r = w
        .app
        .post_form("/profile/authorizations/revoke-all", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_tf400813(
        eventually_status(&w, "/_apis/profile/profiles/me", StatusCode::UNAUTHORIZED).await,
    )
    .await;
}

#[tokio::test]
async fn regenerating_the_secret_retires_the_old_secret_and_every_token_it_minted() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let page = w
        .app
        .get(&format!("/app/{}/regenerate", w.client.app_id))
        .await
        .text()
        .await
        .unwrap();
    let r = w
        .app
        .post_form(
            &format!("/app/{}/regenerate", w.client.app_id),
            &[("csrf", &csrf_in(&page))],
        )
        .await;
    let html = r.text().await.unwrap();
    let start = html.find("id=\"client-secret\">").unwrap() + "id=\"client-secret\">".len();
    let new_secret = html[start..].split('<').next().unwrap().to_owned();
    let refresh = w.tokens["refresh_token"].as_str().unwrap();
    let old = w
        .app
        .refresh(&w.client, refresh)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        old,
        json!({"Error": "unauthorized_client", "ErrorDescription": "Client failed validation"})
    );
    let renewed = TestClient {
        app_id: w.client.app_id.clone(),
        secret: new_secret,
    };
    let with_new = w
        .app
        .refresh(&renewed, refresh)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        with_new["ErrorDescription"],
        "The access token is not valid"
    );
    assert_tf400813(
        eventually_status(&w, "/_apis/profile/profiles/me", StatusCode::UNAUTHORIZED).await,
    )
    .await;
    // The new secret works for a fresh authorization.
    let code = w.app.authorize_code_for(&renewed, "vso.profile").await;
    assert_eq!(
        w.app.exchange(&renewed, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_the_app_refuses_authorize_the_token_endpoint_and_its_tokens() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let page = w
        .app
        .get(&format!("/app/{}/delete", w.client.app_id))
        .await
        .text()
        .await
        .unwrap();
    let r = w
        .app
        .post_form(
            &format!("/app/{}/delete", w.client.app_id),
            &[("csrf", &csrf_in(&page))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let query = format!(
        "client_id={}&response_type=Assertion&state=s&scope=vso.profile&redirect_uri={}",
        w.client.app_id,
        enc(CALLBACK)
    );
    assert_eq!(
        w.app.get_authorize(&query).await.status(),
        StatusCode::BAD_REQUEST
    );
    let r = w
        .app
        .refresh(&w.client, w.tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["Error"],
        "unauthorized_client"
    );
    assert_tf400813(
        eventually_status(&w, "/_apis/profile/profiles/me", StatusCode::UNAUTHORIZED).await,
    )
    .await;
}

#[tokio::test]
async fn the_organization_policy_switch_denies_and_restores_api_access_with_the_same_tokens() {
    let w = ApiWorld::with_scopes("vso.project vso.profile").await;
    let path = format!("/{ORG}/_apis/projects");
    assert_eq!(w.get(&path).await.status(), StatusCode::OK);
    let settings = format!("/{ORG}/_settings/organizationPolicy");
    let page = w.app.get(&settings).await.text().await.unwrap();
    assert!(page.contains("Third-party application access via OAuth"));
    let r = w
        .app
        .post_form(
            &settings,
            &[("csrf", &csrf_in(&page)), ("third_party_oauth", "deny")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_tf400813(eventually_status(&w, &path, StatusCode::UNAUTHORIZED).await).await;
    // Authorize and token issuance still work under the policy.
    let code = w
        .app
        .authorize_code_for(&w.client, "vso.profile vso.project")
        .await;
    assert_eq!(
        w.app.exchange(&w.client, &code).await.status(),
        StatusCode::OK
    );
    // Calls that name no organization are not affected.
    assert_eq!(
        w.get("/_apis/profile/profiles/me").await.status(),
        StatusCode::OK
    );
    let page = w.app.get(&settings).await.text().await.unwrap();
    w.app
        .post_form(
            &settings,
            &[("csrf", &csrf_in(&page)), ("third_party_oauth", "allow")],
        )
        .await;
    assert_eq!(
        eventually_status(&w, &path, StatusCode::OK).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_the_organization_owner_may_see_or_change_its_policy() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    w.app.create_user("bob@example.com").await;
    accounts::add_org_member(w.app.state.kg.data(), ORG, "bob@example.com")
        .await
        .unwrap();
    let bob = TestApp::spawn_on(&w.app.db_path, browser(), w.app.clock.clone()).await;
    bob.sign_in("bob@example.com").await;
    let settings = format!("/{ORG}/_settings/organizationPolicy");
    assert_eq!(bob.get(&settings).await.status(), StatusCode::FORBIDDEN);
    let csrf = bob.csrf_from("/").await;
    let r = bob
        .post_form(&settings, &[("csrf", &csrf), ("third_party_oauth", "deny")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
