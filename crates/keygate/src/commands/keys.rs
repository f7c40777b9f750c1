//! `keygate keys ...`: rotate and list the signing keys every node shares.

use anyhow::Context;
use keygate_core::keys::rotation::{
    promote_next_key, publish_next_id_token_key, publish_next_key, stored_keys, RotationError,
};
use keygate_core::keys::SigningAlgorithm;
use keygate_core::model::SigningKeyRecord;
use keygate_core::Keygate;
use keygate_core::StoreError;
use serde_json::{json, Value};

use crate::cli::KeysCommand;
use crate::commands::context;
use crate::output::print;

fn describe(kg: &Keygate, key: &SigningKeyRecord) -> Value {
    let signs_from = (key.state == "next").then(|| key.created_at + kg.policy.key_publish_ahead);
    json!({
        "kid": key.kid,
        "algorithm": key.algorithm,
        "state": key.state,
        "created_at": key.created_at,
        "signs_from": signs_from,
        "retired_at": key.retired_at,
        "purpose": key.purpose,
    })
}

fn when(t: Option<i64>) -> String {
    t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|d| {
            d.format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Runs a keys subcommand.
pub async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Rotate {
            algorithm,
            immediately,
            db,
            json,
        } => {
            let kg = context(&db).await?;
            let algorithm: SigningAlgorithm = match algorithm {
                Some(name) => name.parse()?,
                None => kg.policy.signing_algorithm,
            };
            let key = publish_next_key(&kg, algorithm).await.context(
                "could not publish a new key (is one already waiting? see `keygate keys list`)",
            )?;
            // ID tokens have an RS256 key of their own, rotated with the access key; one already
            // waiting is promoted with it.
            let id_token_key = match publish_next_id_token_key(&kg).await {
                Ok(k) => Some(k),
                Err(RotationError::Store(StoreError::Conflict(_))) => None,
                Err(e) => return Err(e).context("could not publish a new ID token key"),
            };
            if immediately {
                promote_next_key(&kg).await?;
            }
            let keys = stored_keys(&kg).await?;
            let published = keys
                .iter()
                .find(|k| k.kid == key.kid)
                .context("the new key vanished")?;
            if json {
                let mut value = describe(&kg, published);
                if let Some(id_key) = id_token_key
                    .as_ref()
                    .and_then(|k| keys.iter().find(|s| s.kid == k.kid))
                {
                    value["id_token_key"] = describe(&kg, id_key);
                }
                print(true, &value, &[], &[]);
            } else if immediately {
                println!("Key {} ({algorithm}) signs now.", key.kid);
            } else {
                println!(
                    "Key {} ({algorithm}) is published; running servers start signing with it at {}.",
                    key.kid,
                    when(Some(key.created_at + kg.policy.key_publish_ahead))
                );
            }
            Ok(())
        }
        KeysCommand::List { db, json } => {
            let kg = context(&db).await?;
            let keys = stored_keys(&kg).await?;
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    let signs_from =
                        (k.state == "next").then(|| k.created_at + kg.policy.key_publish_ahead);
                    vec![
                        k.kid.clone(),
                        k.purpose.clone(),
                        k.algorithm.clone(),
                        k.state.clone(),
                        when(Some(k.created_at)),
                        when(signs_from),
                        when(k.retired_at),
                    ]
                })
                .collect();
            let value = Value::Array(keys.iter().map(|k| describe(&kg, k)).collect());
            print(
                json,
                &value,
                &[
                    "KID",
                    "PURPOSE",
                    "ALGORITHM",
                    "STATE",
                    "CREATED",
                    "SIGNS FROM",
                    "RETIRED",
                ],
                &rows,
            );
            Ok(())
        }
    }
}
