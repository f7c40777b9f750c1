-- Service hooks: subscriptions to work item events, and the outbox of events to deliver.
-- An outbox row is written in the transaction that changes the work item, so a committed
-- change always has its events and a rolled-back one never does.
CREATE TABLE hook_subscriptions (
    id            TEXT    NOT NULL PRIMARY KEY,
    org_id        TEXT    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    event_type    TEXT    NOT NULL CHECK (event_type IN ('workitem.created', 'workitem.updated')),
    -- The project whose work items it follows; NULL follows every project of the organization.
    project_id    TEXT    REFERENCES projects (id) ON DELETE CASCADE,
    consumer_url  TEXT    NOT NULL,
    -- The consumer's `httpHeaders` input as given: `Name: value` lines.
    http_headers  TEXT    NOT NULL,
    -- `enabled`, or `disabledBySystem` once its consumer kept failing or its queue was full.
    status        TEXT    NOT NULL CHECK (status IN ('enabled', 'disabledBySystem')),
    created_by    TEXT    NOT NULL REFERENCES users (id),
    created_at    INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL,
    -- Failed deliveries since the last success.
    failure_count INTEGER NOT NULL,
    last_error    TEXT,
    last_error_at INTEGER
) STRICT;
CREATE INDEX hook_subscriptions_by_org ON hook_subscriptions (org_id, id);
CREATE INDEX hook_subscriptions_by_event ON hook_subscriptions (org_id, event_type, status);

-- One event for one subscription. `old_fields_json` is the work item's fields before an update
-- (NULL for a creation). A claimed row carries `lease_owner` until `lease_until`.
CREATE TABLE hook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT    NOT NULL REFERENCES hook_subscriptions (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    work_item_id    INTEGER NOT NULL,
    work_item_rev   INTEGER NOT NULL,
    project_id      TEXT    NOT NULL,
    fields_json     TEXT    NOT NULL,
    old_fields_json TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
) STRICT;
CREATE INDEX hook_outbox_due ON hook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX hook_outbox_pending ON hook_outbox (subscription_id) WHERE delivered_at IS NULL;
