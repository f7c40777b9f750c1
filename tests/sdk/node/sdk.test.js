// Microsoft's azure-devops-node-api, unchanged, against a running Keygate: the calls an app built
// on it makes first. KEYGATE_URL, KEYGATE_ORG, KEYGATE_PROJECT and KEYGATE_TOKEN come from
// crates/keygate/tests/sdk_clients.rs; run with `node --test`.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const azdev = require('azure-devops-node-api');

const { KEYGATE_URL: url, KEYGATE_ORG: org, KEYGATE_PROJECT: project, KEYGATE_TOKEN: token } = process.env;

function connection() {
  return new azdev.WebApi(`${url}/${org}`, azdev.getBearerHandler(token));
}

test('connect names the signed-in user', async () => {
  const data = await connection().connect();
  assert.equal(data.authenticatedUser.providerDisplayName, 'Ana');
});

test('projects, repositories and builds', async () => {
  const conn = connection();
  const projects = await (await conn.getCoreApi()).getProjects();
  assert.deepEqual(projects.map((p) => p.name), [project]);
  const one = await (await conn.getCoreApi()).getProject(projects[0].id);
  assert.equal(one.name, project);
  const repositories = await (await conn.getGitApi()).getRepositories(project);
  assert.equal(repositories[0].name, project);
  const builds = await (await conn.getBuildApi()).getBuilds(project);
  assert.ok(builds.length >= 1, 'the seeded build is listed');
  assert.ok(builds[0].queueTime instanceof Date);
});

test('work items: create, get, update and a WIQL query', async () => {
  const wit = await connection().getWorkItemTrackingApi();
  const created = await wit.createWorkItem(
    null,
    [{ op: 'add', path: '/fields/System.Title', value: 'Made by the Node SDK' }],
    project,
    'Task',
  );
  assert.equal(created.rev, 1);
  assert.equal(created.fields['System.Title'], 'Made by the Node SDK');
  const got = await wit.getWorkItem(created.id);
  assert.equal(got.id, created.id);
  const updated = await wit.updateWorkItem(
    null,
    [
      { op: 'test', path: '/rev', value: 1 },
      { op: 'replace', path: '/fields/System.State', value: 'Active' },
    ],
    created.id,
    project,
  );
  assert.equal(updated.rev, 2);
  assert.equal(updated.fields['System.State'], 'Active');
  const result = await wit.queryByWiql(
    {
      query:
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.State] = 'Active' ORDER BY [System.Id]",
    },
    { project },
  );
  assert.ok(result.workItems.some((w) => w.id === created.id));
  const batch = await wit.getWorkItems([created.id], ['System.Title']);
  assert.equal(batch[0].fields['System.Title'], 'Made by the Node SDK');
});

test('the profile call', async () => {
  const profile = await (await connection().getProfileApi()).getProfile('me');
  assert.equal(profile.emailAddress, 'ana@example.com');
});
