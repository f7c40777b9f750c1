//! How stored values read on a page: scopes by their catalogue titles (codes beside them in
//! small print), and times as a date with the time of day.

use keygate_core::scopes::{catalogue, ScopeInfo, ScopeSet};
use time::format_description::BorrowedFormatItem;

/// A scope as a person reads it.
#[derive(Debug, Clone)]
pub(crate) struct ScopeLabel {
    /// The scope string (`vso.work_write`), shown in small print.
    pub name: String,
    /// The catalogue's title (`Work items (read and write)`).
    pub title: &'static str,
    /// The catalogue's plain description.
    pub description: &'static str,
    /// Whether the catalogue marks it as powerful.
    pub high_privilege: bool,
}

impl From<&ScopeInfo> for ScopeLabel {
    fn from(info: &ScopeInfo) -> Self {
        Self {
            name: info.name.to_owned(),
            title: info.title,
            description: info.description,
            high_privilege: info.high_privilege,
        }
    }
}

impl ScopeLabel {
    /// Every scope of `scopes`, in canonical order; one the catalogue no longer knows keeps its
    /// code as its title.
    pub(crate) fn list(scopes: &ScopeSet) -> Vec<Self> {
        scopes
            .iter()
            .map(|name| match catalogue().get(name) {
                Some(info) => Self::from(info),
                None => Self {
                    name: name.to_owned(),
                    title: "",
                    description: "",
                    high_privilege: false,
                },
            })
            .collect()
    }

    /// The title, or the code when there is none.
    pub(crate) fn heading(&self) -> &str {
        if self.title.is_empty() {
            &self.name
        } else {
            self.title
        }
    }
}

/// `2026-11-25 09:30 UTC`: a date with the time of day, in UTC like the audit log.
pub(crate) fn date_time(t: i64) -> String {
    utc(
        t,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"),
    )
}

/// `2026-11-25 09:30:12 UTC`: to the second, for the audit log.
pub(crate) fn timestamp(t: i64) -> String {
    utc(
        t,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC"),
    )
}

fn utc(t: i64, format: &[BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_as_catalogue_titles_and_unknown_ones_as_their_code() {
        let labels = ScopeLabel::list(&ScopeSet::from_stored("vso.retired_thing vso.work_write"));
        let headings: Vec<&str> = labels.iter().map(ScopeLabel::heading).collect();
        assert_eq!(
            headings,
            ["vso.retired_thing", "Work items (read and write)"]
        );
        assert_eq!(labels[1].name, "vso.work_write");
    }

    #[test]
    fn times_show_the_date_and_the_time_of_day() {
        assert_eq!(date_time(1_764_063_012), "2025-11-25 09:30 UTC");
        assert_eq!(timestamp(1_764_063_012), "2025-11-25 09:30:12 UTC");
    }
}
