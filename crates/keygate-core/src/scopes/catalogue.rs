//! The scope catalogue, parsed once from `catalogue.tsv` compiled into the binary.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

const CATALOGUE_TSV: &str = include_str!("catalogue.tsv");

/// Whether a scope may be offered at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Offered to every app.
    Public,
    /// Offered, but only useful to organizations with the feature.
    Conditional,
    /// Used by the service itself; never offered.
    Internal,
    /// Retired; never offered, but still accepted in old apps' requests.
    Deprecated,
    /// Reserved by the system; never offered.
    System,
    /// An OpenID Connect scope (`openid`, `profile`, ...): never registered, always allowed on
    /// the standard code flow (OpenID Connect Core §5.4).
    OpenId,
}

/// One catalogue entry.
#[derive(Debug, Clone)]
pub struct ScopeInfo {
    /// The scope string, lower case (`vso.work_write`).
    pub name: &'static str,
    /// Title shown on the consent page.
    pub title: &'static str,
    /// The scope this one directly implies, if any.
    pub implies: Option<&'static str>,
    /// Whether the scope grants powerful access.
    pub high_privilege: bool,
    /// Where the scope may be used.
    pub availability: Availability,
    /// A plain description of what the scope lets an app do.
    pub description: &'static str,
    /// This scope and everything it implies, transitively.
    pub closure: BTreeSet<&'static str>,
}

impl ScopeInfo {
    /// Whether the registration form offers this scope.
    pub fn offered_at_registration(&self) -> bool {
        matches!(
            self.availability,
            Availability::Public | Availability::Conditional
        )
    }

    /// The area a scope belongs to, for grouping checkboxes (`vso.work_write` -> `work`).
    pub fn area(&self) -> &'static str {
        let base = self.name.strip_prefix("vso.").unwrap_or(self.name);
        let base = base.split(['_', '.']).next().unwrap_or(base);
        base
    }

    /// The area's name for people (`Work items`), or the bare area when it has none.
    pub fn area_title(&self) -> &'static str {
        super::areas::area_title(self.area()).unwrap_or(self.area())
    }
}

/// All known scopes, indexed by name.
#[derive(Debug)]
pub struct Catalogue {
    entries: Vec<ScopeInfo>,
    index: HashMap<&'static str, usize>,
}

impl Catalogue {
    /// Looks a scope up by its lower-case name.
    pub fn get(&self, name: &str) -> Option<&ScopeInfo> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// Every scope, in catalogue order.
    pub fn all(&self) -> &[ScopeInfo] {
        &self.entries
    }

    fn parse(tsv: &'static str) -> Self {
        let mut entries = Vec::new();
        for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let mut cols = line.split('\t');
            let mut next = || cols.next().unwrap_or("").trim();
            let name = next();
            let title = next();
            let implies = Some(next()).filter(|s| !s.is_empty());
            let high_privilege = next() == "yes";
            let availability = match next() {
                "public" => Availability::Public,
                "conditional" => Availability::Conditional,
                "deprecated" => Availability::Deprecated,
                "system" => Availability::System,
                "openid" => Availability::OpenId,
                _ => Availability::Internal,
            };
            let description = next();
            entries.push(ScopeInfo {
                name,
                title,
                implies,
                high_privilege,
                availability,
                description,
                closure: BTreeSet::new(),
            });
        }
        let index: HashMap<&'static str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name, i))
            .collect();
        for i in 0..entries.len() {
            let mut closure = BTreeSet::new();
            let mut cursor = Some(entries[i].name);
            // The chain is followed until it ends or loops; the catalogue is a forest.
            while let Some(name) = cursor {
                if !closure.insert(name) {
                    break;
                }
                cursor = index.get(name).and_then(|&j| entries[j].implies);
            }
            entries[i].closure = closure;
        }
        Self { entries, index }
    }
}

/// The catalogue, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::parse(CATALOGUE_TSV))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_row_with_a_description() {
        let c = catalogue();
        assert!(c.all().len() > 100);
        for s in c.all() {
            assert!(!s.title.is_empty(), "{} has no title", s.name);
            assert!(!s.description.is_empty(), "{} has no description", s.name);
        }
    }

    #[test]
    fn code_full_implies_the_whole_chain_down_to_base() {
        let c = catalogue();
        let closure = &c.get("vso.code_full").unwrap().closure;
        for s in [
            "vso.code_full",
            "vso.code_manage",
            "vso.code_write",
            "vso.code",
            "vso.hooks_write",
            "vso.hooks",
            "vso.profile",
            "vso.base",
        ] {
            assert!(closure.contains(s), "missing {s}");
        }
        assert!(!closure.contains("vso.work"));
    }

    #[test]
    fn every_offered_scope_has_an_area_name_for_people() {
        for s in catalogue()
            .all()
            .iter()
            .filter(|s| s.offered_at_registration())
        {
            assert!(
                super::super::areas::area_title(s.area()).is_some(),
                "{} (area {}) has no area name",
                s.name,
                s.area()
            );
        }
        let s = catalogue()
            .get("vso.memberentitlementmanagement_write")
            .unwrap();
        assert_eq!(s.area_title(), "Member entitlement management");
    }

    #[test]
    fn deprecated_scopes_still_parse_but_are_not_offered() {
        let s = catalogue().get("preview_api_all").unwrap();
        assert_eq!(s.availability, Availability::Deprecated);
        assert!(!s.offered_at_registration());
    }
}
