//! Command-line interface definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keygate: a self-hosted OAuth 2.0 identity provider that speaks Azure DevOps OAuth.
#[derive(Debug, Parser)]
#[command(name = "keygate", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Run the server on a fresh demo database with a seeded user, organization, project and app.
    Demo(DemoArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage registered apps.
    #[command(subcommand)]
    App(AppCommand),
    /// Read the audit log of security events.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage admin tokens for the registration REST API.
    #[command(subcommand)]
    AdminToken(AdminTokenCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Move a deployment between databases.
    #[command(subcommand)]
    Db(DbCommand),
    /// Local https: a local certificate authority and a server certificate it signs.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// The Entra ID tenant this deployment is.
    #[command(subcommand)]
    Tenant(TenantCommand),
}

/// `keygate tenant ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Show the tenant id and domain, and the authority URLs MSAL takes.
    Show {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where the database is; every admin command takes it.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct DbArgs {
    /// Database URL (`sqlite://keygate.db`). Default: from the config file, else `sqlite://keygate.db`.
    #[arg(long, env = "KEYGATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Optional TOML config file.
    #[arg(long, env = "KEYGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Connection pool size and timeouts.
    #[command(flatten)]
    pub pool: PoolArgs,
}

/// The connection pool's size and timeouts; every command that opens a database takes them.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PoolArgs {
    /// PostgreSQL: most connections this process opens (size the server for the sum over nodes).
    /// Default 10.
    #[arg(long, env = "KEYGATE_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// PostgreSQL: how long a request waits for a connection before it is answered 503
    /// (`500ms`, `5s`, or seconds). Default 5s.
    #[arg(long, env = "KEYGATE_DB_ACQUIRE_TIMEOUT")]
    pub db_acquire_timeout: Option<crate::db_pool::Timeout>,
    /// PostgreSQL: longest one statement may run before the server cancels it. Default 15s.
    #[arg(long, env = "KEYGATE_DB_STATEMENT_TIMEOUT")]
    pub db_statement_timeout: Option<crate::db_pool::Timeout>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Settings of a running server. Each flag can also be set by environment or config file.
/// `Default` is "nothing given": every setting falls back to env, config file, then default.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ServeArgs {
    /// Address to listen on. Default `127.0.0.1:8080`.
    #[arg(long, env = "KEYGATE_LISTEN")]
    pub listen: Option<String>,
    /// The URL clients reach Keygate at. Default `http://<listen>`.
    #[arg(long, env = "KEYGATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database and config file.
    #[command(flatten)]
    pub db: DbArgs,
    /// Log format. Default `pretty`.
    #[arg(long, env = "KEYGATE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Access token lifetime: seconds, or with a unit (30s, 15m, 1h, 365d). Default 3600.
    #[arg(long, env = "KEYGATE_ACCESS_TOKEN_LIFETIME")]
    pub access_token_lifetime: Option<crate::lifetime::Lifetime>,
    /// Refresh token lifetime (seconds, or 30s, 15m, 1h, 365d). Default 365 days.
    #[arg(long, env = "KEYGATE_REFRESH_TOKEN_LIFETIME")]
    pub refresh_token_lifetime: Option<crate::lifetime::Lifetime>,
    /// Authorization code lifetime (seconds, or 30s, 15m, ...). Default 900.
    #[arg(long, env = "KEYGATE_CODE_LIFETIME")]
    pub code_lifetime: Option<crate::lifetime::Lifetime>,
    /// Client secret lifetime (seconds, or 90d, ...). Default 5 years.
    #[arg(long, env = "KEYGATE_CLIENT_SECRET_LIFETIME")]
    pub client_secret_lifetime: Option<crate::lifetime::Lifetime>,
    /// Browser session lifetime (seconds, or 8h, 7d, ...). Default 7 days.
    #[arg(long, env = "KEYGATE_SESSION_LIFETIME")]
    pub session_lifetime: Option<crate::lifetime::Lifetime>,
    /// Device code lifetime (RFC 8628 and Entra's device code flow), e.g. `15m`. Default 15m.
    #[arg(long, env = "KEYGATE_DEVICE_CODE_LIFETIME")]
    pub device_code_lifetime: Option<crate::lifetime::Lifetime>,
    /// Accept plain-http callback URLs at registration (development only).
    #[arg(long, env = "KEYGATE_ALLOW_HTTP_CALLBACKS")]
    pub allow_http_callbacks: Option<bool>,
    /// Request limits, rate limits, TLS and the master key.
    #[command(flatten)]
    pub hardening: crate::hardening::HardeningArgs,
    /// Metrics listener, seed file and test-emulator mode.
    #[command(flatten)]
    pub operations: crate::operations::OperationsArgs,
    /// Require PKCE (S256) from every client, confidential ones too. Default false (public
    /// clients always need it).
    #[arg(long, env = "KEYGATE_REQUIRE_PKCE")]
    pub require_pkce: Option<bool>,
    /// Algorithm of the signing key made on first start and by `keygate keys rotate`:
    /// ES256 (default), RS256 or EdDSA.
    #[arg(long, env = "KEYGATE_SIGNING_ALGORITHM")]
    pub signing_algorithm: Option<String>,
    /// Seconds a rotated key is published before it starts signing. Default 600.
    #[arg(long, env = "KEYGATE_KEY_PUBLISH_AHEAD")]
    pub key_publish_ahead: Option<i64>,
    /// The Entra ID tenant id (a GUID) of the `/{tenant}/oauth2/v2.0/...` endpoints. Default:
    /// one made on first start and kept in the database.
    #[arg(long, env = "KEYGATE_TENANT_ID")]
    pub tenant_id: Option<uuid::Uuid>,
    /// The Entra ID tenant's domain name. Default: `keygate-<first 8 hex digits of the id>.onmicrosoft.com`.
    #[arg(long, env = "KEYGATE_TENANT_DOMAIN")]
    pub tenant_domain: Option<String>,
    /// Where introspection learns whether an access token's authorization still stands:
    /// `snapshot` (default: the node's revocation snapshot; this node's revocations count at
    /// once, other nodes' once the change feed reached it) or `exact` (the database, every call).
    #[arg(long, env = "KEYGATE_INTROSPECTION")]
    pub introspection: Option<String>,
}

/// `keygate demo`.
#[derive(Debug, Args, Clone)]
pub(crate) struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Serve https with a certificate for localhost signed by the local CA in `--tls-dir`
    /// (made on first use and kept, so a CA trusted once stays trusted).
    #[arg(long)]
    pub https: bool,
    /// The local CA directory `--https` uses. Default: `$XDG_DATA_HOME/keygate/demo-tls`
    /// (`~/.local/share/keygate/demo-tls`).
    #[arg(long, env = "KEYGATE_DEMO_TLS_DIR")]
    pub tls_dir: Option<PathBuf>,
}

/// `keygate tls ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TlsCommand {
    /// Make (or reuse) a local CA in DIR and a server certificate it signs for localhost,
    /// 127.0.0.1, ::1 and every --name; print the `serve` flags and how to trust the CA.
    /// Re-running keeps the CA and remakes the server certificate only when the names change
    /// or it expires within 30 days.
    Init {
        /// Directory for ca.pem, ca-key.pem, server.pem and server-key.pem.
        #[arg(long, env = "KEYGATE_TLS_DIR", default_value = "keygate-tls")]
        dir: PathBuf,
        /// Another host name or IP address for the server certificate (repeatable).
        #[arg(long = "name")]
        names: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the local CA and server certificate in DIR: paths, names and expiry.
    Show {
        /// The directory `tls init` wrote.
        #[arg(long, env = "KEYGATE_TLS_DIR", default_value = "keygate-tls")]
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate user ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user.
    Create {
        /// Email address (unique).
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Password (prefer --password-stdin: a flag shows in the process list).
        #[arg(
            long,
            conflicts_with = "password_stdin",
            required_unless_present = "password_stdin"
        )]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate org ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organization.
    Create {
        /// Organization name (letters, digits, '-', '_', '.').
        org: String,
        /// Owner's email.
        #[arg(long)]
        owner: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set the organization's third-party OAuth policy.
    Policy {
        /// Organization name.
        org: String,
        /// Allow or deny third-party application access via OAuth.
        #[arg(long, value_enum)]
        third_party_oauth: OAuthPolicy,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a member to an organization.
    AddMember {
        /// Organization name.
        org: String,
        /// Member's email.
        email: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add an app to an organization as a member (Azure DevOps: its service principal), so its
    /// app-only tokens (client credentials) may read the organization's data.
    AddApp {
        /// Organization name.
        org: String,
        /// The app's App ID.
        app_id: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Whether third-party apps may use OAuth tokens against an organization.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum OAuthPolicy {
    /// Tokens work (the default).
    Allow,
    /// API calls with OAuth tokens get 401 TF400813.
    Deny,
}

/// `keygate project ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ProjectCommand {
    /// Create a project (and its default git repository).
    Create {
        /// Organization name.
        org: String,
        /// Project name.
        project: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate app ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AppCommand {
    /// Register an app and print its App ID and Client Secret.
    Create(Box<AppCreateArgs>),
    /// List apps.
    List {
        /// Only this owner's apps.
        #[arg(long)]
        owner: Option<String>,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one app.
    Show {
        /// App ID.
        id: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace an app's primary (or alternative) client secret; the old one and every token it
    /// minted stop working, and the other secret keeps working.
    RegenerateSecret {
        /// App ID.
        id: String,
        /// Create or replace the alternative secret instead of the primary one.
        #[arg(long)]
        alternative: bool,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let an app introspect access tokens issued to other apps (a resource server), or with
    /// `--deny` take that away. Without it, an app introspects only its own tokens.
    ResourceServer {
        /// App ID.
        id: String,
        /// Take the permission away instead of granting it.
        #[arg(long)]
        deny: bool,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete an app and invalidate all its tokens.
    Delete {
        /// App ID.
        id: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// An app's certificates, for client authentication with a signed JWT (`private_key_jwt`).
    #[command(subcommand)]
    Certificate(CertificateCommand),
}

/// `keygate app certificate ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CertificateCommand {
    /// Register a certificate (PEM; RSA of 2048 bits or more, or EC P-256) on an app.
    Add {
        /// App ID.
        id: String,
        /// The certificate, a PEM file (`-----BEGIN CERTIFICATE-----`; public, no private key).
        #[arg(long)]
        pem: std::path::PathBuf,
        /// What the certificate is for.
        #[arg(long, default_value = "")]
        description: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List an app's certificates.
    List {
        /// App ID.
        id: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a certificate from an app, named by its thumbprint (SHA-1 or SHA-256, in hex).
    Remove {
        /// App ID.
        id: String,
        /// The thumbprint, as `list` prints it.
        thumbprint: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate app create`.
#[derive(Debug, Args)]
pub(crate) struct AppCreateArgs {
    /// Owner's email.
    #[arg(long)]
    pub owner: String,
    /// Application name.
    #[arg(long)]
    pub name: String,
    /// Company name.
    #[arg(long)]
    pub company: String,
    /// Application website.
    #[arg(long)]
    pub website: String,
    /// Authorization callback URL.
    #[arg(long)]
    pub callback_url: String,
    /// Where OpenID Connect RP-initiated logout may send the browser afterwards (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Name users in the app's ID tokens by a pairwise `sub` of its own (OpenID Connect).
    #[arg(long)]
    pub pairwise_subject: bool,
    /// Scopes, space separated.
    #[arg(long)]
    pub scopes: String,
    /// Description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Company website.
    #[arg(long, default_value = "")]
    pub company_website: String,
    /// Terms of service URL.
    #[arg(long, default_value = "")]
    pub terms_url: String,
    /// Privacy statement URL.
    #[arg(long, default_value = "")]
    pub privacy_url: String,
    /// Logo URL.
    #[arg(long, default_value = "")]
    pub logo_url: String,
    /// Accept a plain-http callback URL (development only).
    #[arg(long)]
    pub allow_http_callback: bool,
    /// Register a public client (native or browser app): no secret, PKCE mandatory, loopback
    /// (`http://127.0.0.1:port/...`) and private-use scheme callbacks allowed.
    #[arg(long)]
    pub public: bool,
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keygate keys ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Publish a new signing key as `next`; running servers start signing with it after the
    /// publish-ahead delay, and keep the old key published until its tokens have expired.
    Rotate {
        /// Algorithm of the new key (ES256, RS256 or EdDSA). Default: the configured one.
        #[arg(long)]
        algorithm: Option<String>,
        /// Make the new key sign at once instead of after the publish-ahead delay (for a key
        /// that must stop signing now; tokens verified against a cached JWKS may fail until it
        /// is fetched again).
        #[arg(long)]
        immediately: bool,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Seal every signing key with a new master key. With the key file Keygate keeps beside a
    /// SQLite database, the file gets the new key; with a configured key, pass the new one with
    /// `--new-key-file` and start every node with it afterwards. Stop the servers first.
    RotateMasterKey {
        /// File holding the new master key (32 random bytes, raw or base64). Default: a new
        /// random key, written to the key file beside the SQLite database.
        #[arg(long)]
        new_key_file: Option<std::path::PathBuf>,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the signing keys and their states.
    List {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate audit ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// List security events, newest first.
    List {
        /// Only events since then: an RFC 3339 time (2026-11-25T09:00:00Z) or a span back from
        /// now (30m, 24h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only events about this app (App ID).
        #[arg(long)]
        app: Option<String>,
        /// At most this many events.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate admin-token ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AdminTokenCommand {
    /// Make an admin token for the registration REST API and print it (shown once).
    Create {
        /// What the token is for.
        #[arg(long, default_value = "admin")]
        name: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List admin tokens (never their values).
    List {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an admin token by its id.
    Revoke {
        /// The token's id (from `list`).
        id: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keygate db ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Copy every row (users, organizations, apps, secrets, authorizations, token hashes,
    /// signing keys, the change feed, ...) from one database into a new, empty one, e.g. from
    /// `sqlite://keygate.db` to `postgres://...`. Stop the servers on the source first.
    Copy {
        /// The database to copy from.
        #[arg(long)]
        from: String,
        /// The empty database to copy into (created and migrated if needed).
        #[arg(long)]
        to: String,
        /// Optional TOML config file (only its `db_*` pool settings apply here).
        #[arg(long, env = "KEYGATE_CONFIG")]
        config: Option<PathBuf>,
        /// Connection pool size and timeouts, for both databases.
        #[command(flatten)]
        pool: PoolArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
