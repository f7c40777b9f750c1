//! The writes the audit log records, each with its event in the same transaction (see the
//! `Store` contract): the change and its record commit or roll back together. `store.rs` hands
//! these methods of the `Store` trait over to here.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, AuthorizationId, CertificateId, OrgId, UserId};
use keygate_core::model::*;
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::StoreError;

use crate::engine::Engine;
use crate::error::DbResultExt;
use crate::hot::HotWrite;
use crate::sql::*;
use crate::sql_store::SqlStore;
use crate::store::{always, transaction};

impl<E: Engine> SqlStore<E> {
    /// See [`Store::record_sign_in_failure`](keygate_core::Store::record_sign_in_failure).
    pub(crate) async fn record_sign_in_failure_audited(
        &self,
        email: &str,
        address: &str,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        transaction!(self, |c| async {
            accounts::record_sign_in_failure(&mut *c, email, address, at).await?;
            audit::record_audit_event(c, event).await
        })
    }

    /// See [`Store::set_org_oauth_policy`](keygate_core::Store::set_org_oauth_policy).
    pub(crate) async fn set_org_oauth_policy_audited(
        &self,
        org: OrgId,
        allowed: bool,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        let set = transaction!(self, |c| async {
            orgs::set_org_oauth_policy(&mut *c, org, allowed, at).await?;
            audit::record_audit_event(c, event).await
        });
        self.announce_if(set, always)
    }

    /// See [`Store::create_app`](keygate_core::Store::create_app).
    pub(crate) async fn create_app_audited(
        &self,
        app: NewApp,
        secret: NewClientSecret,
        event: NewAuditEvent,
    ) -> Result<App, StoreError> {
        transaction!(self, |c| async {
            let created = apps::create_app(&mut *c, app, secret).await?;
            audit::record_audit_event(c, event).await?;
            Ok(created)
        })
    }

    /// See [`Store::replace_client_secret`](keygate_core::Store::replace_client_secret).
    pub(crate) async fn replace_client_secret_audited(
        &self,
        app: AppId,
        slot: SecretSlot,
        secret: NewClientSecret,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<u64, StoreError> {
        let replaced = transaction!(self, |c| async {
            let revoked = apps::replace_client_secret(&mut *c, app, slot, secret, at).await?;
            audit::record_counted(c, event, revoked).await?;
            Ok(revoked)
        });
        self.announce_if(replaced, always)
    }

    /// See [`Store::update_app`](keygate_core::Store::update_app).
    pub(crate) async fn update_app_audited(
        &self,
        app: App,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<App, StoreError> {
        let updated = transaction!(self, |c| async {
            apps::update_app(&mut *c, &app, at).await?;
            audit::record_audit_event(c, event).await
        });
        self.announce_if(updated, always)?;
        apps::app_by_id(&mut *self.engine.read().await?, app.id)
            .await?
            .ok_or(StoreError::NotFound("app"))
    }

    /// See [`Store::delete_app`](keygate_core::Store::delete_app).
    pub(crate) async fn delete_app_audited(
        &self,
        app: AppId,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        let deleted = transaction!(self, |c| async {
            apps::delete_app(&mut *c, app, at).await?;
            audit::record_audit_event(c, event).await
        });
        self.announce_if(deleted, always)
    }

    /// See [`Store::add_app_certificate`](keygate_core::Store::add_app_certificate).
    pub(crate) async fn add_app_certificate_audited(
        &self,
        certificate: AppCertificate,
        event: NewAuditEvent,
    ) -> Result<AddedCertificate, StoreError> {
        transaction!(self, |c| async {
            let added = certificates::add_app_certificate(&mut *c, certificate).await?;
            if added == AddedCertificate::Added {
                audit::record_audit_event(c, event).await?;
            }
            Ok(added)
        })
    }

    /// See [`Store::remove_app_certificate`](keygate_core::Store::remove_app_certificate).
    pub(crate) async fn remove_app_certificate_audited(
        &self,
        app: AppId,
        id: CertificateId,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| async {
            let removed = certificates::remove_app_certificate(&mut *c, app, id).await?;
            if removed {
                audit::record_audit_event(c, event).await?;
            }
            Ok(removed)
        })
    }

    /// See [`Store::create_authorization`](keygate_core::Store::create_authorization).
    pub(crate) async fn create_authorization_audited(
        &self,
        authorization: NewAuthorization,
        code: NewCode,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        if E::HOT_PATHS {
            let hot = HotWrite::Consent {
                authorization: authorization.clone(),
                code: code.clone(),
                event: event.clone(),
            };
            if self.engine.write_hot(hot).await? {
                return Ok(());
            }
        }
        self.engine
            .grouped(move |c| {
                let (authorization, code, event) =
                    (authorization.clone(), code.clone(), event.clone());
                Box::pin(async move {
                    grants::insert_authorization(&mut *c, authorization, code).await?;
                    audit::record_audit_event(c, event).await
                })
            })
            .await
    }

    /// See [`Store::redeem_code`](keygate_core::Store::redeem_code).
    pub(crate) async fn redeem_code_audited(
        &self,
        code: TokenHash,
        refresh: NewRefreshToken,
        now: UnixTime,
        on_reuse: NewAuditEvent,
    ) -> Result<ConsumeOutcome, StoreError> {
        if E::HOT_PATHS {
            let hot = HotWrite::Redeem {
                code,
                refresh: refresh.clone(),
                now,
            };
            if self.engine.write_hot(hot).await? {
                return Ok(ConsumeOutcome::Consumed);
            }
        }
        let outcome = self
            .engine
            .grouped(move |c| {
                let (refresh, on_reuse) = (refresh.clone(), on_reuse.clone());
                Box::pin(async move {
                    let outcome = grants::redeem(&mut *c, code, refresh, now).await?;
                    if outcome == ConsumeOutcome::AlreadyUsed {
                        audit::record_audit_event(c, on_reuse).await?;
                    }
                    Ok(outcome)
                })
            })
            .await;
        self.announce_if(outcome, |o| *o == ConsumeOutcome::AlreadyUsed)
    }

    /// See [`Store::rotate_refresh`](keygate_core::Store::rotate_refresh).
    pub(crate) async fn rotate_refresh_audited(
        &self,
        old: TokenHash,
        successor: NewRefreshToken,
        now: UnixTime,
        on_reuse: NewAuditEvent,
    ) -> Result<ConsumeOutcome, StoreError> {
        if E::HOT_PATHS {
            let hot = HotWrite::Rotate {
                old,
                successor: successor.clone(),
                now,
            };
            if self.engine.write_hot(hot).await? {
                return Ok(ConsumeOutcome::Consumed);
            }
        }
        let outcome = self
            .engine
            .grouped(move |c| {
                let (successor, on_reuse) = (successor.clone(), on_reuse.clone());
                Box::pin(async move {
                    let outcome = grants::rotate(&mut *c, old, successor, now).await?;
                    if outcome == ConsumeOutcome::AlreadyUsed {
                        audit::record_audit_event(c, on_reuse).await?;
                    }
                    Ok(outcome)
                })
            })
            .await;
        self.announce_if(outcome, |o| *o == ConsumeOutcome::AlreadyUsed)
    }

    /// See [`Store::revoke_authorization`](keygate_core::Store::revoke_authorization).
    pub(crate) async fn revoke_authorization_audited(
        &self,
        id: AuthorizationId,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        let revoked = transaction!(self, |c| async {
            grants::revoke_one(&mut *c, &id, at).await?;
            audit::record_audit_event(c, event).await
        });
        self.announce_if(revoked, always)
    }

    /// See [`Store::revoke_user_authorizations`](keygate_core::Store::revoke_user_authorizations).
    pub(crate) async fn revoke_user_authorizations_audited(
        &self,
        user: UserId,
        app: Option<AppId>,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<u64, StoreError> {
        let revoked = transaction!(self, |c| async {
            let revoked = user_grants::revoke_user_authorizations(&mut *c, user, app, at).await?;
            if revoked > 0 {
                audit::record_counted(c, event, revoked).await?;
            }
            Ok(revoked)
        });
        self.announce_if(revoked, |count| *count > 0)
    }

    /// See [`Store::create_admin_token`](keygate_core::Store::create_admin_token).
    pub(crate) async fn create_admin_token_audited(
        &self,
        token: NewAdminToken,
        event: NewAuditEvent,
    ) -> Result<(), StoreError> {
        transaction!(self, |c| async {
            audit::create_admin_token(&mut *c, token).await?;
            audit::record_audit_event(c, event).await
        })
    }

    /// See [`Store::revoke_admin_token`](keygate_core::Store::revoke_admin_token).
    pub(crate) async fn revoke_admin_token_audited(
        &self,
        id: &str,
        at: UnixTime,
        event: NewAuditEvent,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c| async {
            let revoked = audit::revoke_admin_token(&mut *c, id, at).await?;
            if revoked {
                audit::record_audit_event(c, event).await?;
            }
            Ok(revoked)
        })
    }
}
