//! `keygate demo`: a fresh demo database with seeded data, and the server on it.

use anyhow::Context;
use keygate_core::apps::{self, Registration};
use keygate_core::model::{ClientKind, NewBuild, NewWorkItem};
use keygate_core::{accounts, projects, work_items, Keygate};
use tokio::net::TcpListener;

use crate::cli::{DemoArgs, LogFormat, ServeArgs};
use crate::commands::serve::{init_logging, listen_and_serve, prepare};
use crate::settings::resolve;

/// The seeded user's email.
pub(super) const DEMO_EMAIL: &str = "demo@keygate.local";
/// The seeded user's password.
pub(super) const DEMO_PASSWORD: &str = "keygate-demo";
/// The seeded app's callback URL.
pub(super) const DEMO_CALLBACK: &str = "https://localhost:5001/oauth/callback";
/// The seeded app's scopes.
pub(super) const DEMO_SCOPES: &str = "vso.profile vso.project vso.build vso.code vso.work_write";

/// What the seed made, for printing.
pub(super) struct Seeded {
    /// App ID, upper case.
    pub app_id: String,
    /// Client secret.
    pub client_secret: String,
}

/// Fills an empty database with the demo user, organization, project and app.
pub(super) async fn seed(kg: &Keygate) -> anyhow::Result<Seeded> {
    let (data, clock) = (kg.data(), kg.clock.as_ref());
    let user = accounts::create_user(data, clock, DEMO_EMAIL, "Demo User", DEMO_PASSWORD).await?;
    accounts::create_org(data, clock, "fabrikam", DEMO_EMAIL).await?;
    let project = accounts::create_project(
        data,
        clock,
        "fabrikam",
        "Fabrikam-Fiber",
        "The demo project",
    )
    .await?;
    seed_project_data(kg, &project, user.id).await?;
    let registered = apps::register_app(
        kg,
        user.id,
        &Registration {
            company_name: "Fabrikam".into(),
            company_website: "https://fabrikam.example".into(),
            name: "Fabrikam Fiber web app".into(),
            description: "The demo app registered by keygate demo.".into(),
            website: "https://localhost:5001".into(),
            callback_url: DEMO_CALLBACK.into(),
            scopes: DEMO_SCOPES.into(),
            kind: Some(ClientKind::Confidential),
            ..Default::default()
        },
        None,
    )
    .await?;
    Ok(Seeded {
        app_id: registered.app.id.to_upper(),
        client_secret: registered.client_secret.unwrap_or_default(),
    })
}

/// A few builds and work items, so every REST endpoint has something to return.
async fn seed_project_data(
    kg: &Keygate,
    project: &keygate_core::model::Project,
    user: keygate_core::ids::UserId,
) -> anyhow::Result<()> {
    let now = kg.clock.now();
    let builds = [
        ("20261124.1", "completed", "succeeded", "refs/heads/main"),
        (
            "20261124.2",
            "completed",
            "failed",
            "refs/heads/feature/login",
        ),
        ("20261125.1", "inProgress", "", "refs/heads/main"),
    ];
    for (i, (number, status, result, branch)) in builds.into_iter().enumerate() {
        projects::record_build(
            kg,
            NewBuild {
                id: 0,
                project_id: project.id,
                build_number: number.into(),
                definition_name: "Fabrikam-Fiber-CI".into(),
                status: status.into(),
                result: result.into(),
                source_branch: branch.into(),
                requested_for: user,
                queue_time: now - 3600 * (3 - i as i64),
            },
        )
        .await?;
    }
    let items = [
        (
            "User Story",
            "Customers can sign in with their work account",
            "Active",
        ),
        ("Bug", "Fiber status page shows the wrong region", "New"),
        ("Task", "Rotate the OAuth client secret", "Closed"),
    ];
    for (kind, title, state) in items {
        let fields = serde_json::json!({
            "System.Title": title,
            "System.State": state,
            "System.WorkItemType": kind,
            "System.TeamProject": project.name,
            "System.CreatedBy": "Demo User",
        });
        work_items::record_work_item(
            kg,
            NewWorkItem {
                id: 0,
                project_id: project.id,
                rev: 1,
                work_item_type: kind.into(),
                fields_json: fields.to_string(),
                created_by: user,
                created_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

/// `keygate demo`.
pub(super) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("keygate-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let db = dir.join("keygate-demo.db");
    let _ = std::fs::remove_file(&db);
    let local_tls = if args.https {
        let tls_dir = match &args.tls_dir {
            Some(d) => super::tls::absolute(d)?,
            None => demo_tls_dir(),
        };
        Some(crate::local_ca::ensure(
            &tls_dir,
            &[],
            time::OffsetDateTime::now_utc(),
        )?)
    } else {
        None
    };
    let hardening = match &local_tls {
        Some(t) => {
            let files = t.server_files();
            crate::hardening::HardeningArgs {
                tls_cert: Some(files.cert),
                tls_key: Some(files.key),
                ..Default::default()
            }
        }
        None => Default::default(),
    };
    let serve_args = ServeArgs {
        listen: Some(args.listen.clone()),
        db: crate::cli::DbArgs {
            database_url: Some(format!("sqlite://{}", db.display())),
            config: None,
            ..Default::default()
        },
        log_format: Some(LogFormat::Pretty),
        hardening,
        ..ServeArgs::default()
    };
    let settings = resolve(&serve_args)?;
    let _log_writer = init_logging(settings.log_format);
    let state = prepare(&settings).await?;
    let seeded = seed(&state.kg).await?;
    let listener = TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("could not listen on {}", settings.listen))?;
    let base = state.base();
    let state_tenant = state.kg.tenant.id.to_string();
    let authorize = format!(
        "{base}/oauth2/authorize?client_id={}&response_type=Assertion&state=demo&scope={}&redirect_uri={}",
        seeded.app_id,
        DEMO_SCOPES.replace(' ', "+"),
        form_encode(DEMO_CALLBACK),
    );
    let webapp = webapp_command(&base, &seeded);
    println!(
        "\nKeygate demo is running at {base}  (database: {})\n\n\
         Sign in:        {base}/_signin\n  email:        {DEMO_EMAIL}\n  password:     {DEMO_PASSWORD}\n\
         Organization:   fabrikam (project Fabrikam-Fiber, with builds and work items 1-3)\n\n\
         Demo app:\n  App ID:        {}\n  Client Secret: {}\n  Callback URL:  {DEMO_CALLBACK}\n\n\
         Paste this in a browser to authorize the demo app:\n  {authorize}\n\n\
         Then exchange the code from the callback URL (CLIENT_SECRET and CODE as above):\n  curl -s {base}/oauth2/token \\\n    -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\\n    -d client_assertion=$CLIENT_SECRET -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \\\n    -d assertion=$CODE -d redirect_uri={DEMO_CALLBACK}\n\n\
         And call the API with the access token:\n  curl -s -H \"Authorization: Bearer $ACCESS_TOKEN\" {base}/fabrikam/Fabrikam-Fiber/_apis/build/builds\n\n\
         Or run the sample web app against it (in another terminal, from the repository), then open\n\
         https://localhost:5001/ and accept its self-signed certificate:\n  {webapp}\n\n\
         Press Ctrl-C to stop.\n",
        db.display(),
        seeded.app_id,
        seeded.client_secret,
    );
    if let Some(t) = &local_tls {
        println!(
            "Serving https with a certificate signed by the local CA in {} (kept across demo runs):\n  {}\n\n{}\n{}",
            t.dir.display(),
            t.ca_cert.display(),
            super::tls::trust_lines(&t.ca_cert),
            msal_snippets(&base, &seeded, &state_tenant),
        );
    }
    listen_and_serve(&settings, state, listener).await
}

/// Where `demo --https` keeps its local CA when `--tls-dir` is not given: a per-user data
/// directory, so the CA trusted after one run is the one every later run uses.
fn demo_tls_dir() -> std::path::PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })
        .unwrap_or_else(std::env::temp_dir);
    data.join("keygate").join("demo-tls")
}

/// The Azure DevOps resource's scope for "every scope the app registered".
const DEFAULT_SCOPE: &str = "499b84ac-1321-427f-aa17-267ca6975798/.default";

/// MSAL for Python and Node, configured for the seeded app against this server's Entra ID
/// endpoints of `tenant` (the tenant id), asking for an app-only token (client credentials).
fn msal_snippets(base: &str, seeded: &Seeded, tenant: &str) -> String {
    let host = base
        .strip_prefix("https://")
        .unwrap_or(base)
        .trim_end_matches('/');
    let (id, secret) = (&seeded.app_id, &seeded.client_secret);
    format!(
        "MSAL for Python (pip install msal), with the variables above exported:\n  \
         python3 -c 'import msal; app = msal.ConfidentialClientApplication(\"{id}\", client_credential=\"{secret}\", \
         authority=\"{base}/{tenant}\", instance_discovery=False); \
         print(app.acquire_token_for_client(scopes=[\"{DEFAULT_SCOPE}\"]))'\n\n\
         MSAL for Node (npm install @azure/msal-node), likewise:\n  \
         node -e 'const msal = require(\"@azure/msal-node\"); new msal.ConfidentialClientApplication({{auth: {{\
         clientId: \"{id}\", clientSecret: \"{secret}\", authority: \"{base}/{tenant}\", knownAuthorities: [\"{host}\"]}}}})\
         .acquireTokenByClientCredential({{scopes: [\"{DEFAULT_SCOPE}\"]}}).then(r => console.log(r))'\n\n\
         Entra ID tenant id: {tenant}. For sign-in flows use the authority {base}/organizations;\n\
         see docs/migrating-to-entra.md.\n"
    )
}

/// The command line that runs the sample web app (examples/webapp) against this demo; the
/// seeded app's callback is the web app's default one.
fn webapp_command(base: &str, seeded: &Seeded) -> String {
    format!(
        "WEBAPP_CLIENT_SECRET='{}' cargo run -p keygate-webapp -- --keygate-url {base} --app-id {}",
        seeded.client_secret, seeded.app_id
    )
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
