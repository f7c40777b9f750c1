//! `keygate db copy` moves a live deployment between databases, both ways round: every row of
//! every table arrives unchanged (compared through the stores' own exports), and credentials
//! issued before the copy keep working against the copy — the refresh token, the access token
//! (same signing key), the browser session, both client secrets in their slots, the admin token
//! — while what was revoked stays revoked, and the audit log comes along. No plaintext credential
//! is ever in the dump.
//!
//! SQLite to SQLite always runs; the PostgreSQL round trips run when `KEYGATE_TEST_POSTGRES_URL`
//! names a server (each on fresh databases, dropped afterwards) and are skipped otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};

use keygate_core::dump::Dump;
use keygate_core::ids::{HookSubscriptionId, ProjectId};
use keygate_core::model::{
    Build, HookEventDraft, HookEventType, HookStatus, HookSubscription, NewAuditEvent, SecretSlot,
    UsedClientAssertion, WorkItem,
};
use keygate_core::secrets::TokenHash;
use keygate_core::Store;
use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_store_postgres::PgStore;
use keygate_store_sqlite::SqliteStore;
use keygate_testkit::{
    authorize, browser, csrf, exchange, refresh, sign_in, status, tokens, Cli, Server, EMAIL, ME,
    ORG, PASSWORD, SCOPES,
};
use reqwest::{Client, StatusCode};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");

/// What a client and a browser hold after real traffic on a deployment.
struct Held {
    browser: Client,
    secret: String,
    alternative: String,
    admin_token: String,
    revoked_admin_token: String,
    refresh_token: String,
    access: String,
    revoked_access: String,
}

/// Opens the store at `url` in this process.
async fn open(url: &str) -> Box<dyn Store> {
    if url.starts_with("sqlite:") {
        Box::new(SqliteStore::connect(url).await.unwrap())
    } else {
        Box::new(PgStore::connect(url).await.unwrap())
    }
}

async fn export(url: &str) -> Dump {
    open(url).await.export_dump().await.unwrap()
}

/// Real traffic on `db` through a node (sign-in, consent, exchange, rotation, a revocation, a
/// policy change, an alternative secret, a live and a revoked admin token, a pending device
/// code), then, through the
/// store, a build, a work item, a failed sign-in and an audit event, so that every table holds rows.
async fn live_deployment(db: &str, config: Option<&Path>) -> Held {
    let cli = match config {
        Some(file) => Cli::new(KEYGATE, db).with_config(file),
        None => Cli::new(KEYGATE, db),
    };
    cli.seed();
    let (app_id, secret) = cli.new_app("Kept", SCOPES);
    let alternative = cli.json(&["app", "regenerate-secret", &app_id, "--alternative"]);
    let alternative = alternative["client_secret"].as_str().unwrap().to_owned();
    let (revoked_app, revoked_secret) = cli.new_app("Revoked", SCOPES);
    let admin_token = cli.json(&["admin-token", "create", "--name", "deploy"])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let retired = cli.json(&["admin-token", "create", "--name", "retired"]);
    cli.json(&["admin-token", "revoke", retired["id"].as_str().unwrap()]);
    let revoked_admin_token = retired["token"].as_str().unwrap().to_owned();
    // A certificate on the app (private_key_jwt), and the app as a member of the organization.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["kept-app".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = std::env::temp_dir().join(format!("keygate-db-copy-{app_id}.pem"));
    std::fs::write(&pem, cert.pem()).unwrap();
    cli.json(&[
        "app",
        "certificate",
        "add",
        &app_id,
        "--pem",
        pem.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&pem);
    cli.json(&["org", "add-app", ORG, &app_id]);
    let node = Server::start(KEYGATE, db, &config_args(config)).await;
    let browser = browser();
    sign_in(&browser, &node.base, EMAIL, PASSWORD).await;

    let code = authorize(&browser, &node.base, &revoked_app, SCOPES).await;
    let (revoked_access, _) =
        tokens(exchange(&Client::new(), &node.base, &revoked_secret, &code).await).await;
    let token = csrf(&browser, &node.url("/profile/authorizations")).await;
    let r = browser
        .post(node.url("/profile/authorizations/revoke"))
        .form(&[("csrf", token.as_str()), ("app_id", revoked_app.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    cli.json(&["org", "policy", ORG, "--third-party-oauth", "allow"]);

    let code = authorize(&browser, &node.base, &app_id, SCOPES).await;
    let (_, first) = tokens(exchange(&Client::new(), &node.base, &secret, &code).await).await;
    let (access, refresh_token) =
        tokens(refresh(&Client::new(), &node.base, &secret, &first).await).await;
    // A device waiting for its user to approve it: a device code.
    let r = Client::new()
        .post(node.url("/oauth2/devicecode"))
        .basic_auth(&app_id, Some(&secret))
        .form(&[("scope", "vso.profile")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The node learns of its own revocation from the change feed, within a poll interval.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while status(&node.base, ME, &revoked_access).await != StatusCode::UNAUTHORIZED {
        assert!(
            std::time::Instant::now() < deadline,
            "the revocation never took"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(node);

    let store = open(db).await;
    let org = store.org_by_name(ORG).await.unwrap().unwrap();
    let project = store.projects_of_org(org.id).await.unwrap().remove(0);
    let user = store.user_by_email(EMAIL).await.unwrap().unwrap();
    store.queue_build(build(project.id, user.id)).await.unwrap();
    // A service hook, so the work item below queues an event in the outbox.
    let subscription = HookSubscription {
        id: HookSubscriptionId::new_random(),
        org_id: org.id,
        event_type: HookEventType::WorkItemCreated,
        project_id: Some(project.id),
        consumer_url: "https://hooks.example.com/in".into(),
        http_headers: String::new(),
        status: HookStatus::Enabled,
        created_by: user.id,
        created_at: 1_700_000_000,
        modified_at: 1_700_000_000,
        failure_count: 0,
        last_error: None,
        last_error_at: None,
    };
    store
        .create_hook_subscription(&subscription, hook_audit())
        .await
        .unwrap();
    let change = HookEventDraft {
        event_id: "the copied event".into(),
        at: 1_700_000_000,
    };
    store
        .create_work_item(
            WorkItem {
                id: 0,
                project_id: project.id,
                rev: 1,
                work_item_type: "Task".into(),
                fields_json: r#"{"System.Title":"Move to PostgreSQL"}"#.into(),
                created_by: user.id,
                created_at: 1_700_000_000,
            },
            &change,
        )
        .await
        .unwrap();
    // Disabled, so the servers this test starts on the copies leave its queued event alone
    // (they would try to deliver it and change the row).
    store
        .replace_hook_subscription(
            &HookSubscription {
                status: HookStatus::DisabledBySystem,
                ..subscription
            },
            hook_audit(),
        )
        .await
        .unwrap();
    store
        .record_sign_in_failure(
            "mallory@example.com",
            "203.0.113.9",
            1_700_000_000,
            NewAuditEvent {
                at: 1_700_000_000,
                kind: keygate_core::model::AuditKind::SignInFailed,
                actor: keygate_core::model::Actor::Anonymous,
                target: "unknown".into(),
                app_id: None,
                org_id: None,
                client_addr: None,
                detail: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .record_audit_event(NewAuditEvent {
            at: 1_700_000_000,
            kind: keygate_core::model::AuditKind::PolicyChanged,
            actor: keygate_core::model::Actor::Cli,
            target: format!("org:{}", org.id),
            app_id: None,
            org_id: Some(org.id),
            client_addr: None,
            detail: "allow".into(),
        })
        .await
        .unwrap();
    let kept_app: keygate_core::ids::AppId = app_id.parse().unwrap();
    assert!(store
        .use_client_assertion(
            UsedClientAssertion {
                app_id: kept_app,
                jti_hash: TokenHash::of("a client assertion's jti"),
                expires_at: 4_000_000_000,
            },
            1_700_000_000,
        )
        .await
        .unwrap());
    let dump = store.export_dump().await.unwrap();
    for (table, rows) in dump.counts() {
        assert!(rows > 0, "the deployment has no {table}");
    }
    let slots: Vec<SecretSlot> = dump.client_secrets.iter().map(|s| s.slot).collect();
    assert!(slots.contains(&SecretSlot::Alternative) && slots.contains(&SecretSlot::Primary));
    assert!(dump
        .admin_tokens
        .iter()
        .any(|t| t.token.revoked_at.is_some()));
    assert!(dump.audit_events.iter().any(|e| e.org_id.is_some()));
    Held {
        browser,
        secret,
        alternative,
        admin_token,
        revoked_admin_token,
        refresh_token,
        access,
        revoked_access,
    }
}

fn build(project: ProjectId, user: keygate_core::ids::UserId) -> Build {
    Build {
        id: 0,
        project_id: project,
        build_number: "20261125.1".into(),
        definition_name: "CI".into(),
        status: "completed".into(),
        result: "succeeded".into(),
        source_branch: "refs/heads/main".into(),
        requested_for: user,
        queue_time: 1_700_000_000,
    }
}

/// A config file naming one master key for every process of a test whose databases include
/// PostgreSQL (which has no key file beside it).
fn master_key_config(dir: &Path) -> PathBuf {
    let key = dir.join("master.key");
    std::fs::write(&key, [42u8; 32]).unwrap();
    let config = dir.join("keygate.toml");
    std::fs::write(
        &config,
        format!("master_key_file = {:?}\n", key.display().to_string()),
    )
    .unwrap();
    config
}

/// The server arguments that give it `config`.
fn config_args(config: Option<&Path>) -> Vec<&str> {
    match config.and_then(Path::to_str) {
        Some(file) => vec!["--config", file],
        None => vec![],
    }
}

/// Runs `keygate db copy`; its JSON report on success, its error output on failure.
fn db_copy(from: &str, to: &str) -> Result<serde_json::Value, String> {
    let out = keygate_testkit::process::command(KEYGATE)
        .args(["db", "copy", "--from", from, "--to", to, "--json"])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Copies `from` into `to`, checks the copy reads back as the source, and that a node on the
/// copy honours what was held before it.
async fn copy_and_check(from: &str, to: &str, held: &Held, config: Option<&Path>) {
    let before = export(from).await;
    let report = db_copy(from, to).unwrap();
    assert_eq!(report["rows"], before.row_count());
    assert_eq!(export(to).await, before, "the copy differs from its source");
    let text = format!("{before:?}");
    for held in [
        &held.secret,
        &held.alternative,
        &held.refresh_token,
        &held.admin_token,
        &held.revoked_admin_token,
    ] {
        assert!(
            !text.contains(held.as_str()),
            "a plaintext credential is in the dump"
        );
    }
    operations_survive(to, held).await;
    assert!(
        db_copy(from, to).unwrap_err().contains("not empty"),
        "a second copy into the same database is refused"
    );

    let node = Server::start(KEYGATE, to, &config_args(config)).await;
    assert_eq!(status(&node.base, ME, &held.access).await, StatusCode::OK);
    assert_eq!(
        status(&node.base, ME, &held.revoked_access).await,
        StatusCode::UNAUTHORIZED
    );
    let r = held
        .browser
        .get(node.url("/profile/view"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the session survived the copy");
    // Refreshing on the copy would spend the token held for the next leg; check the held one is
    // still the live end of its chain instead.
    let live = open(to)
        .await
        .refresh_by_hash(keygate_core::secrets::TokenHash::of(&held.refresh_token))
        .await
        .unwrap()
        .expect("the refresh token was copied");
    assert_eq!(live.used_at, None);
    assert_eq!(live.revoked_at, None);
}

/// Both client secrets verify on the copy, each in its own slot; the live admin token verifies and
/// the revoked one stays revoked. Read through the store, so the copy stays equal to its source.
async fn operations_survive(to: &str, held: &Held) {
    let store = open(to).await;
    let mut slots = Vec::new();
    for (secret, slot) in [
        (&held.secret, SecretSlot::Primary),
        (&held.alternative, SecretSlot::Alternative),
    ] {
        let version = store
            .client_secret_by_hash(TokenHash::of(secret))
            .await
            .unwrap()
            .expect("the secret verifies on the copy");
        slots.push((slot, version));
    }
    let listed: Vec<_> = store
        .client_secrets_of_app(slots[0].1.app_id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.slot, s.secret))
        .collect();
    assert_eq!(listed, slots, "each secret kept its slot");
    assert!(store
        .admin_token_by_hash(TokenHash::of(&held.admin_token))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .admin_token_by_hash(TokenHash::of(&held.revoked_admin_token))
            .await
            .unwrap(),
        None,
        "a revoked admin token stays revoked"
    );
}

/// Spends the held refresh token on a node over `db`: it must still work.
async fn refresh_works_on(db: &str, held: &Held, config: Option<&Path>) {
    let node = Server::start(KEYGATE, db, &config_args(config)).await;
    let (access, _) = tokens(
        refresh(
            &Client::new(),
            &node.base,
            &held.secret,
            &held.refresh_token,
        )
        .await,
    )
    .await;
    assert_eq!(status(&node.base, ME, &access).await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copying_between_sqlite_files_keeps_every_row_and_live_credential() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("sqlite://{}", dir.path().join("first.db").display());
    let second = format!("sqlite://{}", dir.path().join("second.db").display());
    // No master key configured: each SQLite file has one beside it, which the copy carries.
    let held = live_deployment(&first, None).await;
    copy_and_check(&first, &second, &held, None).await;
    assert!(dir.path().join("second.db.master-key").exists());
    refresh_works_on(&second, &held, None).await;
    let missing = format!("sqlite://{}", dir.path().join("typo.db").display());
    assert!(db_copy(&missing, &second)
        .unwrap_err()
        .contains("does not exist"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copying_sqlite_to_postgres_and_back_keeps_every_row_and_live_credential() {
    let Some(pg) = ScratchDatabase::from_env().await.expect("scratch database") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let back = format!("sqlite://{}", dir.path().join("back.db").display());
    let config = master_key_config(dir.path());
    let config = Some(config.as_path());
    let held = live_deployment(&sqlite, config).await;
    copy_and_check(&sqlite, pg.url(), &held, config).await;
    copy_and_check(pg.url(), &back, &held, config).await;
    assert_eq!(
        export(&back).await,
        export(&sqlite).await,
        "the round trip changed a row"
    );
    refresh_works_on(pg.url(), &held, config).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copying_postgres_to_sqlite_and_back_keeps_every_row_and_live_credential() {
    let Some(pg) = ScratchDatabase::from_env().await.expect("scratch database") else {
        return;
    };
    let back = ScratchDatabase::from_env().await.unwrap().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let config = master_key_config(dir.path());
    let config = Some(config.as_path());
    let held = live_deployment(pg.url(), config).await;
    copy_and_check(pg.url(), &sqlite, &held, config).await;
    copy_and_check(&sqlite, back.url(), &held, config).await;
    assert_eq!(
        export(back.url()).await,
        export(pg.url()).await,
        "the round trip changed a row"
    );
    refresh_works_on(back.url(), &held, config).await;
}

/// The audit event the service hook writes of this test record.
fn hook_audit() -> NewAuditEvent {
    NewAuditEvent {
        at: 1_700_000_000,
        kind: keygate_core::model::AuditKind::HookSubscriptionCreated,
        actor: keygate_core::model::Actor::Cli,
        target: "hook-subscription".into(),
        app_id: None,
        org_id: None,
        client_addr: None,
        detail: String::new(),
    }
}
