//! Records as the use cases see them; each backend maps its rows to these.

mod account;
mod admin;
mod app;
mod audit;
mod authorization;
mod certificate;
mod change;
mod device;
mod hooks;
mod work;

pub use account::{
    NewProject, NewSession, NewUser, Org, Project, Repository, SignInFailures, User,
    UserCredentials,
};
pub use admin::{AdminToken, NewAdminToken};
pub use app::{App, ClientKind, ClientSecret, NewApp, NewClientSecret, SecretSlot, SlottedSecret};
pub use audit::{Actor, AuditEvent, AuditKind, AuditQuery, NewAuditEvent};
pub use authorization::{
    Authorization, AuthorizationSummary, CodeRecord, NewAuthorization, NewCode, NewRefreshToken,
    RefreshRecord,
};
pub use certificate::{
    AddedCertificate, AppCertificate, UsedClientAssertion, CERTIFICATES_PER_APP,
};
pub use change::{
    Change, ChangeKind, ResealedKey, SigningKeyRecord, KEY_PURPOSE_ACCESS, KEY_PURPOSE_ID_TOKEN,
};
pub use device::{DeviceCodeRecord, DeviceCodeStatus, DeviceDecision, DevicePoll, NewDeviceCode};
pub use hooks::{
    HookDelivery, HookEventDraft, HookEventType, HookFailure, HookOutboxRecord, HookStatus,
    HookSubscription, HOOK_QUEUE_CAP,
};
pub use work::{Build, NewBuild, NewWorkItem, WorkItem};
