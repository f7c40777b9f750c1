//! The one list of the tables a dump carries, parents first, each with the [`Dump`] field it
//! fills and its row type: the export, the import and [`TABLES`] are all made from it.

use keygate_core::dump::Dump;
use keygate_core::StoreError;

use super::{export, import};
use crate::conn::Conn;
use crate::rows::accounts::{
    OrgAppRow, OrgMemberRow, OrgRow, ProjectRow, RepositoryRow, SessionRow, SignInFailureRow,
    UserRow,
};
use crate::rows::apps::{AppRow, SecretRow};
use crate::rows::certificates::{CertificateRow, UsedAssertionRow};
use crate::rows::changes::ChangeRow;
use crate::rows::device::DeviceCodeRow;
use crate::rows::grants::{AuthorizationRow, CodeRow, RefreshTokenRow};
use crate::rows::hooks::{HookOutboxRow, HookSubscriptionRow};
use crate::rows::operations::{AdminTokenRow, AuditRow};
use crate::rows::settings::{SettingRow, SigningKeyRow};
use crate::rows::work::{BuildRow, WorkItemRow};
use crate::table::Table;

/// Declares the list once and makes the three things from it.
macro_rules! dump_tables {
    ($($field:ident: $row:ty),+ $(,)?) => {
        /// Every table a dump carries, parents first, with the columns it reads and writes.
        pub const TABLES: &[(&str, &[&str])] = &[$((<$row>::TABLE, <$row>::COLUMNS)),+];

        /// Reads every table into a dump.
        pub(super) async fn export_all<C: Conn>(conn: &mut C) -> Result<Dump, StoreError> {
            Ok(Dump {
                $($field: export::<C, $row, _>(conn).await?,)+
            })
        }

        /// Writes every table of a dump, parents first.
        pub(super) async fn import_all<C: Conn>(
            conn: &mut C,
            dump: Dump,
        ) -> Result<(), StoreError> {
            $(import::<C, $row, _>(conn, dump.$field).await?;)+
            Ok(())
        }
    };
}

dump_tables! {
    users: UserRow,
    sign_in_failures: SignInFailureRow,
    orgs: OrgRow,
    org_members: OrgMemberRow,
    projects: ProjectRow,
    repositories: RepositoryRow,
    sessions: SessionRow,
    settings: SettingRow,
    signing_keys: SigningKeyRow,
    apps: AppRow,
    client_secrets: SecretRow,
    org_apps: OrgAppRow,
    authorizations: AuthorizationRow,
    codes: CodeRow,
    refresh_tokens: RefreshTokenRow,
    changes: ChangeRow,
    builds: BuildRow,
    work_items: WorkItemRow,
    audit_events: AuditRow,
    admin_tokens: AdminTokenRow,
    device_codes: DeviceCodeRow,
    hook_subscriptions: HookSubscriptionRow,
    hook_outbox: HookOutboxRow,
    app_certificates: CertificateRow,
    client_assertion_jtis: UsedAssertionRow,
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    #[test]
    fn the_dump_carries_every_table_it_counts_in_the_same_order() {
        let counted: Vec<&str> = keygate_core::dump::Dump::default()
            .counts()
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let carried: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        assert_eq!(counted, carried);
    }
}
