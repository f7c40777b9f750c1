//! The store conformance suite: every behaviour the [`Store`] contract promises, written once as
//! `pub async fn` tests over `Arc<dyn Store>`, and run by each backend on a fresh database per test.
//!
//! A backend runs the whole suite from one integration test file:
//!
//! ```text
//! async fn fresh_store() -> (Arc<dyn Store>, tempfile::TempDir) {
//!     let dir = tempfile::tempdir().expect("temp dir");
//!     let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
//!     (Arc::new(SqliteStore::connect(&url).await.expect("connect")), dir)
//! }
//!
//! keygate_store_conformance::store_conformance_tests!(fresh_store);
//! ```
//!
//! The second value `fresh_store` returns is kept alive until the test ends (a temporary
//! directory, a throw-away database to drop) and then dropped.
#![expect(
    clippy::expect_used,
    reason = "a conformance suite is test code: a failed expectation is a failed test"
)]

pub mod accounts;
pub mod apps;
pub mod audit;
pub mod certificates;
pub mod device;
pub mod dump;
pub mod feed;
pub mod fixtures;
pub mod grants;
pub mod hooks;
pub mod operations;
pub mod settings;
pub mod standard;
pub mod work;

use std::future::Future;
use std::sync::Arc;

use keygate_core::Store;

/// Runs one conformance test on a fresh store, on a multi-threaded runtime so the concurrency
/// tests race for real.
pub fn run<Fresh, FreshFut, Guard, Test, TestFut>(fresh: Fresh, test: Test)
where
    Fresh: FnOnce() -> FreshFut,
    FreshFut: Future<Output = (Arc<dyn Store>, Guard)>,
    Test: FnOnce(Arc<dyn Store>) -> TestFut,
    TestFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let (store, guard) = fresh().await;
        test(store).await;
        drop(guard);
    });
}

/// Runs one conformance test when `fresh` gives a store. When it gives `None` (the backend's
/// server is not configured on this machine) the test passes without running; `fresh` is
/// expected to say once that the backend's tests were skipped.
pub fn run_if_available<Fresh, FreshFut, Guard, Test, TestFut>(fresh: Fresh, test: Test)
where
    Fresh: FnOnce() -> FreshFut,
    FreshFut: Future<Output = Option<(Arc<dyn Store>, Guard)>>,
    Test: FnOnce(Arc<dyn Store>) -> TestFut,
    TestFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        if let Some((store, guard)) = fresh().await {
            test(store).await;
            drop(guard);
        }
    });
}

/// Defines one `#[test]` per conformance test, each on a store from `$fresh`: an async function
/// returning `(Arc<dyn Store>, Guard)`, where `Guard` is kept alive until the test ends.
///
/// `store_conformance_tests!(optional fresh)` takes a `fresh` returning
/// `Option<(Arc<dyn Store>, Guard)>` instead, for backends that need a server the machine may not
/// have: with `None` every test passes without running.
#[macro_export]
macro_rules! store_conformance_tests {
    (optional $fresh:path) => {
        $crate::__every_test! { __define_optional_tests!($fresh) }
    };
    ($fresh:path) => {
        $crate::__every_test! { __define_tests!($fresh) }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __define_optional_tests {
    ($fresh:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run_if_available($fresh, $crate::$module::$name);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __define_tests {
    ($fresh:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run($fresh, $crate::$module::$name);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __test_names {
    (; $($module:ident :: $name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

/// The one list of conformance tests; hands it to `$callback`.
#[doc(hidden)]
#[macro_export]
macro_rules! __every_test {
    ($callback:ident ! ($($args:tt)*)) => {
        $crate::$callback! { $($args)*;
            accounts::creating_a_user_with_a_taken_email_is_a_conflict,
            accounts::users_are_found_by_email_and_by_id_with_their_password_hash,
            accounts::sign_in_failures_are_counted_per_email_per_address_and_per_pair,
            accounts::creating_an_org_whose_name_is_taken_in_any_case_is_a_conflict,
            accounts::an_org_is_found_by_its_id,
            accounts::adding_a_member_twice_is_a_conflict,
            accounts::an_app_added_to_an_org_is_its_member_until_deleted,
            accounts::creating_a_project_whose_name_is_taken_in_its_org_is_a_conflict,
            accounts::a_session_finds_its_user_until_it_expires,
            accounts::a_deleted_session_finds_no_user,
            settings::setting_or_insert_keeps_the_first_writers_value,
            settings::ensure_signing_key_keeps_the_first_active_key,
            apps::created_apps_are_found_by_id_by_owner_and_by_secret_hash,
            apps::replacing_a_client_secret_revokes_exchanged_authorizations_and_announces_them,
            apps::replacing_the_secret_of_a_missing_app_is_not_found,
            apps::deleting_an_app_removes_its_credentials_and_leaves_its_revocations_on_the_feed,
            apps::deleting_a_missing_app_is_not_found,
            grants::a_stored_code_is_read_back_with_its_authorization,
            grants::redeem_code_succeeds_exactly_once_under_concurrency,
            grants::redeeming_a_used_code_again_revokes_its_authorization,
            grants::rotate_refresh_succeeds_exactly_once_under_concurrency,
            grants::rotated_refresh_tokens_form_a_chain_and_reusing_a_spent_one_revokes_it,
            grants::redeeming_or_rotating_under_a_replaced_secret_stores_nothing,
            feed::revoking_an_authorization_twice_announces_it_once,
            feed::revoking_a_users_authorizations_can_be_limited_to_one_app,
            feed::the_change_feed_lists_changes_oldest_first_after_a_sequence_number,
            feed::authorizations_revoked_since_lists_revocations_from_a_given_time,
            feed::authorizations_of_user_summarize_live_authorizations_per_app,
            feed::org_oauth_policy_changes_are_stored_and_announced,
            feed::setting_the_oauth_policy_of_a_missing_org_is_not_found,
            feed::change_notifications_wake_subscribers_after_feed_appends,
            operations::replacing_one_secret_slot_keeps_the_other_and_what_it_minted,
            operations::updating_an_app_changes_its_details_only,
            operations::audit_events_are_listed_newest_first_by_app_org_and_time,
            operations::admin_tokens_verify_by_hash_until_revoked,
            audit::audited_writes_record_their_event_with_the_change,
            audit::a_failed_write_records_no_event,
            audit::a_reused_credential_records_its_event_with_the_revocation,
            work::builds_are_numbered_by_the_store_and_listed_newest_first,
            work::work_items_are_found_only_in_their_project,
            work::a_work_item_update_lands_only_on_the_revision_it_was_made_from,
            work::work_items_are_listed_by_project_and_found_in_batches_within_their_org,
            work::the_store_answers_a_ping,
            dump::an_imported_dump_exports_back_unchanged_and_the_store_carries_on,
            dump::a_store_filled_through_its_api_exports_every_table,
            dump::importing_into_a_store_that_holds_any_row_is_a_conflict,
            standard::authorization_by_id_reads_it_in_any_state_until_its_app_is_deleted,
            standard::client_credentials_authorizations_follow_their_secret_version,
            standard::client_credentials_authorizations_are_not_the_owners_consents,
            standard::signing_keys_rotate_from_next_to_active_to_retired_to_gone,
            device::approval_is_seen_by_a_poll,
            device::a_user_code_is_claimed_by_one_user_and_decided_once,
            device::polling_too_fast_grows_the_interval_of_that_code,
            device::a_device_code_redeems_exactly_once_under_concurrency,
            certificates::certificates_are_added_listed_and_removed,
            certificates::certificates_per_app_are_limited_and_go_with_their_app,
            certificates::a_client_assertion_is_used_once_per_app,
            certificates::a_client_assertion_is_accepted_once_under_concurrency,
            standard::each_key_purpose_has_its_own_active_and_next_key,
            hooks::subscriptions_are_stored_replaced_and_deleted_within_their_org,
            hooks::an_outbox_row_is_written_with_the_change_or_not_at_all,
            hooks::events_are_queued_only_for_matching_enabled_subscriptions,
            hooks::a_claimed_row_is_not_claimed_again_until_its_lease_ends,
            hooks::delivered_rows_are_not_claimed,
            hooks::purging_removes_only_rows_delivered_before_the_cutoff,
            hooks::failures_back_off_and_disable_the_subscription_after_enough,
            hooks::a_full_queue_disables_the_subscription_instead_of_growing,
            hooks::concurrent_workers_never_claim_one_row_twice,
        }
    };
}

/// The name of every conformance test, in suite order.
pub const TEST_NAMES: &[&str] = __every_test!(__test_names!());

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::TEST_NAMES;

    /// Every module of tests, as source text.
    const SOURCES: &[&str] = &[
        include_str!("accounts.rs"),
        include_str!("apps.rs"),
        include_str!("audit.rs"),
        include_str!("certificates.rs"),
        include_str!("device.rs"),
        include_str!("dump.rs"),
        include_str!("feed.rs"),
        include_str!("grants.rs"),
        include_str!("hooks.rs"),
        include_str!("operations.rs"),
        include_str!("settings.rs"),
        include_str!("standard.rs"),
        include_str!("work.rs"),
    ];

    #[test]
    fn every_public_test_function_is_in_the_suite_list() {
        let defined: BTreeSet<&str> = SOURCES
            .iter()
            .flat_map(|src| src.lines())
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .filter_map(|rest| rest.split('(').next())
            .collect();
        let listed: BTreeSet<&str> = TEST_NAMES.iter().copied().collect();
        assert_eq!(defined, listed);
        assert_eq!(listed.len(), TEST_NAMES.len(), "a test is listed twice");
    }
}
