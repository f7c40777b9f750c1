//! Microsoft Entra ID's endpoints: discovery per tenant, the v2.0 and v1 authorize and token
//! endpoints with their token shapes, the REST API opened by an Entra access token, and the
//! `AADSTS` errors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::oidc_helpers::signed_in;
use super::standard_helpers::*;

const RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn tenant_id(app: &TestApp) -> String {
    app.state.kg.tenant.id.to_string()
}

fn scope(permissions: &[&str], oidc: &str) -> String {
    let mut s: Vec<String> = permissions
        .iter()
        .map(|p| format!("{RESOURCE}/{p}"))
        .collect();
    if !oidc.is_empty() {
        s.push(oidc.to_owned());
    }
    s.join(" ")
}

fn authorize_query(client: &TestClient, scope: &str) -> String {
    format!(
        "client_id={}&response_type=code&redirect_uri={}&scope={}&state=s1&nonce=n-1&\
         code_challenge={CHALLENGE}&code_challenge_method=S256&client_info=1&x-client-SKU=MSAL.Python",
        client.app_id,
        enc(CALLBACK),
        enc(scope)
    )
}

/// The consent page of an Entra authorize request, accepted (or not): the redirect.
async fn consent(app: &TestApp, path: &str, query: &str, decision: &str) -> reqwest::Response {
    let page = app.get(&format!("{path}?{query}")).await;
    if page.status() != StatusCode::OK {
        panic!(
            "consent page not shown: {} {:?}",
            page.status(),
            page.headers().get("location")
        );
    }
    let html = page.text().await.unwrap();
    let mut fields = hidden_fields(&html);
    fields.push(("decision".into(), decision.into()));
    app.client
        .post(app.url("/oauth2/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn entra_code(app: &TestApp, client: &TestClient, scope: &str) -> String {
    let r = consent(
        app,
        "/organizations/oauth2/v2.0/authorize",
        &authorize_query(client, scope),
        "accept",
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("s1"));
    query_param(&to, "code").expect("no code in redirect")
}

async fn token(app: &TestApp, tenant: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/{tenant}/oauth2/v2.0/token")))
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn redeem(app: &TestApp, client: &TestClient, code: &str, scope: &str) -> reqwest::Response {
    token(
        app,
        &tenant_id(app),
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client.app_id),
            ("client_secret", &client.secret),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("scope", scope),
            ("client_info", "1"),
        ],
    )
    .await
}

async fn assert_aadsts(r: reqwest::Response, status: StatusCode, code: u32) -> Value {
    assert_eq!(r.status(), status);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error_codes"][0], code, "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for key in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[key].is_string(), "{key} missing: {body}");
    }
    body
}

#[tokio::test]
async fn discovery_names_the_tenant_in_every_spelling_and_refuses_others() {
    let app = TestApp::spawn().await;
    let tid = tenant_id(&app);
    let domain = app.state.kg.tenant.domain.clone();
    for (segment, issuer) in [
        ("common", format!("{}/{{tenantid}}/v2.0", app.base)),
        ("organizations", format!("{}/{{tenantid}}/v2.0", app.base)),
        (tid.as_str(), format!("{}/{tid}/v2.0", app.base)),
        (domain.as_str(), format!("{}/{tid}/v2.0", app.base)),
    ] {
        let r = app
            .get(&format!("/{segment}/v2.0/.well-known/openid-configuration"))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{segment}");
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["issuer"], issuer.as_str());
        assert_eq!(
            doc["token_endpoint"],
            format!("{}/{segment}/oauth2/v2.0/token", app.base).as_str()
        );
        for key in [
            "authorization_endpoint",
            "jwks_uri",
            "device_authorization_endpoint",
        ] {
            assert!(doc[key].is_string(), "{key}");
        }
    }
    // The v1 document's endpoints are served too.
    let r = app
        .get("/organizations/.well-known/openid-configuration")
        .await;
    let v1: Value = r.json().await.unwrap();
    assert_eq!(
        v1["issuer"],
        format!("https://sts.windows.net/{tid}/").as_str()
    );
    for key in ["jwks_uri", "end_session_endpoint"] {
        let url = v1[key].as_str().unwrap();
        let path = url.strip_prefix(&app.base).unwrap();
        let r = app.get(path).await;
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{key}: {}",
            r.status()
        );
    }
    let r = app.get(&format!("/{tid}/discovery/v2.0/keys")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let keys: Value = r.json().await.unwrap();
    assert!(keys["keys"].as_array().is_some_and(|k| !k.is_empty()));
    let r = app
        .get("/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration")
        .await;
    assert_aadsts(r, StatusCode::BAD_REQUEST, 90002).await;
    let r = app
        .get("/common/discovery/instance?api-version=1.1&authorization_endpoint=https://x/organizations/oauth2/v2.0/authorize")
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["tenant_discovery_endpoint"],
        format!(
            "{}/organizations/v2.0/.well-known/openid-configuration",
            app.base
        )
        .as_str()
    );
}

#[tokio::test]
async fn the_code_flow_gives_entra_shaped_tokens_that_open_the_rest_api_and_refresh() {
    let (app, client, user) = signed_in().await;
    let asked = scope(
        &["vso.profile", "vso.code"],
        "openid profile email offline_access",
    );
    let code = entra_code(&app, &client, &asked).await;
    let r = redeem(&app, &client, &code, &asked).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(
        body["expires_in"].is_i64() && body["ext_expires_in"].is_i64(),
        "{body}"
    );
    assert_eq!(
        body["scope"],
        format!("email offline_access openid profile {RESOURCE}/vso.code {RESOURCE}/vso.profile")
    );
    let tid = tenant_id(&app);
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], RESOURCE);
    assert_eq!(access["iss"], format!("https://sts.windows.net/{tid}/"));
    assert_eq!(access["ver"], "1.0");
    assert_eq!(access["tid"], tid.as_str());
    assert_eq!(access["oid"], user.id.to_string());
    assert_eq!(access["appid"], client.app_id.to_ascii_lowercase());
    assert_eq!(access["appidacr"], "1");
    assert_eq!(access["scp"], "vso.code vso.profile");
    assert_eq!(access["upn"], "ana@example.com");
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], client.app_id.as_str());
    assert_eq!(id["iss"], format!("{}/{tid}/v2.0", app.base));
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["ver"], "2.0");
    assert_eq!(id["tid"], tid.as_str());
    assert_eq!(id["oid"], user.id.to_string());
    assert_eq!(id["email"], "ana@example.com");
    assert_ne!(id["sub"], user.id.to_string(), "the subject is pairwise");
    let info: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(body["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(info["uid"], user.id.to_string());
    assert_eq!(info["utid"], tid.as_str());

    // The access token opens the REST API under its scopes.
    let api = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/_apis/profile/profiles/me?api-version=7.1"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let r = api(body["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Silent refresh, as MSAL sends it: scopes again, and client_info.
    let r = token(
        &app,
        "organizations",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client.app_id),
            ("client_secret", &client.secret),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
            ("scope", &asked),
            ("client_info", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let refreshed: Value = r.json().await.unwrap();
    assert!(refreshed["refresh_token"].is_string());
    assert!(refreshed["id_token"].is_string());
    let r = api(refreshed["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(r.status(), StatusCode::OK);

    // The first refresh token is spent; using it again ends the chain (AADSTS54005).
    let r = token(
        &app,
        "organizations",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client.app_id),
            ("client_secret", &client.secret),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_aadsts(r, StatusCode::BAD_REQUEST, 54005).await;
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token_and_a_code_redeems_once() {
    let (app, client, _) = signed_in().await;
    let asked = scope(&["vso.profile"], "");
    let code = entra_code(&app, &client, &asked).await;
    let r = redeem(&app, &client, &code, &asked).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let r = redeem(&app, &client, &code, &asked).await;
    assert_aadsts(r, StatusCode::BAD_REQUEST, 54005).await;
}

#[tokio::test]
async fn client_credentials_take_default_only_and_client_errors_have_their_codes() {
    let (app, client, _) = signed_in().await;
    let tid = tenant_id(&app);
    let default = format!("{RESOURCE}/.default");
    let r = app
        .client
        .post(app.url(&format!("/{tid}/oauth2/v2.0/token")))
        .basic_auth(&client.app_id, Some(&client.secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", default.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], RESOURCE);
    assert_eq!(access["appid"], client.app_id.to_ascii_lowercase());

    let narrow = format!("{RESOURCE}/vso.code");
    let cc = |scope: String, secret: Option<String>| {
        let app = &app;
        let client = &client;
        let tid = tid.clone();
        async move {
            let mut fields = vec![
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("client_id".to_owned(), client.app_id.clone()),
                ("scope".to_owned(), scope),
            ];
            if let Some(secret) = secret {
                fields.push(("client_secret".to_owned(), secret));
            }
            token(
                app,
                &tid,
                &fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await
        }
    };
    let r = cc(narrow, Some(client.secret.clone())).await;
    assert_aadsts(r, StatusCode::BAD_REQUEST, 70011).await;
    let r = cc(default.clone(), None).await;
    assert_aadsts(r, StatusCode::UNAUTHORIZED, 7000218).await;
    let r = cc(default.clone(), Some("not-the-secret".into())).await;
    assert_aadsts(r, StatusCode::UNAUTHORIZED, 7000215).await;
    let r = token(
        &app,
        &tid,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "00000000-0000-4000-8000-000000000000"),
            ("client_secret", "x"),
            ("scope", default.as_str()),
        ],
    )
    .await;
    assert_aadsts(r, StatusCode::UNAUTHORIZED, 700016).await;
    let r = token(
        &app,
        "nope.example",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_aadsts(r, StatusCode::BAD_REQUEST, 90002).await;
}

#[tokio::test]
async fn a_public_client_sending_a_secret_is_refused_with_700025() {
    let (app, _, user) = signed_in().await;
    let public = app.register_public_client(&user, LOOPBACK).await;
    let r = token(
        &app,
        "organizations",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &public),
            ("client_secret", "s"),
            ("code", "c"),
        ],
    )
    .await;
    assert_aadsts(r, StatusCode::UNAUTHORIZED, 700025).await;
}

#[tokio::test]
async fn authorize_errors_are_pages_for_unknown_apps_and_redirects_otherwise() {
    let (app, client, _) = signed_in().await;
    let asked = scope(&["vso.profile"], "openid");
    let unknown = TestClient {
        app_id: "00000000-0000-4000-8000-000000000000".into(),
        secret: String::new(),
    };
    let r = app
        .get(&format!(
            "/organizations/oauth2/v2.0/authorize?{}",
            authorize_query(&unknown, &asked)
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("AADSTS700016"));
    let wrong_redirect =
        authorize_query(&client, &asked).replace(&enc(CALLBACK), &enc("https://evil.example/cb"));
    let r = app
        .get(&format!(
            "/organizations/oauth2/v2.0/authorize?{wrong_redirect}"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("AADSTS50011"));
    let r = app
        .get(&format!(
            "/nope.example/oauth2/v2.0/authorize?{}",
            authorize_query(&client, &asked)
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("AADSTS90002"));

    // A scope the app did not register goes back to the app, in Entra's words.
    let r = app
        .get(&format!(
            "/organizations/oauth2/v2.0/authorize?{}",
            authorize_query(&client, &scope(&["vso.agentpools_manage"], ""))
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert_eq!(query_param(&to, "error").as_deref(), Some("invalid_scope"));
    assert!(query_param(&to, "error_description")
        .unwrap()
        .starts_with("AADSTS70011: "));
    assert_eq!(query_param(&to, "state").as_deref(), Some("s1"));

    // The user declines.
    let r = consent(
        &app,
        "/organizations/oauth2/v2.0/authorize",
        &authorize_query(&client, &asked),
        "deny",
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert_eq!(query_param(&to, "error").as_deref(), Some("access_denied"));
    assert!(query_param(&to, "error_description")
        .unwrap()
        .starts_with("AADSTS65004: "));
}

#[tokio::test]
async fn the_v1_endpoints_take_a_resource_and_answer_with_strings() {
    let (app, client, _) = signed_in().await;
    let query = format!(
        "client_id={}&response_type=code&redirect_uri={}&resource={RESOURCE}&state=s1&\
         code_challenge={CHALLENGE}&code_challenge_method=S256",
        client.app_id,
        enc(CALLBACK)
    );
    let r = consent(&app, "/common/oauth2/authorize", &query, "accept").await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let code = query_param(&location(&r), "code").unwrap();
    let r = app
        .client
        .post(app.url("/common/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client.app_id.as_str()),
            ("client_secret", client.secret.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("resource", RESOURCE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(body["expires_in"].is_string(), "{body}");
    assert_eq!(body["resource"], RESOURCE);
    // The registered scopes, as `resource` alone asks.
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        access["scp"],
        "vso.build vso.code vso.profile vso.project vso.work_write"
    );
}

#[tokio::test]
async fn the_device_code_flow_answers_in_entra_shape_and_ends_with_tokens_once() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let public = app.register_public_client(&ana, LOOPBACK).await;
    let asked = scope(&["vso.profile"], "offline_access openid profile");
    let r = app
        .client
        .post(app.url("/organizations/oauth2/v2.0/devicecode"))
        .form(&[("client_id", public.as_str()), ("scope", asked.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let started: Value = r.json().await.unwrap();
    let user_code = started["user_code"].as_str().unwrap().to_owned();
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    assert!(started["message"].as_str().unwrap().contains(&user_code));
    assert!(started.get("verification_uri_complete").is_none());
    assert_eq!(started["interval"], 5);

    // msal-node's spelling of the grant; pending until the user approves.
    let poll = |grant: &'static str| {
        let app = &app;
        let public = public.clone();
        let device_code = device_code.clone();
        async move {
            token(
                app,
                "organizations",
                &[
                    ("grant_type", grant),
                    ("client_id", public.as_str()),
                    ("device_code", device_code.as_str()),
                    ("code", device_code.as_str()),
                    ("client_info", "1"),
                ],
            )
            .await
        }
    };
    let body = assert_aadsts(poll("device_code").await, StatusCode::BAD_REQUEST, 70016).await;
    assert_eq!(body["error"], "authorization_pending");
    let done = app.decide_device(&user_code, "accept").await;
    assert_eq!(done.status(), StatusCode::OK);
    app.clock.advance(6);
    // MSAL Python's spelling, with the stray `code` beside `device_code`.
    let r = poll("urn:ietf:params:oauth:grant-type:device_code").await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: Value = r.json().await.unwrap();
    assert!(tokens["refresh_token"].is_string());
    assert!(tokens["client_info"].is_string());
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], public.as_str());
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["appidacr"], "0");
    app.clock.advance(6);
    let again = poll("device_code").await;
    assert_aadsts(again, StatusCode::BAD_REQUEST, 70018).await;
}

#[tokio::test]
async fn user_impersonation_is_the_users_full_access_and_revocation_ends_it() {
    let (app, client, _) = signed_in().await;
    let asked = scope(&["user_impersonation"], "");
    let code = entra_code(&app, &client, &asked).await;
    let r = redeem(&app, &client, &code, &asked).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["scope"], format!("{RESOURCE}/user_impersonation"));
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&access)["scp"], "user_impersonation");
    let me = || {
        app.client
            .get(app.url("/_apis/profile/profiles/me"))
            .bearer_auth(&access)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    // The grant is on the user's authorizations page, and revoking it there ends the token.
    let page = app
        .get("/profile/authorizations")
        .await
        .text()
        .await
        .unwrap();
    let app_id = client.app_id.to_lowercase();
    assert!(page.contains(&app_id));
    let r = app
        .post_form(
            "/profile/authorizations/revoke",
            &[("csrf", &csrf_in(&page)), ("app_id", &app_id)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // The revocation reaches this node's snapshot at once (the server applies its own changes).
    let mut status = StatusCode::OK;
    for _ in 0..50 {
        status = me().await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
