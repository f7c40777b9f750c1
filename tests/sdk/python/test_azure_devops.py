"""Microsoft's azure-devops package, unchanged, against a running Keygate: the calls an app built on
it makes first. KEYGATE_URL, KEYGATE_ORG, KEYGATE_PROJECT and KEYGATE_TOKEN come from
crates/keygate/tests/sdk_clients.rs."""

import os

import pytest
from azure.devops.connection import Connection
from azure.devops.v7_1.work_item_tracking.models import JsonPatchOperation, TeamContext, Wiql
from msrest.authentication import BasicTokenAuthentication

URL = os.environ["KEYGATE_URL"]
ORG = os.environ["KEYGATE_ORG"]
PROJECT = os.environ["KEYGATE_PROJECT"]
TOKEN = os.environ["KEYGATE_TOKEN"]


@pytest.fixture
def clients():
    connection = Connection(
        base_url=f"{URL}/{ORG}",
        creds=BasicTokenAuthentication({"access_token": TOKEN}),
    )
    return connection.clients_v7_1


def test_connection_data_names_the_signed_in_user(clients):
    data = clients.get_location_client().get_connection_data()
    assert data.authenticated_user.provider_display_name == "Ana"


def test_projects_repositories_and_builds(clients):
    projects = clients.get_core_client().get_projects()
    assert [p.name for p in projects] == [PROJECT]
    repositories = clients.get_git_client().get_repositories(PROJECT)
    assert repositories[0].name == PROJECT
    builds = clients.get_build_client().get_builds(PROJECT)
    assert len(builds) >= 1


def test_work_items_create_get_update_and_query(clients):
    wit = clients.get_work_item_tracking_client()
    created = wit.create_work_item(
        [JsonPatchOperation(op="add", path="/fields/System.Title", value="Made by the Python SDK")],
        PROJECT,
        "Task",
    )
    assert created.rev == 1
    got = wit.get_work_item(created.id, PROJECT)
    assert got.fields["System.Title"] == "Made by the Python SDK"
    updated = wit.update_work_item(
        [
            JsonPatchOperation(op="test", path="/rev", value=1),
            JsonPatchOperation(op="replace", path="/fields/System.State", value="Active"),
        ],
        created.id,
        PROJECT,
    )
    assert updated.rev == 2
    assert updated.fields["System.State"] == "Active"
    result = wit.query_by_wiql(
        Wiql(
            query="SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
            "AND [System.WorkItemType] = 'Task' ORDER BY [System.Id] DESC"
        ),
        team_context=TeamContext(project=PROJECT),
    )
    assert created.id in [w.id for w in result.work_items]
    batch = wit.get_work_items([created.id], fields=["System.Title"])
    assert batch[0].fields == {"System.Title": "Made by the Python SDK"}


def test_the_profile_call(clients):
    profile = clients.get_profile_client().get_profile("me")
    # The SDK's Profile model keeps the id and revisions (the name and email live in the
    # attributes it does not ask for); the id is the user the projects call acted for.
    assert profile.id
    assert profile.core_revision == 1
