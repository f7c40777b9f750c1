//! `keygate keys ...`: rotate and list the signing keys every node shares, and rotate the master
//! key that seals them.

use anyhow::Context;
use std::path::{Path, PathBuf};

use keygate_core::keys::at_rest::{self, MasterKey};
use keygate_core::keys::rotation::{
    promote_next_key, publish_next_id_token_key, publish_next_key, stored_keys, RotationError,
};
use keygate_core::keys::SigningAlgorithm;
use keygate_core::model::SigningKeyRecord;
use keygate_core::Keygate;
use keygate_core::StoreError;
use serde_json::{json, Value};

use crate::cli::{DbArgs, KeysCommand};
use crate::commands::{context, context_and_master_key};
use crate::master_key::{self, MasterKeySource};
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
pub(super) async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
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
            // ID tokens have an RS256 key of their own, rotated with the access key; one already
            // waiting is promoted with it. It goes first: making an RSA key can take longer than
            // the publish-ahead delay of a test server, which must not promote the access key
            // before this command has reported it as published.
            let id_token_key = match publish_next_id_token_key(&kg).await {
                Ok(k) => Some(k),
                Err(RotationError::Store(StoreError::Conflict(_))) => None,
                Err(e) => return Err(e).context("could not publish a new ID token key"),
            };
            let key = publish_next_key(&kg, algorithm).await.context(
                "could not publish a new key (is one already waiting? see `keygate keys list`)",
            )?;
            // What was published, as published: a server may promote it any moment from now.
            let mut keys = vec![key.clone()];
            keys.extend(id_token_key.clone());
            if immediately {
                promote_next_key(&kg).await?;
                keys = stored_keys(&kg).await?;
            }
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
        KeysCommand::RotateMasterKey {
            new_key_file,
            db,
            json,
        } => rotate_master_key(&db, new_key_file.as_deref(), json).await,
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

/// `keygate keys rotate-master-key`: reseals every key under the new master key in one
/// transaction. The key file beside a SQLite database gets the new key by way of `<file>.new`,
/// written and synced before the keys are resealed, so the key they need is on disk throughout.
async fn rotate_master_key(
    db: &DbArgs,
    new_key_file: Option<&Path>,
    json: bool,
) -> anyhow::Result<()> {
    let (kg, source) = context_and_master_key(db).await?;
    let (new_key, replaces) = match (&source, new_key_file) {
        (MasterKeySource::Absent, _) => anyhow::bail!(
            "this database has no master key to rotate; configure one with KEYGATE_MASTER_KEY_FILE (its keys are sealed at the next start)"
        ),
        (_, Some(file)) => (master_key::read(file)?, None),
        (MasterKeySource::BesideDatabase(path, _), None) => {
            let (key, text) = MasterKey::generate()?;
            let pending = pending_path(path);
            master_key::write_owner_only(&pending, &text).with_context(|| {
                format!("could not write the new master key to {}", pending.display())
            })?;
            (key, Some((pending, path.clone())))
        }
        (MasterKeySource::Configured, None) => anyhow::bail!(
            "the master key is configured (KEYGATE_MASTER_KEY_FILE or KEYGATE_MASTER_KEY): pass the new one with --new-key-file"
        ),
    };
    let resealed = at_rest::reseal_all(&kg, &new_key).await?;
    if let Some((pending, path)) = &replaces {
        std::fs::rename(pending, path).with_context(|| {
            format!(
                "the keys are sealed with the new master key in {}, but it could not replace {}; rename it by hand",
                pending.display(),
                path.display()
            )
        })?;
    }
    let file = replaces
        .map(|(_, path)| path)
        .or_else(|| new_key_file.map(Path::to_path_buf));
    if json {
        print(
            true,
            &json!({"resealed_keys": resealed, "master_key_file": file}),
            &[],
            &[],
        );
    } else {
        match (&source, file) {
            (MasterKeySource::BesideDatabase(..), Some(path)) if new_key_file.is_none() => println!(
                "Resealed {resealed} signing keys; {} holds the new master key.",
                path.display()
            ),
            (_, Some(path)) => println!(
                "Resealed {resealed} signing keys; start every node with KEYGATE_MASTER_KEY_FILE={} from now on.",
                path.display()
            ),
            (_, None) => println!("Resealed {resealed} signing keys."),
        }
    }
    Ok(())
}

/// Where the new key waits while the keys are resealed.
fn pending_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}
