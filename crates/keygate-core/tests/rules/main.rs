//! The rules the use cases enforce (who may manage an app or an organization, who may read a
//! project's data, the one-alternative-secret rule) and the caches behind the one door to the
//! data, run on a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod apps;
mod caches;
mod certificates;
mod directory;
mod support;
