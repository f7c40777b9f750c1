//! `keygate tenant show`: the Entra ID tenant this deployment is (its GUID and domain), and the
//! authority URLs an MSAL app is configured with.

use serde_json::json;

use crate::cli::TenantCommand;
use crate::commands::context;
use crate::output::print;

/// Runs a tenant subcommand.
pub(super) async fn run(cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Show { db, json } => {
            let kg = context(&db).await?;
            let tenant = &kg.tenant;
            let value = json!({
                "id": tenant.id.to_string(),
                "domain": tenant.domain,
                "v1_issuer": tenant.v1_issuer(),
            });
            print(
                json,
                &value,
                &["ID", "DOMAIN"],
                &[vec![tenant.id.to_string(), tenant.domain.clone()]],
            );
            if !json {
                println!();
                println!(
                    "MSAL authority: <public URL>/{} (or /organizations, /common)",
                    tenant.id
                );
            }
            Ok(())
        }
    }
}
