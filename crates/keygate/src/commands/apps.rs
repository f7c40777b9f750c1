//! `keygate app ...`: registered apps from the command line.

use anyhow::Context;
use keygate_core::accounts;
use keygate_core::apps::{self, AppError, Manager, Registration};
use keygate_core::clock::rfc3339;
use keygate_core::ids::AppId;
use keygate_core::model::{App, AppCertificate, ClientKind, SecretSlot, User};
use keygate_core::Keygate;
use serde_json::{json, Value};

use crate::cli::{AppCommand, AppCreateArgs, CertificateCommand};
use crate::commands::context;
use crate::output::print;

fn describe(app: &App) -> Value {
    json!({
        "app_id": app.id.to_upper(),
        "name": app.name,
        "company_name": app.company_name,
        "website": app.website,
        "callback_url": app.callback_url,
        "post_logout_redirect_uris": app.post_logout_redirect_uris,
        "subject_type": if app.pairwise_subject { "pairwise" } else { "public" },
        "scopes": app.scopes.to_string(),
        "client_type": app.kind.as_str(),
        "resource_server": app.may_introspect,
        "owner_id": app.owner_id,
        "created_at": app.created_at,
    })
}

async fn find(kg: &Keygate, id: &str) -> anyhow::Result<App> {
    let app_id: AppId = id
        .parse()
        .map_err(|_| anyhow::anyhow!("{id} is not an App ID (a GUID)"))?;
    match apps::managed_app(kg, &Manager::Admin, app_id).await {
        Err(AppError::NotFound) => anyhow::bail!("no app with App ID {id}"),
        found => Ok(found?),
    }
}

/// The user with `email`, or an error naming it.
async fn user_by_email(kg: &Keygate, email: &str) -> anyhow::Result<User> {
    accounts::find_user(kg.data(), email)
        .await?
        .with_context(|| format!("no user with email {email}"))
}

/// Runs an app subcommand.
pub(super) async fn run(cmd: AppCommand) -> anyhow::Result<()> {
    match cmd {
        AppCommand::Create(args) => create(*args).await,
        AppCommand::List { owner, db, json } => {
            let kg = context(&db).await?;
            let manager = match owner {
                Some(email) => Manager::Owner(user_by_email(&kg, &email).await?.id),
                None => Manager::Admin,
            };
            let apps = apps::apps_of(&kg, &manager).await?;
            let rows: Vec<Vec<String>> = apps
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_upper(),
                        a.name.clone(),
                        a.callback_url.clone(),
                        a.scopes.to_string(),
                    ]
                })
                .collect();
            let value = Value::Array(apps.iter().map(describe).collect());
            print(
                json,
                &value,
                &["APP ID", "NAME", "CALLBACK URL", "SCOPES"],
                &rows,
            );
            Ok(())
        }
        AppCommand::Show { id, db, json } => {
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            let rows = vec![
                vec!["App ID".into(), app.id.to_upper()],
                vec!["Name".into(), app.name.clone()],
                vec!["Company".into(), app.company_name.clone()],
                vec!["Website".into(), app.website.clone()],
                vec!["Callback URL".into(), app.callback_url.clone()],
                vec!["Scopes".into(), app.scopes.to_string()],
                vec!["Client type".into(), app.kind.as_str().into()],
                vec![
                    "Resource server".into(),
                    if app.may_introspect { "yes" } else { "no" }.into(),
                ],
            ];
            print(json, &describe(&app), &["FIELD", "VALUE"], &rows);
            Ok(())
        }
        AppCommand::RegenerateSecret {
            id,
            alternative,
            db,
            json,
        } => {
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            let slot = if alternative {
                SecretSlot::Alternative
            } else {
                SecretSlot::Primary
            };
            let secret = apps::rotate_secret(&kg, &app, slot, None).await?;
            if json {
                print(
                    true,
                    &json!({"app_id": app.id.to_upper(), "slot": slot.as_str(), "client_secret": secret}),
                    &[],
                    &[],
                );
            } else {
                println!(
                    "New {slot} client secret for {} (shown once):\n{secret}",
                    app.id.to_upper()
                );
            }
            Ok(())
        }
        AppCommand::ResourceServer { id, deny, db, json } => {
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            let app = apps::set_resource_server(&kg, &Manager::Admin, &app, !deny).await?;
            if json {
                print(true, &describe(&app), &[], &[]);
            } else if app.may_introspect {
                println!(
                    "App {} ({}) may now introspect tokens issued to any app",
                    app.id.to_upper(),
                    app.name
                );
            } else {
                println!(
                    "App {} ({}) now introspects only its own tokens",
                    app.id.to_upper(),
                    app.name
                );
            }
            Ok(())
        }
        AppCommand::Certificate(cmd) => certificate(cmd).await,
        AppCommand::Delete { id, db, json } => {
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            apps::delete_app(&kg, app.id).await?;
            if json {
                print(
                    true,
                    &json!({"app_id": app.id.to_upper(), "deleted": true}),
                    &[],
                    &[],
                );
            } else {
                println!("Deleted app {} ({})", app.id.to_upper(), app.name);
            }
            Ok(())
        }
    }
}

fn describe_certificate(c: &AppCertificate) -> Value {
    json!({
        "thumbprint": c.thumbprint_hex(),
        "thumbprint_sha256": c.thumbprint_sha256_hex(),
        "subject": c.subject,
        "description": c.description,
        "not_before": rfc3339(c.not_before),
        "not_after": rfc3339(c.not_after),
        "created_at": rfc3339(c.created_at),
    })
}

async fn certificate(cmd: CertificateCommand) -> anyhow::Result<()> {
    match cmd {
        CertificateCommand::Add {
            id,
            pem,
            description,
            db,
            json,
        } => {
            let text = std::fs::read_to_string(&pem)
                .with_context(|| format!("could not read {}", pem.display()))?;
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            let added = match apps::add_certificate(&kg, &app, &text, &description).await {
                Err(AppError::Invalid(errors)) => {
                    let why: Vec<String> = errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
                    anyhow::bail!("{}", why.join("; "))
                }
                added => added?,
            };
            if json {
                print(true, &describe_certificate(&added), &[], &[]);
            } else {
                println!(
                    "Added certificate {} ({}) to app {}",
                    added.thumbprint_hex(),
                    added.subject,
                    app.id.to_upper()
                );
            }
            Ok(())
        }
        CertificateCommand::List { id, db, json } => {
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            let held = apps::certificates_of(&kg, &app).await?;
            let rows: Vec<Vec<String>> = held
                .iter()
                .map(|c| {
                    vec![
                        c.thumbprint_hex(),
                        c.subject.clone(),
                        rfc3339(c.not_after),
                        c.description.clone(),
                    ]
                })
                .collect();
            let value = Value::Array(held.iter().map(describe_certificate).collect());
            print(
                json,
                &value,
                &["THUMBPRINT", "SUBJECT", "EXPIRES", "DESCRIPTION"],
                &rows,
            );
            Ok(())
        }
        CertificateCommand::Remove {
            id,
            thumbprint,
            db,
            json,
        } => {
            let kg = context(&db).await?;
            let app = find(&kg, &id).await?;
            let removed = match apps::remove_certificate(&kg, &app, &thumbprint).await {
                Err(AppError::CertificateNotFound) => anyhow::bail!(
                    "app {} has no certificate with thumbprint {thumbprint}",
                    app.id.to_upper()
                ),
                removed => removed?,
            };
            if json {
                print(
                    true,
                    &json!({"thumbprint": removed.thumbprint_hex(), "removed": true}),
                    &[],
                    &[],
                );
            } else {
                println!(
                    "Removed certificate {} from app {}",
                    removed.thumbprint_hex(),
                    app.id.to_upper()
                );
            }
            Ok(())
        }
    }
}

async fn create(args: AppCreateArgs) -> anyhow::Result<()> {
    let mut kg = context(&args.db).await?;
    kg.policy.allow_http_callbacks |= args.allow_http_callback;
    let owner = user_by_email(&kg, &args.owner).await?;
    let registration = Registration {
        company_name: args.company,
        company_website: args.company_website,
        terms_url: args.terms_url,
        privacy_url: args.privacy_url,
        name: args.name,
        description: args.description,
        logo_url: args.logo_url,
        website: args.website,
        callback_url: args.callback_url,
        post_logout_redirect_uris: args.post_logout_redirect_uris.join(" "),
        pairwise_subject: args.pairwise_subject,
        scopes: args.scopes,
        kind: Some(if args.public {
            ClientKind::Public
        } else {
            ClientKind::Confidential
        }),
    };
    let registered = apps::register_app(&kg, owner.id, &registration, None).await?;
    let secret = registered.client_secret;
    if args.json {
        print(
            true,
            &json!({
                "app_id": registered.app.id.to_upper(),
                "client_secret": secret,
                "client_type": registered.app.kind.as_str(),
            }),
            &[],
            &[],
        );
    } else {
        println!("App ID:        {}", registered.app.id.to_upper());
        match secret {
            Some(secret) => {
                println!("Client Secret: {secret}");
                println!("(The secret is shown once; Keygate keeps only its hash.)");
            }
            None => println!("Client type:   public (no secret; PKCE is required)"),
        }
    }
    Ok(())
}
