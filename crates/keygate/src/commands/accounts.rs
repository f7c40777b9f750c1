//! `keygate user|org|project ...`: accounts from the command line.

use std::io::BufRead;

use anyhow::Context;
use keygate_core::accounts;
use keygate_core::{Data, SystemClock};
use serde_json::json;

use crate::cli::{DbArgs, OAuthPolicy, OrgCommand, ProjectCommand, UserCommand};
use crate::commands::open_store;
use crate::output::print;

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The data of `db`, for the account commands: they need no signing key, so they open none
/// (a server started later makes the first one, with its own algorithm and master key).
async fn data(db: &DbArgs) -> anyhow::Result<Data> {
    Ok(Data::new(open_store(db).await?))
}

/// `keygate user create`.
pub(super) async fn user(cmd: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Create {
        email,
        name,
        password,
        password_stdin,
        db,
        json,
    } = cmd;
    let password = match password {
        Some(p) if !password_stdin => p,
        _ => read_password_line()?,
    };
    let user =
        accounts::create_user(&data(&db).await?, &SystemClock, &email, &name, &password).await?;
    print(
        json,
        &json!({"id": user.id, "email": user.email, "display_name": user.display_name, "public_alias": user.public_alias}),
        &["ID", "EMAIL", "NAME"],
        &[vec![user.id.to_string(), user.email, user.display_name]],
    );
    Ok(())
}

/// `keygate org create|add-member|add-app`.
pub(super) async fn org(cmd: OrgCommand) -> anyhow::Result<()> {
    match cmd {
        OrgCommand::Create {
            org,
            owner,
            db,
            json,
        } => {
            let org = accounts::create_org(&data(&db).await?, &SystemClock, &org, &owner).await?;
            print(
                json,
                &json!({"id": org.id, "name": org.name, "owner_id": org.owner_id}),
                &["ID", "NAME", "OWNER"],
                &[vec![org.id.to_string(), org.name, owner]],
            );
        }
        OrgCommand::Policy {
            org,
            third_party_oauth,
            db,
            json,
        } => {
            let kg = crate::commands::context(&db).await?;
            let org = accounts::require_org(kg.data(), &org).await?;
            let allowed = third_party_oauth == OAuthPolicy::Allow;
            accounts::set_org_oauth_policy(&kg, &org, allowed).await?;
            let word = if allowed { "allow" } else { "deny" };
            print(
                json,
                &json!({"organization": org.name, "third_party_oauth": word}),
                &["ORGANIZATION", "THIRD-PARTY OAUTH"],
                &[vec![org.name, word.into()]],
            );
        }
        OrgCommand::AddMember {
            org,
            email,
            db,
            json,
        } => {
            let (org, user) = accounts::add_org_member(&data(&db).await?, &org, &email).await?;
            print(
                json,
                &json!({"organization": org.name, "user_id": user.id, "email": user.email}),
                &["ORGANIZATION", "MEMBER"],
                &[vec![org.name, user.email]],
            );
        }
        OrgCommand::AddApp {
            org,
            app_id,
            db,
            json,
        } => {
            let app: keygate_core::ids::AppId = app_id
                .parse()
                .map_err(|_| anyhow::anyhow!("{app_id} is not an App ID"))?;
            let org = accounts::add_org_app(&data(&db).await?, &org, app).await?;
            print(
                json,
                &json!({"organization": org.name, "app_id": app}),
                &["ORGANIZATION", "APP"],
                &[vec![org.name, app.to_string()]],
            );
        }
    }
    Ok(())
}

/// `keygate project create`.
pub(super) async fn project(cmd: ProjectCommand) -> anyhow::Result<()> {
    let ProjectCommand::Create {
        org,
        project,
        description,
        db,
        json,
    } = cmd;
    let data = data(&db).await?;
    let p = accounts::create_project(&data, &SystemClock, &org, &project, &description).await?;
    print(
        json,
        &json!({"id": p.id, "organization": org, "name": p.name, "default_repository": p.name}),
        &["ID", "ORGANIZATION", "PROJECT"],
        &[vec![p.id.to_string(), org, p.name]],
    );
    Ok(())
}
