//! The sample command-line tool against a real Keygate (in this process): it prints the code and
//! the URL, a person approves on /device through its HTML forms, and the tool prints who signed
//! in and their organization.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use std::process::Stdio;
use std::time::Duration;

use keygate_core::apps::Registration;
use keygate_core::model::ClientKind;
use keygate_testkit::in_process::{register, seed_project, InProcess, Person};
use keygate_testkit::{browser, csrf, hidden_fields, sign_in, CALLBACK, ORG};
use tokio::io::{AsyncBufReadExt, BufReader};

const EMAIL: &str = "ana@example.com";
const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_prints_a_code_waits_for_approval_and_calls_the_api() {
    let server = InProcess::start().await;
    let person = Person {
        email: EMAIL,
        name: "Ana Lima",
        password: PASSWORD,
    };
    let (user, _) = seed_project(server.kg(), person, "The project").await;
    let (app_id, _) = register(
        server.kg(),
        user.id,
        ClientKind::Public,
        Registration {
            company_name: "Fabrikam".into(),
            name: "Fabrikam CLI".into(),
            website: "https://fabrikam.example".into(),
            callback_url: CALLBACK.into(),
            scopes: "vso.profile".into(),
            ..Default::default()
        },
    )
    .await;

    let mut tool = tokio::process::Command::new(env!("CARGO_BIN_EXE_keygate-device-cli"))
        .args(["--keygate-url", &server.base, "--app-id", &app_id])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(tool.stdout.take().unwrap()).lines();
    let first = lines
        .next_line()
        .await
        .unwrap()
        .expect("the tool printed nothing");
    let (url, code) = first
        .strip_prefix("To sign in, open ")
        .and_then(|rest| rest.split_once(" and enter the code "))
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    assert_eq!(url, format!("{}/device", server.base));

    let person = browser();
    sign_in(&person, &server.base, EMAIL, PASSWORD).await;
    let token = csrf(&person, url).await;
    let consent = person
        .post(url)
        .form(&[("csrf", token.as_str()), ("user_code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200);
    let mut fields = hidden_fields(&consent.text().await.unwrap());
    fields.push(("decision".into(), "accept".into()));
    let done = person
        .post(format!("{url}/decide"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);

    let mut printed = Vec::new();
    let rest = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push(line);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), rest)
        .await
        .expect("the tool did not finish");
    let status = tool.wait().await.unwrap();
    assert!(status.success(), "{printed:?}");
    assert!(
        printed.contains(&format!("Signed in as Ana Lima <{EMAIL}>.")),
        "{printed:?}"
    );
    assert!(
        printed.contains(&format!("Organization: {ORG}")),
        "{printed:?}"
    );
}
