//! Exporting every row and importing it into an empty store (`keygate db copy`): what goes in
//! comes back out unchanged, and the imported store carries on from it.

use std::sync::Arc;

use keygate_core::dump::*;
use keygate_core::ids::{
    AccessId, AuthorizationId, HookSubscriptionId, OrgId, ProjectId, RepositoryId, SecretId, UserId,
};
use keygate_core::model::*;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::{Store, StoreError};

use crate::fixtures::{
    app, exchanged_grant, new_app, new_secret, org, refresh_token, scopes, user, NOW,
};

/// A dump with rows in every table, consistent with each other, ordered as an export orders them.
pub fn sample_dump() -> Dump {
    let ada = UserId::new_random();
    let org_id = OrgId::new_random();
    let project_id = ProjectId::new_random();
    let app = App {
        may_introspect: true,
        ..new_app(ada, "Copied", NOW)
    };
    let app_id = app.id;
    let secret = SecretId::new_random();
    let alternative = SecretId::new_random();
    let (live, revoked) = (AuthorizationId::new_random(), AuthorizationId::new_random());
    let (spent, current) = (
        TokenHash::of("spent refresh"),
        TokenHash::of("live refresh"),
    );
    let refresh = |hash, parent, used_at| DumpedRefreshToken {
        hash,
        access_id: AccessId::new_random(),
        authorization_id: live,
        parent_hash: parent,
        secret_id: Some(secret),
        created_at: NOW,
        expires_at: NOW + 1000,
        used_at,
    };
    let authorization = |id, revoked_at| DumpedAuthorization {
        id,
        user_id: ada,
        app_id: app.id,
        scopes: scopes("vso.work"),
        created_at: NOW,
        revoked_at,
        secret_id: Some(secret),
        client_credentials: false,
    };
    let mut refresh_tokens = vec![
        refresh(spent, None, Some(NOW + 1)),
        refresh(current, Some(spent), None),
    ];
    refresh_tokens.sort_by_key(|r| r.hash.0);
    let mut authorizations = vec![
        authorization(live, None),
        authorization(revoked, Some(NOW + 2)),
    ];
    authorizations.sort_by_key(|a| a.id.to_string());
    // Both slots filled, each version with its own creation and expiry time.
    let mut client_secrets = vec![
        DumpedSecret {
            secret: ClientSecret {
                id: secret,
                app_id,
                created_at: NOW,
                expires_at: NOW + 9999,
            },
            slot: SecretSlot::Primary,
            hash: TokenHash::of("the copied secret"),
        },
        DumpedSecret {
            secret: ClientSecret {
                id: alternative,
                app_id,
                created_at: NOW + 10,
                expires_at: NOW + 500,
            },
            slot: SecretSlot::Alternative,
            hash: TokenHash::of("the copied alternative secret"),
        },
    ];
    client_secrets.sort_by_key(|s| s.secret.id.to_string());
    let subscription = HookSubscription {
        id: HookSubscriptionId::new_random(),
        org_id,
        event_type: HookEventType::WorkItemUpdated,
        project_id: Some(project_id),
        consumer_url: "https://hooks.example.com/keygate".into(),
        http_headers: "X-Token: abc".into(),
        status: HookStatus::Enabled,
        created_by: ada,
        created_at: NOW,
        modified_at: NOW + 1,
        failure_count: 1,
        last_error: Some("HTTP 503".into()),
        last_error_at: Some(NOW + 2),
    };
    // One device code approved, redeemed and polled; one pending that nobody entered.
    let mut device_codes = vec![
        DumpedDeviceCode {
            hash: TokenHash::of("redeemed device code"),
            user_code_hash: TokenHash::of("BCDFGHJK"),
            app_id,
            scopes: scopes("vso.work"),
            created_at: NOW,
            expires_at: NOW + 900,
            interval: 10,
            last_polled_at: Some(NOW + 20),
            status: DeviceCodeStatus::Approved,
            user_id: Some(ada),
            authorization_id: Some(live),
            decided_at: Some(NOW + 15),
            used_at: Some(NOW + 20),
        },
        DumpedDeviceCode {
            hash: TokenHash::of("pending device code"),
            user_code_hash: TokenHash::of("LMNPQRST"),
            app_id,
            scopes: scopes("vso.work"),
            created_at: NOW,
            expires_at: NOW + 900,
            interval: 5,
            last_polled_at: None,
            status: DeviceCodeStatus::Pending,
            user_id: None,
            authorization_id: None,
            decided_at: None,
            used_at: None,
        },
    ];
    device_codes.sort_by_key(|d| d.hash.0);
    Dump {
        users: vec![DumpedUser {
            user: User {
                id: ada,
                email: "ada@example.com".into(),
                display_name: "Ada".into(),
                public_alias: "ada".into(),
                created_at: NOW,
            },
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        }],
        sign_in_failures: vec![
            SignInFailure {
                email: "ada@example.com".into(),
                at: NOW - 5,
                address: None,
            },
            SignInFailure {
                email: "ada@example.com".into(),
                at: NOW - 4,
                address: Some("2001:db8:1:2::/64".into()),
            },
        ],
        orgs: vec![Org {
            id: org_id,
            name: "Fabrikam".into(),
            owner_id: ada,
            third_party_oauth_allowed: false,
            created_at: NOW,
        }],
        org_members: vec![OrgMember {
            org_id,
            user_id: ada,
        }],
        projects: vec![Project {
            id: project_id,
            org_id,
            name: "Fiber".into(),
            description: "copied".into(),
            created_at: NOW,
        }],
        repositories: vec![Repository {
            id: RepositoryId::new_random(),
            project_id,
            name: "Fiber".into(),
            default_branch: "refs/heads/main".into(),
        }],
        sessions: vec![DumpedSession {
            hash: TokenHash::of("session"),
            user_id: ada,
            created_at: NOW,
            expires_at: NOW + 3600,
        }],
        settings: vec![DumpedSetting {
            name: "csrf_key".into(),
            value: vec![0, 1, 2, 255],
        }],
        signing_keys: vec![SigningKeyRecord {
            kid: "k1".into(),
            algorithm: "ES256".into(),
            private_der: vec![48, 1, 2, 3],
            state: "active".into(),
            created_at: NOW,
            retired_at: None,
            purpose: "access".into(),
        }],
        client_secrets,
        org_apps: vec![OrgApp {
            org_id,
            app_id: app.id,
        }],
        apps: vec![app],
        authorizations,
        codes: vec![DumpedCode {
            hash: TokenHash::of("code"),
            authorization_id: live,
            redirect_uri: "https://example.com/callback".into(),
            code_challenge: None,
            expires_at: NOW + 300,
            used_at: Some(NOW + 1),
        }],
        refresh_tokens,
        changes: vec![
            DumpedChange {
                seq: 5,
                kind: "keys_changed".into(),
                subject: "k1".into(),
                at: NOW,
            },
            DumpedChange {
                seq: 9,
                kind: "authorization_revoked".into(),
                subject: revoked.to_string(),
                at: NOW + 2,
            },
            DumpedChange {
                seq: 11,
                kind: "from_a_newer_build".into(),
                subject: "x".into(),
                at: NOW + 3,
            },
        ],
        builds: vec![Build {
            id: 42,
            project_id,
            build_number: "20261125.1".into(),
            definition_name: "CI".into(),
            status: "completed".into(),
            result: "succeeded".into(),
            source_branch: "refs/heads/main".into(),
            requested_for: ada,
            queue_time: NOW,
        }],
        work_items: vec![WorkItem {
            id: 7,
            project_id,
            rev: 1,
            work_item_type: "Task".into(),
            fields_json: r#"{"System.Title":"Copy me"}"#.into(),
            created_by: ada,
            created_at: NOW,
        }],
        // Gaps in the ids, every optional column both set and empty, an IPv6 address, and a
        // kind and actor this build does not know: all kept as stored.
        audit_events: vec![
            DumpedAuditEvent {
                id: 3,
                at: NOW,
                kind: "app_registered".into(),
                actor: format!("user:{ada}"),
                target: format!("app:{app_id}"),
                app_id: Some(app_id.to_string()),
                org_id: None,
                client_addr: Some("192.0.2.7".into()),
                detail: "Copied".into(),
            },
            DumpedAuditEvent {
                id: 8,
                at: NOW + 1,
                kind: "policy_changed".into(),
                actor: "cli".into(),
                target: format!("org:{org_id}"),
                app_id: None,
                org_id: Some(org_id.to_string()),
                client_addr: None,
                detail: "deny".into(),
            },
            DumpedAuditEvent {
                id: 12,
                at: NOW + 2,
                kind: "from_a_newer_build".into(),
                actor: "robot:r2".into(),
                target: "unknown".into(),
                app_id: Some(app_id.to_string()),
                org_id: Some(org_id.to_string()),
                client_addr: Some("2001:db8::7".into()),
                detail: String::new(),
            },
        ],
        admin_tokens: vec![
            DumpedAdminToken {
                token: AdminToken {
                    id: "adm1".into(),
                    name: "deploy".into(),
                    created_at: NOW,
                    revoked_at: None,
                },
                hash: TokenHash::of("the admin token"),
            },
            DumpedAdminToken {
                token: AdminToken {
                    id: "adm2".into(),
                    name: "retired".into(),
                    created_at: NOW + 1,
                    revoked_at: Some(NOW + 4),
                },
                hash: TokenHash::of("the revoked admin token"),
            },
        ],
        device_codes,
        hook_subscriptions: vec![subscription.clone()],
        // One event delivered, one failed once and waiting for its retry.
        hook_outbox: vec![
            HookOutboxRecord {
                id: 11,
                subscription_id: subscription.id,
                event_id: "e1".into(),
                event_type: HookEventType::WorkItemCreated,
                work_item_id: 7,
                work_item_rev: 1,
                project_id,
                fields_json: r#"{"System.Title":"Copy me"}"#.into(),
                old_fields_json: None,
                created_at: NOW,
                attempts: 1,
                next_attempt_at: NOW,
                lease_owner: None,
                lease_until: None,
                last_error: None,
                delivered_at: Some(NOW + 1),
            },
            HookOutboxRecord {
                id: 12,
                subscription_id: subscription.id,
                event_id: "e2".into(),
                event_type: HookEventType::WorkItemUpdated,
                work_item_id: 7,
                work_item_rev: 2,
                project_id,
                fields_json: r#"{"System.Title":"Copied"}"#.into(),
                old_fields_json: Some(r#"{"System.Title":"Copy me"}"#.into()),
                created_at: NOW + 2,
                attempts: 1,
                next_attempt_at: NOW + 60,
                lease_owner: Some("node-a".into()),
                lease_until: Some(NOW + 3),
                last_error: Some("HTTP 503".into()),
                delivered_at: None,
            },
        ],
        app_certificates: vec![crate::certificates::certificate(app_id, "copied", NOW + 1)],
        client_assertion_jtis: vec![UsedClientAssertion {
            app_id,
            jti_hash: TokenHash::of("a used assertion"),
            expires_at: NOW + 600,
        }],
    }
}

/// A dump imported into an empty store is exported back exactly, and the store goes on from it:
/// credentials verify, the live refresh token rotates, and numbering continues after the copy.
pub async fn an_imported_dump_exports_back_unchanged_and_the_store_carries_on(
    store: Arc<dyn Store>,
) {
    let dump = sample_dump();
    assert!(
        dump.counts().iter().all(|(_, n)| *n > 0),
        "the sample fills every table"
    );
    store.import_dump(dump.clone()).await.expect("import");
    assert_eq!(store.export_dump().await.expect("export"), dump);

    let ada = &dump.users[0];
    let found = store
        .user_credentials("ada@example.com")
        .await
        .expect("user")
        .expect("ada");
    assert_eq!(found.password_hash, ada.password_hash);
    assert_eq!(
        store
            .session_user(TokenHash::of("session"), NOW)
            .await
            .expect("session"),
        Some(ada.user.clone())
    );
    secrets_verify_in_their_slots(&*store, &dump).await;
    admin_tokens_keep_their_revocation(&*store, &dump).await;
    the_audit_log_reads_back_as_dumped(&*store, &dump).await;
    assert_eq!(
        store.orgs_denying_oauth().await.expect("orgs"),
        vec!["Fabrikam".to_owned()]
    );

    // The live end of the copied chain rotates; the spent one counts as reuse.
    let live = dump
        .refresh_tokens
        .iter()
        .find(|r| r.used_at.is_none())
        .expect("live token");
    let next = refresh_token(
        live.authorization_id,
        live.secret_id,
        "after the copy",
        NOW + 5,
    );
    let outcome = store
        .rotate_refresh(live.hash, next, NOW + 5, crate::fixtures::audit())
        .await
        .expect("rotate");
    assert_eq!(outcome, ConsumeOutcome::Consumed);

    // Numbering continues after the copied numbers.
    assert_eq!(store.change_head().await.expect("head"), 11);
    let org = dump.orgs[0].id;
    store
        .set_org_oauth_policy(org, true, NOW + 6, crate::fixtures::audit())
        .await
        .expect("policy");
    let changes = store.changes_since(11, 10).await.expect("changes");
    assert_eq!(changes.len(), 1);
    assert!(changes[0].seq > 11);
    let build = Build {
        id: 0,
        ..dump.builds[0].clone()
    };
    assert!(store.queue_build(build).await.expect("build").id > 42);
    let item = WorkItem {
        id: 0,
        ..dump.work_items[0].clone()
    };
    assert!(
        store
            .create_work_item(item, &crate::fixtures::change())
            .await
            .expect("work item")
            .id
            > 7
    );
    let token = store
        .admin_token_by_hash(TokenHash::of("the admin token"))
        .await
        .expect("admin token");
    assert_eq!(token.map(|t| t.id), Some("adm1".to_owned()));
    let event = store
        .audit_events(AuditQuery::default())
        .await
        .expect("audit")
        .remove(0);
    store.record_audit_event(event.event).await.expect("record");
    let newest = store
        .audit_events(AuditQuery::default())
        .await
        .expect("audit");
    assert!(newest[0].id > 3, "audit ids continue after the copy");
    assert_eq!(
        store
            .setting_or_insert("csrf_key", b"other")
            .await
            .expect("setting"),
        vec![0, 1, 2, 255]
    );
}

/// Every secret version of the dump verifies by its hash, in its slot, with its own expiry.
async fn secrets_verify_in_their_slots(store: &dyn Store, dump: &Dump) {
    for dumped in &dump.client_secrets {
        assert_eq!(
            store
                .client_secret_by_hash(dumped.hash)
                .await
                .expect("secret"),
            Some(dumped.secret.clone()),
            "the {} secret verifies after the copy",
            dumped.slot.as_str()
        );
    }
    let app = dump.apps[0].id;
    let mut expected: Vec<_> = dump
        .client_secrets
        .iter()
        .map(|s| (s.slot, s.secret.clone()))
        .collect();
    expected.sort_by_key(|(slot, _)| *slot);
    let held: Vec<_> = store
        .client_secrets_of_app(app)
        .await
        .expect("secrets of app")
        .into_iter()
        .map(|s| (s.slot, s.secret))
        .collect();
    assert_eq!(held, expected, "each version stays in its slot");
}

/// Every admin token of the dump is listed as dumped; only the live ones verify.
async fn admin_tokens_keep_their_revocation(store: &dyn Store, dump: &Dump) {
    let records: Vec<AdminToken> = dump.admin_tokens.iter().map(|t| t.token.clone()).collect();
    assert_eq!(store.admin_tokens().await.expect("admin tokens"), records);
    assert!(
        records.iter().any(|t| t.revoked_at.is_some()),
        "the dump holds a revoked token"
    );
    for dumped in &dump.admin_tokens {
        let found = store
            .admin_token_by_hash(dumped.hash)
            .await
            .expect("admin token");
        let live = dumped.token.revoked_at.is_none();
        assert_eq!(
            found,
            live.then(|| dumped.token.clone()),
            "admin token {} verifies only if it was live",
            dumped.token.id
        );
    }
}

/// The audit log reads back newest first with every column as dumped, and its app and
/// organization filters find the copied events.
async fn the_audit_log_reads_back_as_dumped(store: &dyn Store, dump: &Dump) {
    let expected: Vec<AuditEvent> = dump
        .audit_events
        .iter()
        .rev()
        .map(|e| AuditEvent {
            id: e.id,
            event: NewAuditEvent {
                at: e.at,
                kind: AuditKind::from_stored(&e.kind),
                actor: Actor::from_stored(&e.actor),
                target: e.target.clone(),
                app_id: e.app_id.as_deref().map(|a| a.parse().expect("app id")),
                org_id: e.org_id.as_deref().map(|o| o.parse().expect("org id")),
                client_addr: e
                    .client_addr
                    .as_deref()
                    .map(|a| a.parse().expect("address")),
                detail: e.detail.clone(),
            },
        })
        .collect();
    let all = store
        .audit_events(AuditQuery::default())
        .await
        .expect("audit");
    assert_eq!(all, expected);
    let ids = |events: Vec<AuditEvent>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let of_app = store
        .audit_events(AuditQuery {
            app: Some(dump.apps[0].id),
            ..AuditQuery::default()
        })
        .await
        .expect("audit of app");
    assert_eq!(ids(of_app), vec![12, 3]);
    let of_org = store
        .audit_events(AuditQuery {
            org: Some(dump.orgs[0].id),
            ..AuditQuery::default()
        })
        .await
        .expect("audit of org");
    assert_eq!(ids(of_org), vec![12, 8]);
}

/// What the store's own operations wrote is all in its export, lifecycle columns included.
pub async fn a_store_filled_through_its_api_exports_every_table(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let fiber = store
        .create_project(NewProject {
            project: Project {
                id: ProjectId::new_random(),
                org_id: fabrikam.id,
                name: "Fiber".into(),
                description: String::new(),
                created_at: NOW,
            },
            repository_id: RepositoryId::new_random(),
        })
        .await
        .expect("project");
    let tracker = app(&*store, ada.id, "Tracker").await;
    store
        .add_org_app(fabrikam.id, tracker.app.id)
        .await
        .expect("app membership");
    let mut alternative = new_secret(tracker.app.id, "the alternative");
    alternative.secret.created_at = NOW + 1;
    alternative.secret.expires_at = NOW + 777;
    store
        .replace_client_secret(
            tracker.app.id,
            SecretSlot::Alternative,
            alternative.clone(),
            NOW + 1,
            crate::fixtures::audit(),
        )
        .await
        .expect("alternative secret");
    let (grant, first) = exchanged_grant(&*store, ada.id, tracker.app.id, tracker.secret.id).await;
    let next = refresh_token(grant.id, Some(tracker.secret.id), "second", NOW + 2);
    let second = next.hash;
    store
        .rotate_refresh(first, next, NOW + 2, crate::fixtures::audit())
        .await
        .expect("rotate");
    store
        .revoke_authorization(grant.id, NOW + 3, crate::fixtures::audit())
        .await
        .expect("revoke");
    store
        .record_sign_in_failure(
            "ada@example.com",
            "192.0.2.1",
            NOW,
            crate::fixtures::audit(),
        )
        .await
        .expect("failure");
    store
        .create_session(NewSession {
            hash: TokenHash::of("session"),
            user_id: ada.id,
            created_at: NOW,
            expires_at: NOW + 60,
        })
        .await
        .expect("session");
    store
        .setting_or_insert("csrf_key", b"key")
        .await
        .expect("setting");
    let key = SigningKeyRecord {
        kid: "k1".into(),
        algorithm: "ES256".into(),
        private_der: vec![48, 1],
        state: "active".into(),
        created_at: NOW,
        retired_at: None,
        purpose: "access".into(),
    };
    store.ensure_signing_key(key).await.expect("signing key");
    store
        .record_audit_event(NewAuditEvent {
            at: NOW,
            kind: AuditKind::AppRegistered,
            actor: Actor::User(ada.id),
            target: format!("app:{}", tracker.app.id),
            app_id: Some(tracker.app.id),
            org_id: None,
            client_addr: None,
            detail: String::new(),
        })
        .await
        .expect("audit event");
    store
        .record_audit_event(NewAuditEvent {
            at: NOW + 4,
            kind: AuditKind::PolicyChanged,
            actor: Actor::Cli,
            target: format!("org:{}", fabrikam.id),
            app_id: None,
            org_id: Some(fabrikam.id),
            client_addr: Some("198.51.100.4".parse().expect("address")),
            detail: "deny".into(),
        })
        .await
        .expect("audit event");
    for (id, name, value) in [("adm", "ci", "admin"), ("old", "retired", "old admin")] {
        store
            .create_admin_token(
                NewAdminToken {
                    token: AdminToken {
                        id: id.into(),
                        name: name.into(),
                        created_at: NOW,
                        revoked_at: None,
                    },
                    hash: TokenHash::of(value),
                },
                crate::fixtures::audit(),
            )
            .await
            .expect("admin token");
    }
    assert!(store
        .revoke_admin_token("old", NOW + 5, crate::fixtures::audit())
        .await
        .expect("revoke admin token"));
    let sample = sample_dump();
    let build = Build {
        id: 0,
        project_id: fiber.id,
        requested_for: ada.id,
        ..sample.builds[0].clone()
    };
    store.queue_build(build).await.expect("build");
    let item = WorkItem {
        id: 0,
        project_id: fiber.id,
        created_by: ada.id,
        ..sample.work_items[0].clone()
    };
    crate::hooks::subscribe(
        &*store,
        fabrikam.id,
        Some(fiber.id),
        HookEventType::WorkItemCreated,
        ada.id,
    )
    .await;
    store
        .create_work_item(item, &crate::fixtures::change())
        .await
        .expect("work item");

    crate::device::device_code(&*store, tracker.app.id, "copied").await;
    store
        .add_app_certificate(
            crate::certificates::certificate(tracker.app.id, "copied", NOW),
            crate::fixtures::audit(),
        )
        .await
        .expect("certificate");
    let used = UsedClientAssertion {
        app_id: tracker.app.id,
        jti_hash: TokenHash::of("copied jti"),
        expires_at: NOW + 600,
    };
    store.use_client_assertion(used, NOW).await.expect("jti");

    let dump = store.export_dump().await.expect("export");
    for (table, rows) in dump.counts() {
        assert!(rows > 0, "{table} is missing from the export");
    }
    let mut secrets = vec![
        DumpedSecret {
            secret: tracker.secret.clone(),
            slot: SecretSlot::Primary,
            hash: tracker.secret_hash,
        },
        DumpedSecret {
            secret: alternative.secret.clone(),
            slot: SecretSlot::Alternative,
            hash: alternative.hash,
        },
    ];
    secrets.sort_by_key(|s| s.secret.id.to_string());
    assert_eq!(
        dump.client_secrets, secrets,
        "both slots, with their expiry"
    );
    assert_eq!(
        dump.admin_tokens,
        vec![
            DumpedAdminToken {
                token: AdminToken {
                    id: "adm".into(),
                    name: "ci".into(),
                    created_at: NOW,
                    revoked_at: None,
                },
                hash: TokenHash::of("admin"),
            },
            DumpedAdminToken {
                token: AdminToken {
                    id: "old".into(),
                    name: "retired".into(),
                    created_at: NOW,
                    revoked_at: Some(NOW + 5),
                },
                hash: TokenHash::of("old admin"),
            },
        ]
    );
    // The writes above that record an event took the placeholder one; this test checks events
    // written for their own sake.
    let events: Vec<_> = dump
        .audit_events
        .iter()
        .filter(|e| e.kind != "conformance")
        .map(|e| DumpedAuditEvent { id: 0, ..e.clone() })
        .collect();
    assert_eq!(
        events,
        vec![
            DumpedAuditEvent {
                id: 0,
                at: NOW,
                kind: "app_registered".into(),
                actor: format!("user:{}", ada.id),
                target: format!("app:{}", tracker.app.id),
                app_id: Some(tracker.app.id.to_string()),
                org_id: None,
                client_addr: None,
                detail: String::new(),
            },
            DumpedAuditEvent {
                id: 0,
                at: NOW + 4,
                kind: "policy_changed".into(),
                actor: "cli".into(),
                target: format!("org:{}", fabrikam.id),
                app_id: None,
                org_id: Some(fabrikam.id.to_string()),
                client_addr: Some("198.51.100.4".into()),
                detail: "deny".into(),
            },
        ]
    );
    assert!(
        dump.audit_events[0].id < dump.audit_events[1].id,
        "the log keeps its order"
    );
    let copied = dump
        .authorizations
        .iter()
        .find(|a| a.id == grant.id)
        .expect("authorization");
    assert_eq!(copied.revoked_at, Some(NOW + 3));
    assert_eq!(copied.secret_id, Some(tracker.secret.id));
    let successor = dump
        .refresh_tokens
        .iter()
        .find(|r| r.hash == second)
        .expect("successor");
    assert_eq!(successor.parent_hash, Some(first));
    assert_eq!(
        dump.sign_in_failures,
        vec![SignInFailure {
            email: "ada@example.com".into(),
            at: NOW,
            address: Some("192.0.2.1".into()),
        }]
    );
    assert!(dump
        .changes
        .iter()
        .any(|c| c.kind == "authorization_revoked" && c.subject == grant.id.to_string()));
}

/// A copy never merges into a database in use: one row anywhere refuses the whole import.
pub async fn importing_into_a_store_that_holds_any_row_is_a_conflict(store: Arc<dyn Store>) {
    store
        .record_sign_in_failure("someone@example.com", "-", NOW, crate::fixtures::audit())
        .await
        .expect("failure");
    let result = store.import_dump(sample_dump()).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let dump = store.export_dump().await.expect("export");
    // The failure and its audit event: nothing was imported.
    assert_eq!(dump.row_count(), 2, "nothing was imported");
}
