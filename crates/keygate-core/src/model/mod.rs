//! Records as the use cases see them; each backend maps its rows to these.

mod account;
mod app;
mod authorization;
mod change;
mod work;

pub use account::{
    NewProject, NewSession, NewUser, Org, Project, Repository, User, UserCredentials,
};
pub use app::{App, ClientKind, ClientSecret, NewApp, NewClientSecret};
pub use authorization::{
    Authorization, AuthorizationSummary, CodeRecord, NewAuthorization, NewCode, NewRefreshToken,
    RefreshRecord,
};
pub use change::{Change, ChangeKind, SigningKeyRecord};
pub use work::{Build, NewBuild, NewWorkItem, WorkItem};
