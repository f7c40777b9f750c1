//! `keygate-bench seed`: fills a fresh SQLite database with users, apps and authorizations
//! quickly, and writes the fixture (a bench user and app with live credentials) that the
//! scenarios use.
//!
//! Users and apps go through the public `Store` trait (a few thousand single-row transactions).
//! Authorizations, each with its redeemed code and the live end of its refresh chain, go through
//! `SqliteStore::bulk_insert_seed_authorizations` in batches between `begin_bulk_seed` and
//! `end_bulk_seed`: a million single-row transactions with a full fsync each would take hours.
//! Their ids and token hashes are drawn at random up front and handed out in ascending order, so
//! every primary-key insert (and `codes`/`refresh_tokens` by authorization) appends to the end of
//! its B-tree instead of dirtying a random page of it in every batch.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use keygate_core::clock::{Clock, SystemClock, UnixTime};
use keygate_core::credentials::Credentials;
use keygate_core::ids::{AccessId, AppId, AuthorizationId, SecretId, UserId};
use keygate_core::keys::{generate_es256, KeyRing};
use keygate_core::model::{
    Actor, App, AuditKind, ClientKind, ClientSecret, NewAuditEvent, NewAuthorization,
    NewClientSecret, NewCode, NewRefreshToken, NewUser,
};
use keygate_core::password::hash_password;
use keygate_core::scopes::ScopeSet;
use keygate_core::secrets::{random_token, TokenHash};
use keygate_core::{Lifetimes, Store};
use keygate_store_sqlite::{BulkSeed, SeedAuthorization, SqliteStore};
use rand::{Rng, RngCore};

use crate::fixture::Fixture;

/// The bench user's email.
pub(crate) const BENCH_EMAIL: &str = "bench@keygate.bench";
/// The callback URL of every seeded app.
pub(crate) const BENCH_CALLBACK: &str = "https://localhost:5001/bench/callback";
/// The scopes of every seeded app.
pub(crate) const BENCH_SCOPES: &str = "vso.build vso.code vso.profile vso.project vso.work_write";
/// Authorizations per bulk transaction.
const BATCH: usize = 10_000;

/// What to seed.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SeedArgs {
    /// A fresh SQLite database (`sqlite://bench.db`); created if missing.
    #[arg(long)]
    pub database_url: String,
    /// Apps to register besides the bench app.
    #[arg(long, default_value_t = 100)]
    pub apps: usize,
    /// Authorizations to store (each with a redeemed code and a live refresh token).
    #[arg(long, default_value_t = 1000)]
    pub authorizations: usize,
    /// Users to spread the authorizations over.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Where to write the fixture (bench user, app id and client secret).
    #[arg(long, default_value = "bench-fixture.json")]
    pub fixture: PathBuf,
    /// The URL the server will run at (its host name is the issuer of the minted client secret).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
}

/// What was seeded.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct SeedSummary {
    /// Users created (the bench user included).
    pub users: usize,
    /// Apps registered (the bench app included).
    pub apps: usize,
    /// Authorizations stored.
    pub authorizations: usize,
    /// Seconds the whole seed took.
    pub seconds: f64,
    /// Seconds the bulk authorization inserts took.
    pub authorization_seconds: f64,
}

fn app_record(id: AppId, owner: UserId, n: usize, scopes: &ScopeSet, now: UnixTime) -> App {
    App {
        id,
        owner_id: owner,
        name: format!("Bench app {n}"),
        company_name: "Keygate bench".into(),
        description: "Seeded for load tests".into(),
        website: "https://bench.example".into(),
        company_website: String::new(),
        terms_url: String::new(),
        privacy_url: String::new(),
        logo_url: String::new(),
        callback_url: BENCH_CALLBACK.into(),
        scopes: scopes.clone(),
        kind: ClientKind::Confidential,
        created_at: now,
        may_introspect: false,
        post_logout_redirect_uris: Vec::new(),
        pairwise_subject: false,
    }
}

fn random_hash() -> TokenHash {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    TokenHash(bytes)
}

/// Seeds the database and writes the fixture.
pub(crate) async fn seed(args: &SeedArgs) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let store = SqliteStore::connect(&args.database_url)
        .await
        .context("cannot open the database")?;
    if store.user_by_email(BENCH_EMAIL).await?.is_some() {
        bail!("the database is already seeded (it has {BENCH_EMAIL}); seed a fresh file");
    }
    let clock = SystemClock;
    let now = clock.now();
    let lifetimes = Lifetimes::default();
    let keys = store.ensure_signing_key(generate_es256(now)?).await?;
    let issuer = url::Url::parse(&args.public_url)
        .context("--public-url")?
        .host_str()
        .context("--public-url has no host")?
        .to_owned();
    let credentials = Credentials::new(issuer, KeyRing::load(&keys)?);

    let password = random_token();
    let password_hash = hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut users = Vec::with_capacity(args.users.max(1));
    for i in 0..args.users.max(1) {
        let email = if i == 0 {
            BENCH_EMAIL.to_owned()
        } else {
            format!("user{i}@keygate.bench")
        };
        let user = store
            .create_user(NewUser {
                id: UserId::new_random(),
                email,
                display_name: format!("Bench user {i}"),
                public_alias: UserId::new_random().to_string(),
                password_hash: password_hash.clone(),
                created_at: now,
            })
            .await?;
        users.push(user.id);
    }
    let owner = users[0];

    let scopes = ScopeSet::parse(BENCH_SCOPES).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut apps: Vec<(AppId, SecretId)> = Vec::with_capacity(args.apps + 1);
    let mut bench_secret = String::new();
    for n in 0..=args.apps {
        let (app, secret_id) = (AppId::new_random(), SecretId::new_random());
        let expires_at = now + lifetimes.client_secret;
        let minted = credentials.mint_client_secret(app, secret_id, owner, now, expires_at)?;
        store
            .create_app(
                app_record(app, owner, n, &scopes, now),
                NewClientSecret {
                    secret: ClientSecret {
                        id: secret_id,
                        app_id: app,
                        created_at: now,
                        expires_at,
                    },
                    hash: minted.hash,
                },
                NewAuditEvent {
                    at: now,
                    kind: AuditKind::AppRegistered,
                    actor: Actor::Cli,
                    target: format!("app:{app}"),
                    app_id: Some(app),
                    org_id: None,
                    client_addr: None,
                    detail: "seeded for a benchmark".into(),
                },
            )
            .await?;
        if n == 0 {
            bench_secret = minted.value;
        }
        apps.push((app, secret_id));
    }

    Fixture {
        email: BENCH_EMAIL.into(),
        password,
        app_id: apps[0].0.to_upper(),
        client_secret: bench_secret,
        callback_url: BENCH_CALLBACK.into(),
        scopes: BENCH_SCOPES.into(),
    }
    .save(&args.fixture)?;

    let bulk_started = Instant::now();
    insert_authorizations(
        &store,
        args.authorizations,
        &users,
        &apps,
        &scopes,
        now,
        lifetimes,
    )
    .await?;
    let authorization_seconds = bulk_started.elapsed().as_secs_f64();
    store.close().await;
    Ok(SeedSummary {
        users: users.len(),
        apps: apps.len(),
        authorizations: args.authorizations,
        seconds: started.elapsed().as_secs_f64(),
        authorization_seconds,
    })
}

async fn insert_authorizations(
    store: &SqliteStore,
    count: usize,
    users: &[UserId],
    apps: &[(AppId, SecretId)],
    scopes: &ScopeSet,
    now: UnixTime,
    lifetimes: Lifetimes,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(count as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} authorizations {eta}") {
        bar.set_style(style);
    }
    let keys = SortedKeys::new(count);
    let session = store.begin_bulk_seed().await?;
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let batch = seed_batch(&keys, done..done + n, users, apps, scopes, now, lifetimes);
        store.bulk_insert_seed_authorizations(&batch).await?;
        done += n;
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    store.end_bulk_seed(session).await?;
    Ok(())
}

/// Random authorization ids and code and refresh-token hashes, each list in ascending order
/// (the order SQLite compares them in: a hyphenated lower-case UUID sorts like its bytes, a hash
/// BLOB by its bytes), so the `i`-th authorization gets the `i`-th of each.
struct SortedKeys {
    ids: Vec<AuthorizationId>,
    codes: Vec<TokenHash>,
    refresh: Vec<TokenHash>,
}

impl SortedKeys {
    fn new(count: usize) -> Self {
        let mut ids: Vec<AuthorizationId> =
            (0..count).map(|_| AuthorizationId::new_random()).collect();
        ids.sort_unstable();
        let hashes = || {
            let mut h: Vec<TokenHash> = (0..count).map(|_| random_hash()).collect();
            h.sort_unstable_by_key(|a| a.0);
            h
        };
        Self {
            ids,
            codes: hashes(),
            refresh: hashes(),
        }
    }
}

/// The authorizations `range` of the seed: random users to random apps, created over the past year.
fn seed_batch(
    keys: &SortedKeys,
    range: std::ops::Range<usize>,
    users: &[UserId],
    apps: &[(AppId, SecretId)],
    scopes: &ScopeSet,
    now: UnixTime,
    lifetimes: Lifetimes,
) -> Vec<SeedAuthorization> {
    let mut rng = rand::thread_rng();
    range
        .map(|i| {
            let id = keys.ids[i];
            let user = users[rng.gen_range(0..users.len())];
            let (app, secret) = apps[rng.gen_range(0..apps.len())];
            // Spread creation over the past year, so nothing looks minted in one second.
            let created = now - rng.gen_range(0..365 * 24 * 3600);
            SeedAuthorization {
                authorization: NewAuthorization {
                    id,
                    user_id: user,
                    app_id: app,
                    scopes: scopes.clone(),
                    created_at: created,
                },
                secret_id: Some(secret),
                code: NewCode {
                    hash: keys.codes[i],
                    redirect_uri: BENCH_CALLBACK.into(),
                    code_challenge: None,
                    expires_at: created + lifetimes.code,
                },
                code_used_at: Some(created + 1),
                refresh: Some(NewRefreshToken {
                    hash: keys.refresh[i],
                    access_id: AccessId::new_random(),
                    authorization_id: id,
                    secret_id: Some(secret),
                    created_at: created + 1,
                    expires_at: now + lifetimes.refresh_token,
                }),
            }
        })
        .collect()
}
