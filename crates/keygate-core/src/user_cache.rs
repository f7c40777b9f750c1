//! Users by id, kept in memory for the bearer-protected API, which names the token's user on
//! nearly every call.
//!
//! A user never changes once created (the store has no update or delete for users), so a user
//! found once is simply kept until the bounded cache evicts it; nothing needs invalidating. A user
//! not found is asked of the store every time.

use quick_cache::sync::Cache;

use crate::ids::UserId;
use crate::model::User;
use crate::store::{Store, StoreError};

/// Users each node keeps at most (the least used go first).
pub(crate) const USER_CACHE_ENTRIES: usize = 10_000;

/// The node's cache of users by id; see the module docs.
pub(crate) struct UserCache {
    users: Cache<UserId, User>,
}

impl Default for UserCache {
    fn default() -> Self {
        Self {
            users: Cache::new(USER_CACHE_ENTRIES),
        }
    }
}

impl std::fmt::Debug for UserCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCache")
            .field("users", &self.users.len())
            .finish()
    }
}

impl UserCache {
    /// The user `id`, if one exists.
    pub(crate) async fn user(
        &self,
        store: &dyn Store,
        id: UserId,
    ) -> Result<Option<User>, StoreError> {
        if let Some(found) = self.users.get(&id) {
            return Ok(Some(found));
        }
        let found = store.user_by_id(id).await?;
        if let Some(user) = &found {
            self.users.insert(id, user.clone());
        }
        Ok(found)
    }
}
