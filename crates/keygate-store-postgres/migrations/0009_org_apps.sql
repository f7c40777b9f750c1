-- Apps added to an organization as its members (Azure DevOps: a service principal added to the
-- organization), so their app-only tokens (client credentials) can read its data.
CREATE TABLE org_apps (
    org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, app_id)
);
CREATE INDEX org_apps_by_app ON org_apps (app_id);
