//! Property tests for the form and query parsers, alone and behind the real endpoints: the token
//! form and the authorize query never make the server fault, and authorize never redirects
//! anywhere but to sign-in or the registered callback (the cargo-fuzz targets under `fuzz/`
//! drive the same paths with arbitrary bytes).

use keygate_server::forms::FormFields;
use proptest::prelude::*;
use reqwest::StatusCode;

use super::helpers::{enc, TestApp, CALLBACK};

/// A form value: anything printable, with the characters that need encoding well represented.
fn value() -> impl Strategy<Value = String> {
    "[ -~&=+%#?é]{0,24}"
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #[test]
    fn an_encoded_form_parses_back_with_the_first_of_repeated_keys(
        pairs in proptest::collection::vec(("[a-z_]{1,6}", value()), 0..8),
    ) {
        let body = pairs
            .iter()
            .fold(form_urlencoded::Serializer::new(String::new()), |mut s, (k, v)| {
                s.append_pair(k, v);
                s
            })
            .finish();
        let form = FormFields::parse(body.as_bytes());
        for (k, _) in &pairs {
            let first = pairs.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str());
            prop_assert_eq!(form.get(k), first);
            let all: Vec<String> = pairs.iter().filter(|(k2, _)| k2 == k).map(|(_, v)| v.clone()).collect();
            prop_assert_eq!(FormFields::all(body.as_bytes(), k), all);
        }
    }

    #[test]
    fn arbitrary_bytes_parse_as_a_form_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let form = FormFields::parse(&bytes);
        let _ = form.get("grant_type");
    }
}

#[test]
fn no_authorize_query_redirects_off_site_or_faults_the_server() {
    let rt = runtime();
    let (app, client) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let user = app.create_user("ana@example.com").await;
        let client = app.register_client(&user).await;
        app.sign_in("ana@example.com").await;
        (app, client)
    });
    let client_ids = vec![
        client.app_id.clone(),
        client.app_id.to_lowercase(),
        String::new(),
        "not-a-guid".into(),
        "00000000-0000-0000-0000-000000000000".into(),
    ];
    let redirects = vec![
        CALLBACK.to_owned(),
        format!("{CALLBACK}/"),
        "https://evil.example/cb".into(),
        "//evil.example".into(),
        "javascript:alert(1)".into(),
        String::new(),
    ];
    let config = ProptestConfig::with_cases(48);
    proptest!(config, |(
        client_id in proptest::sample::select(client_ids),
        redirect_uri in proptest::sample::select(redirects),
        response_type in proptest::sample::select(vec!["Assertion", "code", "token", ""]),
        scope in "[a-z._ +]{0,40}",
        state in value(),
        challenge in "[A-Za-z0-9_-]{0,60}",
    )| {
        let query = format!(
            "client_id={}&response_type={response_type}&scope={}&redirect_uri={}&state={}&code_challenge={challenge}&code_challenge_method=S256",
            enc(&client_id), enc(&scope), enc(&redirect_uri), enc(&state)
        );
        let r = rt.block_on(app.get_authorize(&query));
        prop_assert!(!r.status().is_server_error(), "{}", r.status());
        if let Some(location) = r.headers().get("location") {
            let location = location.to_str().unwrap();
            let same_origin = location.starts_with('/') && !location.starts_with("//");
            prop_assert!(same_origin || location.starts_with(CALLBACK), "redirect to {}", location);
        }
    });
}

#[test]
fn no_token_form_faults_the_server() {
    let rt = runtime();
    let (app, client) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let user = app.create_user("ana@example.com").await;
        let client = app.register_client(&user).await;
        (app, client)
    });
    let secrets = vec![
        client.secret.clone(),
        "x.y.z".into(),
        String::new(),
        client.app_id.clone(),
    ];
    let config = ProptestConfig::with_cases(48);
    proptest!(config, |(
        grant_type in proptest::sample::select(vec![
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "refresh_token",
            "authorization_code",
            "client_credentials",
            "",
        ]),
        secret in proptest::sample::select(secrets),
        assertion in value(),
        redirect_uri in proptest::sample::select(vec![CALLBACK, "", "https://evil.example"]),
        extra in ("[a-z_]{1,12}", value()),
    )| {
        let r = rt.block_on(app.post_token(&[
            ("client_assertion", secret.as_str()),
            ("grant_type", grant_type),
            ("assertion", assertion.as_str()),
            ("redirect_uri", redirect_uri),
            (extra.0.as_str(), extra.1.as_str()),
        ]));
        prop_assert!(!r.status().is_server_error(), "{}", r.status());
        prop_assert_ne!(r.status(), StatusCode::OK);
    });
}
