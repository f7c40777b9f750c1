//! Upgrade fixtures: a deployment made by one release through its real binary (the admin CLI and
//! the HTTP flows), kept as SQL text with the plaintext credentials it handed out, so a later
//! build can be proved to serve it. `scripts/make-upgrade-fixture.sh` drives [`make_deployment`]
//! through the `make-upgrade-fixture` binary of this crate; `crates/keygate/tests/upgrade.rs`
//! restores every fixture and presents the credentials again.

use std::path::Path;

use reqwest::{Client, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::flows::{authorize_as, browser, sign_in, standard_token_request, status, tokens};
use crate::{authorize, exchange, Cli, Server, CALLBACK, EMAIL, ME, ORG, PASSWORD, PROJECT};

/// The deployment's settings, kept beside the dumps as `keygate.toml` and served again by the
/// upgrade test, as an upgraded deployment keeps its configuration. The lifetimes are long so
/// the tokens and secrets in the fixture are still alive when the test runs years later (and the
/// access-token lifetime also sets how far back a node loads revocations, so the revoked token
/// stays refused).
pub const CONFIG: &str = "\
# The settings the fixture's deployment ran with; the upgrade test serves it with them again.
access_token_lifetime = \"36500d\"
refresh_token_lifetime = \"36500d\"
client_secret_lifetime = \"36500d\"
";

/// The organization whose owner denied third-party OAuth access.
pub const DENIED_ORG: &str = "contoso";
/// The scopes the fixture's app is registered with and authorized for.
pub const FIXTURE_SCOPES: &str = "vso.profile vso.project";

/// `credentials.json`: who made the fixture and what each backend's deployment handed out.
///
/// Committed fixtures are read by every later build: never remove or rename a field of this or
/// of [`Deployment`]; a new one needs `#[serde(default)]`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Fixture {
    /// The release or commit whose binary made the databases.
    pub made_by: String,
    /// The deployment dumped to `sqlite.sql`.
    pub sqlite: Deployment,
    /// The deployment dumped to `postgres.sql`.
    pub postgres: Deployment,
}

/// The plaintext credentials one deployment handed out (only their hashes are in the database).
#[derive(Debug, Serialize, Deserialize)]
pub struct Deployment {
    /// The user's email.
    pub email: String,
    /// The user's password.
    pub password: String,
    /// The organization that allows third-party OAuth, with [`Deployment::project`].
    pub org: String,
    /// The project of [`Deployment::org`].
    pub project: String,
    /// The organization that denies third-party OAuth.
    pub denied_org: String,
    /// The confidential app's App ID.
    pub app_id: String,
    /// The scopes the app is registered with (an Azure-flavour request must ask for all of them).
    pub scopes: String,
    /// Its primary client secret.
    pub secret: String,
    /// Its alternative client secret.
    pub alternative_secret: String,
    /// An admin token for the registration API.
    pub admin_token: String,
    /// A live access token of the user's, minted in the Azure flavour.
    pub access_token: String,
    /// The live refresh token of that authorization (Azure flavour).
    pub azure_refresh_token: String,
    /// The live refresh token of a second authorization, minted in the standard flavour.
    pub standard_refresh_token: String,
    /// An access token the app got for itself (client credentials).
    pub client_credentials_token: String,
    /// An access token whose authorization the app revoked (RFC 7009).
    pub revoked_access_token: String,
    /// `keygate audit list --json` as the release printed it, newest first.
    pub audit: Vec<Value>,
}

/// Makes a deployment on the empty database `database_url` with the binary `bin` and the
/// settings file `config` (holding [`CONFIG`]), the way a team would use it: accounts,
/// organizations, a project, policies, an app with both secrets and an admin token from the CLI;
/// sign-in, consent, code exchanges in both flavours, client credentials and a revocation over
/// HTTP. Checks each credential works before handing it back.
pub async fn make_deployment(bin: &Path, database_url: &str, config: &Path) -> Deployment {
    let cli = Cli::new(bin, database_url).with_config(config);
    cli.seed();
    cli.json(&["org", "policy", ORG, "--third-party-oauth", "allow"]);
    cli.json(&["org", "create", DENIED_ORG, "--owner", EMAIL]);
    cli.json(&["org", "policy", DENIED_ORG, "--third-party-oauth", "deny"]);
    let (app_id, secret) = cli.new_app("Fiber", FIXTURE_SCOPES);
    let alternative = cli.json(&["app", "regenerate-secret", &app_id, "--alternative"]);
    let admin = cli.json(&["admin-token", "create", "--name", "upgrade fixture"]);

    let config_arg = config.to_str().expect("a UTF-8 config path");
    let server = Server::start(bin, database_url, &["--config", config_arg]).await;
    let base = server.base.as_str();
    let b = browser();
    sign_in(&b, base, EMAIL, PASSWORD).await;
    let code = authorize(&b, base, &app_id, FIXTURE_SCOPES).await;
    let (access_token, azure_refresh_token) =
        tokens(exchange(&b, base, &secret, &code).await).await;

    let code = authorize_as(&b, base, &app_id, FIXTURE_SCOPES, "code").await;
    let exchanged = standard_token_request(
        &b,
        base,
        &app_id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    );
    let (_, standard_refresh_token) = tokens(exchanged.send().await.unwrap()).await;

    let code = authorize(&b, base, &app_id, FIXTURE_SCOPES).await;
    let (revoked_access_token, revoked_refresh) =
        tokens(exchange(&b, base, &secret, &code).await).await;
    let revoked = Client::new()
        .post(format!("{base}/oauth2/revoke"))
        .basic_auth(&app_id, Some(&secret))
        .form(&[
            ("token", revoked_refresh.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK, "the revocation failed");

    let own = standard_token_request(
        &b,
        base,
        &app_id,
        &secret,
        &[("grant_type", "client_credentials")],
    );
    let own: Value = own.send().await.unwrap().json().await.unwrap();
    let client_credentials_token = own["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status(base, ME, &access_token).await, StatusCode::OK);
    drop(server);

    Deployment {
        email: EMAIL.into(),
        password: PASSWORD.into(),
        org: ORG.into(),
        project: PROJECT.into(),
        denied_org: DENIED_ORG.into(),
        app_id,
        scopes: FIXTURE_SCOPES.into(),
        secret,
        alternative_secret: alternative["client_secret"].as_str().unwrap().to_owned(),
        admin_token: admin["token"].as_str().unwrap().to_owned(),
        access_token,
        azure_refresh_token,
        standard_refresh_token,
        client_credentials_token,
        revoked_access_token,
        audit: cli.json(&["audit", "list"]).as_array().unwrap().clone(),
    }
}
