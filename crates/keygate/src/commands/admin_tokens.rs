//! `keygate admin-token ...`: bearer tokens for the registration REST API.

use keygate_core::admin;
use serde_json::{json, Value};

use crate::cli::AdminTokenCommand;
use crate::commands::context;
use crate::output::print;

/// Runs an admin-token subcommand.
pub(super) async fn run(cmd: AdminTokenCommand) -> anyhow::Result<()> {
    match cmd {
        AdminTokenCommand::Create { name, db, json } => {
            let kg = context(&db).await?;
            let created = admin::create_admin_token(&kg, &name).await?;
            if json {
                print(
                    true,
                    &json!({"id": created.token.id, "name": created.token.name, "token": created.value}),
                    &[],
                    &[],
                );
            } else {
                println!(
                    "Admin token {} ({}), shown once:",
                    created.token.id, created.token.name
                );
                println!("{}", created.value);
                println!("Use it as `Authorization: Bearer <token>` on /_apis/delegatedauth/*.");
            }
        }
        AdminTokenCommand::List { db, json } => {
            let kg = context(&db).await?;
            let tokens = admin::admin_tokens(&kg).await?;
            let rows: Vec<Vec<String>> = tokens
                .iter()
                .map(|t| {
                    vec![
                        t.id.clone(),
                        t.name.clone(),
                        t.created_at.to_string(),
                        t.revoked_at.map(|r| r.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            let value = Value::Array(
                tokens
                    .iter()
                    .map(|t| {
                        json!({"id": t.id, "name": t.name, "created_at": t.created_at, "revoked_at": t.revoked_at})
                    })
                    .collect(),
            );
            print(json, &value, &["ID", "NAME", "CREATED", "REVOKED"], &rows);
        }
        AdminTokenCommand::Revoke { id, db, json } => {
            let kg = context(&db).await?;
            anyhow::ensure!(
                admin::revoke_admin_token(&kg, &id).await?,
                "no live admin token with id {id}"
            );
            if json {
                print(true, &json!({"id": id, "revoked": true}), &[], &[]);
            } else {
                println!("Revoked admin token {id}");
            }
        }
    }
    Ok(())
}
