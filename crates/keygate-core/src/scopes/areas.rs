//! People's names for the areas scopes are grouped by on the registration page: the area is
//! the scope name's first word (`vso.work_write` -> `work`), which reads badly on its own
//! (`memberentitlementmanagement`).

/// Area -> the name a person sees. Areas that belong together share a name, so they share a
/// group (`auditlog` and `auditstreams` are both "Auditing").
const AREA_TITLES: &[(&str, &str)] = &[
    ("profile", "User profile"),
    ("identity", "Identity"),
    ("work", "Work items"),
    ("build", "Build"),
    ("code", "Code"),
    ("threads", "Pull request threads"),
    ("agentpools", "Agent pools"),
    ("packaging", "Packaging"),
    ("test", "Test management"),
    ("extension", "Extensions"),
    ("gallery", "Marketplace"),
    ("entitlements", "Entitlements"),
    ("release", "Release"),
    ("securefiles", "Secure files"),
    ("machinegroup", "Deployment groups"),
    ("taskgroups", "Task groups"),
    ("variablegroups", "Variable groups"),
    ("serviceendpoint", "Service endpoints"),
    ("drop", "Build drops"),
    ("blobstore", "Build blob store"),
    ("buildcache", "Build cache"),
    ("project", "Projects and teams"),
    ("symbols", "Symbols"),
    ("analytics", "Analytics"),
    ("gh", "GitHub analytics"),
    ("dashboards", "Team dashboards"),
    ("connected", "Connected server"),
    ("notification", "Notifications"),
    ("graph", "Graph"),
    ("security", "Security"),
    (
        "memberentitlementmanagement",
        "Member entitlement management",
    ),
    ("wiki", "Wiki"),
    ("tokenadministration", "Tokens"),
    ("tokens", "Tokens"),
    ("auditlog", "Auditing"),
    ("auditstreams", "Auditing"),
    ("environment", "Environments"),
    ("pipelineresources", "Pipeline resources"),
    ("advsec", "Advanced Security"),
    ("githubconnections", "GitHub connections"),
];

/// The name a person sees for `area`, or `None` for an area no offered scope uses.
pub(super) fn area_title(area: &str) -> Option<&'static str> {
    AREA_TITLES
        .iter()
        .find(|(key, _)| *key == area)
        .map(|(_, title)| *title)
}
