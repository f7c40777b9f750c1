//! A real Keygate in-process on port 0 over a fresh SQLite file, seeded with a user, an
//! organization, a project with a build and a work item, and a registered app; plus a
//! cookie-keeping "browser" that signs in and answers the consent page.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use keygate_client::{AuthorizeRequest, ClientConfig, OAuthClient};
use keygate_core::apps::Registration;
use keygate_core::model::{ClientKind, NewWorkItem};
use keygate_testkit::in_process::{register, seed_project, InProcess, Person};
pub(crate) use keygate_testkit::{CALLBACK, ORG, PROJECT};

pub(crate) const EMAIL: &str = "ana@example.com";
pub(crate) const PASSWORD: &str = "correct horse battery";
pub(crate) const SCOPES: &str = "vso.profile vso.project vso.build_execute vso.code vso.work_write";

pub(crate) struct Keygate {
    pub base: String,
    server: InProcess,
    pub app_id: String,
    pub client_secret: String,
    pub work_item: i64,
    browser: reqwest::Client,
}

impl Keygate {
    pub(crate) async fn start() -> Self {
        let server = InProcess::start().await;
        let (app_id, client_secret, work_item) = seed(&server).await;
        Self {
            base: server.base.clone(),
            server,
            app_id,
            client_secret,
            work_item,
            browser: keygate_testkit::browser(),
        }
    }

    pub(crate) fn config(&self) -> ClientConfig {
        ClientConfig::keygate(&self.base, &self.app_id, &self.client_secret, CALLBACK)
            .unwrap()
            .with_scopes(SCOPES)
    }

    /// Registers a public app (no secret) with the same callback; returns its App ID.
    pub(crate) async fn register_public_app(&self) -> String {
        let kg = self.server.kg();
        let owner = keygate_core::accounts::find_user(kg.data(), EMAIL)
            .await
            .unwrap()
            .unwrap();
        register(kg, owner.id, ClientKind::Public, app("Fiber for phones"))
            .await
            .0
    }

    pub(crate) fn client(&self) -> OAuthClient {
        OAuthClient::new(self.config()).unwrap()
    }

    /// What a person does in the browser: sign in (once), open the authorize URL, press
    /// `decision` ("accept" or "deny"). Returns the query string the callback receives.
    pub(crate) async fn consent(&self, request: &AuthorizeRequest, decision: &str) -> String {
        let page = self.browser.get(request.url.clone()).send().await.unwrap();
        let page = if page.status().is_redirection() {
            keygate_testkit::sign_in(&self.browser, &self.base, EMAIL, PASSWORD).await;
            self.browser.get(request.url.clone()).send().await.unwrap()
        } else {
            page
        };
        assert_eq!(page.status(), 200, "the consent page is shown");
        let html = page.text().await.unwrap();
        let answer =
            keygate_testkit::flows::answer_consent(&self.browser, &self.base, &html, decision)
                .await;
        assert_eq!(answer.status(), 302);
        let location = answer.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(CALLBACK), "{location}");
        location.split_once('?').unwrap().1.to_owned()
    }
}

impl Keygate {
    /// What a person does on `/device`: sign in (once), type `user_code`, press `decision`
    /// ("accept" or "deny") on the consent page. Returns the final page.
    pub(crate) async fn answer_device(&self, user_code: &str, decision: &str) -> String {
        let page = self
            .browser
            .get(format!("{}/device", self.base))
            .send()
            .await
            .unwrap();
        if page.status().is_redirection() {
            keygate_testkit::sign_in(&self.browser, &self.base, EMAIL, PASSWORD).await;
        }
        let csrf = keygate_testkit::csrf(&self.browser, &format!("{}/device", self.base)).await;
        let consent = self
            .browser
            .post(format!("{}/device", self.base))
            .form(&[("csrf", csrf.as_str()), ("user_code", user_code)])
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status(), 200, "the device consent page is shown");
        let mut fields = keygate_testkit::html::hidden_fields(&consent.text().await.unwrap());
        fields.push(("decision".into(), decision.into()));
        let done = self
            .browser
            .post(format!("{}/device/decide", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
        done.text().await.unwrap()
    }
}

/// An app of Fabrikam's calling back to [`CALLBACK`] with [`SCOPES`].
fn app(name: &str) -> Registration {
    Registration {
        company_name: "Fabrikam".into(),
        name: name.into(),
        website: "https://fabrikam.example".into(),
        callback_url: CALLBACK.into(),
        scopes: SCOPES.into(),
        ..Default::default()
    }
}

async fn seed(server: &InProcess) -> (String, String, i64) {
    let kg = server.kg();
    let person = Person {
        email: EMAIL,
        name: "Ana Lima",
        password: PASSWORD,
    };
    let (user, project) = seed_project(kg, person, "The project").await;
    let item = keygate_core::work_items::record_work_item(
        kg,
        NewWorkItem {
            id: 0,
            project_id: project.id,
            rev: 1,
            work_item_type: "Task".into(),
            fields_json: r#"{"System.Title":"Seeded task"}"#.into(),
            created_by: user.id,
            created_at: kg.clock.now(),
        },
    )
    .await
    .unwrap();
    let (app_id, secret) = register(kg, user.id, ClientKind::Confidential, app("Fiber")).await;
    (app_id, secret.unwrap(), item.id)
}
