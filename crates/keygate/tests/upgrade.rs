//! Upgrades lose nothing: every fixture under `tests/fixtures/upgrade/` is a deployment written
//! by an older release (made by `scripts/make-upgrade-fixture.sh`, kept as SQL text, with the master
//! key its SQLite deployment sealed its signing keys with, for releases that made one). Each is
//! restored into a fresh database and served by this build, which must take it as it is (its
//! recorded migrations with their checksums, applying only newer ones) and honour everything it
//! held: the user signs in with the old password, the old client secrets (primary and
//! alternative), refresh tokens (Azure and standard flavour), access tokens and admin token
//! work, the revoked token stays refused, the organizations keep their projects and policies,
//! and the audit log still lists the old events.
//!
//! SQLite always runs; PostgreSQL runs when `KEYGATE_TEST_POSTGRES_URL` names a server (on a
//! scratch database per fixture) and is skipped otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use keygate_store_postgres::scratch::ScratchDatabase;
use keygate_testkit::upgrade::{Deployment, Fixture};
use keygate_testkit::{
    authorize, azure_token_request, browser, exchange, sign_in, sqlite_url, standard_token_request,
    status, tokens, Cli, Server, ME,
};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::{ConnectOptions, Connection};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");

/// Every fixture directory, oldest release first (by name; each names its release).
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no upgrade fixture in {}", root.display());
    dirs
}

fn credentials(dir: &Path) -> Fixture {
    serde_json::from_str(&std::fs::read_to_string(dir.join("credentials.json")).unwrap()).unwrap()
}

/// The SQL of a `pg_dump` without its psql meta-commands: `\restrict`/`\unrestrict` (newer
/// pg_dump releases fence their output with them) are for psql only. Any other meta-command
/// would mean the dump needs psql to restore, which the fixture must not.
fn without_psql_meta_commands(dump: &str) -> String {
    dump.lines()
        .filter(|line| {
            if !line.starts_with('\\') {
                return true;
            }
            assert!(
                line.starts_with("\\restrict ") || line.starts_with("\\unrestrict "),
                "the dump needs psql to restore: {line}"
            );
            false
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A new SQLite file holding `dir/sqlite.sql`.
async fn restore_sqlite(dir: &Path, into: &Path) {
    let sql = std::fs::read_to_string(dir.join("sqlite.sql")).unwrap();
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(into)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// Puts the master key the fixture's deployment sealed its signing keys with (if that release
/// made one) beside `db`, where that deployment kept it, owner-only as keygate made it.
fn put_back_master_key(dir: &Path, db: &Path) {
    let kept = dir.join("sqlite-master-key.txt");
    if !kept.exists() {
        return;
    }
    let mut beside = db.as_os_str().to_owned();
    beside.push(".master-key");
    std::fs::copy(&kept, &beside).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&beside, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The stored private key material of every signing key in the SQLite file `db`.
async fn stored_private_keys(db: &Path) -> Vec<Vec<u8>> {
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .connect()
        .await
        .unwrap();
    sqlx::query_scalar("SELECT private_der FROM signing_keys")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// `dir/postgres.sql` restored into the empty database `url`.
async fn restore_postgres(dir: &Path, url: &str) {
    let sql =
        without_psql_meta_commands(&std::fs::read_to_string(dir.join("postgres.sql")).unwrap());
    let mut conn = sqlx::postgres::PgConnectOptions::from_str(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// What the audit log says of each event, in fields every release prints.
fn audit_summary(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            serde_json::json!({
                "at": e["at"], "kind": e["kind"], "actor": e["actor"],
                "target": e["target"], "detail": e["detail"],
            })
        })
        .collect()
}

/// The GET of `path` with the bearer `token` at `base`: status and JSON body.
async fn get_json(base: &str, path: &str, token: &str) -> (StatusCode, Value) {
    let r = Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// This build serves the restored deployment `old` at `database_url` as the release left it.
async fn serves_the_old_deployment(dir: &Path, database_url: &str, old: &Deployment) {
    let config = dir.join("keygate.toml");
    let cli = Cli::new(KEYGATE, database_url).with_config(&config);
    // First, before anything new is written: the audit log as the release printed it.
    let audit = cli.json(&["audit", "list", "--limit", "1000"]);
    assert_eq!(
        audit_summary(audit.as_array().unwrap()),
        audit_summary(&old.audit),
        "the audit log changed"
    );

    let server = Server::start(
        KEYGATE,
        database_url,
        &["--config", config.to_str().unwrap()],
    )
    .await;
    let base = server.base.as_str();

    // Old access tokens: the live one answers, the revoked one stays refused.
    let (s, me) = get_json(base, ME, &old.access_token).await;
    assert_eq!(s, StatusCode::OK, "the old access token is refused");
    assert_eq!(me["emailAddress"], old.email.as_str());
    assert_eq!(
        status(base, ME, &old.revoked_access_token).await,
        StatusCode::UNAUTHORIZED,
        "a revoked token came back to life"
    );

    // The organizations: the project is there, and each kept its third-party OAuth policy.
    let (s, projects) = get_json(
        base,
        &format!("/{}/_apis/projects", old.org),
        &old.access_token,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(projects["value"][0]["name"], old.project.as_str());
    let denied = format!("/{}/_apis/projects", old.denied_org);
    assert_eq!(
        status(base, &denied, &old.access_token).await,
        StatusCode::UNAUTHORIZED,
        "the organization's deny policy was lost"
    );

    // The old refresh tokens with the old primary secret, in both flavours.
    let refreshed = azure_token_request(
        &Client::new(),
        base,
        &old.secret,
        "refresh_token",
        &old.azure_refresh_token,
    )
    .send()
    .await
    .unwrap();
    let (access, _) = tokens(refreshed).await;
    assert_eq!(status(base, ME, &access).await, StatusCode::OK);
    let refreshed = standard_token_request(
        &Client::new(),
        base,
        &old.app_id,
        &old.secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &old.standard_refresh_token),
        ],
    )
    .send()
    .await
    .unwrap();
    let (access, _) = tokens(refreshed).await;
    assert_eq!(status(base, ME, &access).await, StatusCode::OK);

    // The alternative secret gets the app a token; the app's old token is still active.
    let own = standard_token_request(
        &Client::new(),
        base,
        &old.app_id,
        &old.alternative_secret,
        &[("grant_type", "client_credentials")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::OK,
        "the alternative secret is refused"
    );
    let introspected: Value = Client::new()
        .post(format!("{base}/oauth2/introspect"))
        .basic_auth(&old.app_id, Some(&old.secret))
        .form(&[("token", old.client_credentials_token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], true, "{introspected}");

    // The admin token still manages registrations.
    let (s, registrations) =
        get_json(base, "/_apis/delegatedauth/registration", &old.admin_token).await;
    assert_eq!(s, StatusCode::OK, "the admin token is refused");
    assert!(
        registrations
            .to_string()
            .to_lowercase()
            .contains(&old.app_id.to_lowercase()),
        "{registrations}"
    );

    // The user signs in with the old password and authorizes the app again.
    let b = browser();
    sign_in(&b, base, &old.email, &old.password).await;
    let code = authorize(&b, base, &old.app_id, &old.scopes).await;
    let (access, _) = tokens(exchange(&b, base, &old.secret, &code).await).await;
    assert_eq!(status(base, ME, &access).await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sqlite_database_an_older_release_made_is_served_with_nothing_lost() {
    for dir in fixtures() {
        println!("upgrading the SQLite fixture {}", dir.display());
        let work = tempfile::tempdir().unwrap();
        let file = work.path().join("keygate.db");
        restore_sqlite(&dir, &file).await;
        put_back_master_key(&dir, &file);
        serves_the_old_deployment(&dir, &sqlite_url(&file), &credentials(&dir).sqlite).await;
        // Keys an older release stored in the clear are sealed with a key made beside the
        // database, and the database file is tightened to its owner.
        assert!(work.path().join("keygate.db.master-key").exists());
        let keys = stored_private_keys(&file).await;
        assert!(!keys.is_empty());
        assert!(keys.iter().all(|der| der.starts_with(b"KGSEAL1\0")));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_postgres_database_an_older_release_made_is_served_with_nothing_lost() {
    for dir in fixtures() {
        let Some(db) = ScratchDatabase::from_env().await.expect("scratch database") else {
            return;
        };
        println!("upgrading the PostgreSQL fixture {}", dir.display());
        restore_postgres(&dir, db.url()).await;
        serves_the_old_deployment(&dir, db.url(), &credentials(&dir).postgres).await;
    }
}
