//! A normalized set of scopes: lower-cased, de-duplicated, sorted.

use std::collections::BTreeSet;
use std::fmt;

use super::catalogue::catalogue;

/// Why a scope string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// No scope at all was given.
    #[error("at least one scope is required")]
    Empty,
    /// A scope is not in the catalogue.
    #[error("unknown scope `{0}`")]
    Unknown(String),
}

/// A set of known scopes in canonical order (protocol §6: lower-cased and sorted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses a space-separated (or `+`/comma-separated) scope string; every scope must be known.
    pub fn parse(raw: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for part in raw
            .split([' ', '+', ',', '\t', '\n'])
            .filter(|s| !s.is_empty())
        {
            let scope = part.to_ascii_lowercase();
            if catalogue().get(&scope).is_none() {
                return Err(ScopeError::Unknown(part.to_owned()));
            }
            set.insert(scope);
        }
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Self(set))
    }

    /// Builds a set from scopes already known to be canonical (read back from storage).
    pub fn from_stored(raw: &str) -> Self {
        Self(
            raw.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The scopes in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// This set closed under implication: every scope any member implies, transitively.
    pub fn closure(&self) -> BTreeSet<&'static str> {
        let c = catalogue();
        self.iter()
            .filter_map(|s| c.get(s))
            .flat_map(|info| info.closure.iter().copied())
            .collect()
    }

    /// Whether a holder of this set may use an endpoint that requires `required`. Entra's
    /// `user_impersonation` (full access of the user; only Entra grants carry it) allows all.
    pub fn allows(&self, required: &str) -> bool {
        if self.contains(crate::entra::scopes::USER_IMPERSONATION) {
            return true;
        }
        let c = catalogue();
        self.iter()
            .filter_map(|s| c.get(s))
            .any(|info| info.closure.contains(required))
    }
}

impl ScopeSet {
    /// This set with `more` known scopes added.
    pub fn with<'a>(mut self, more: impl IntoIterator<Item = &'a str>) -> ScopeSet {
        let c = catalogue();
        for scope in more {
            if c.get(scope).is_some() {
                self.0.insert(scope.to_owned());
            }
        }
        self
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// The scopes an app registers (everything but the OpenID Connect scopes, which every app
    /// may ask for).
    pub fn registrable_part(&self) -> ScopeSet {
        let c = catalogue();
        Self(
            self.0
                .iter()
                .filter(|s| {
                    c.get(s)
                        .is_none_or(|info| info.availability != super::Availability::OpenId)
                })
                .cloned()
                .collect(),
        )
    }
}

impl fmt::Display for ScopeSet {
    /// Space separated, sorted: the form stored and put in `scp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_lower_cased_sorted_and_deduplicated() {
        let s = ScopeSet::parse("vso.Work_Write  vso.code vso.code+vso.build").unwrap();
        assert_eq!(s.to_string(), "vso.build vso.code vso.work_write");
    }

    #[test]
    fn unknown_and_empty_scope_strings_are_refused() {
        assert_eq!(ScopeSet::parse("  "), Err(ScopeError::Empty));
        assert!(matches!(
            ScopeSet::parse("vso.code vso.nope"),
            Err(ScopeError::Unknown(_))
        ));
    }

    #[test]
    fn openid_scopes_parse_and_are_not_registrable() {
        let s = ScopeSet::parse("openid profile vso.work").unwrap();
        assert!(s.contains("openid"));
        assert_eq!(s.registrable_part().to_string(), "vso.work");
    }

    #[test]
    fn implied_scopes_allow_weaker_endpoints() {
        let s = ScopeSet::parse("vso.work_write").unwrap();
        assert!(s.allows("vso.work"));
        assert!(s.allows("vso.profile"));
        assert!(!s.allows("vso.code"));
    }
}
