//! The change feed.

use keygate_core::dump::DumpedChange;
use keygate_core::model::{Change, ChangeKind};

use crate::table::table;

table! {
    /// One change, by its sequence number.
    pub struct ChangeRow in "changes" by "seq", columns change_columns {
        seq: i64,
        kind: String,
        subject: String,
        at: i64,
    }
}

impl From<ChangeRow> for Change {
    /// A kind this build does not know (written by a newer one) comes back as `Unknown`, so a
    /// reader still advances past it during a rolling upgrade.
    fn from(r: ChangeRow) -> Self {
        Change {
            seq: r.seq,
            kind: ChangeKind::from_stored(&r.kind),
            subject: r.subject,
            at: r.at,
        }
    }
}

impl From<ChangeRow> for DumpedChange {
    fn from(r: ChangeRow) -> Self {
        DumpedChange {
            seq: r.seq,
            kind: r.kind,
            subject: r.subject,
            at: r.at,
        }
    }
}

impl From<DumpedChange> for ChangeRow {
    fn from(c: DumpedChange) -> Self {
        ChangeRow {
            seq: c.seq,
            kind: c.kind,
            subject: c.subject,
            at: c.at,
        }
    }
}
