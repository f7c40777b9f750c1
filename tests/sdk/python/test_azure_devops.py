"""Microsoft's azure-devops package, unchanged, against a running Keygate: the calls an app built on
it makes first. KEYGATE_URL, KEYGATE_ORG, KEYGATE_PROJECT and KEYGATE_TOKEN come from
crates/keygate/tests/sdk_clients.rs."""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from azure.devops.connection import Connection
from azure.devops.v7_1.service_hooks.models import Subscription
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


def test_a_hooks_subscription_delivers_work_item_events_to_a_local_receiver(clients):
    """A webhook receiver on a loopback port (the server runs with --emulator, which allows
    http to loopback consumers): the SDK subscribes to workitem.created, and creating a work
    item POSTs the event to the receiver with the subscription's header."""
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            received.append((self.headers.get("X-Keygate-Test"), json.loads(self.rfile.read(length))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hooks = clients.get_service_hooks_client()
    project_id = [p.id for p in clients.get_core_client().get_projects() if p.name == PROJECT][0]
    subscription = hooks.create_subscription(
        Subscription(
            publisher_id="tfs",
            event_type="workitem.created",
            resource_version="1.0",
            consumer_id="webHooks",
            consumer_action_id="httpRequest",
            publisher_inputs={"projectId": project_id},
            consumer_inputs={
                "url": f"http://127.0.0.1:{server.server_port}/hook",
                "httpHeaders": "X-Keygate-Test: python",
            },
        )
    )
    try:
        assert subscription.status == "enabled"
        assert subscription.id in [s.id for s in hooks.list_subscriptions()]
        assert hooks.get_subscription(subscription.id).event_type == "workitem.created"
        item = clients.get_work_item_tracking_client().create_work_item(
            [JsonPatchOperation(op="add", path="/fields/System.Title", value="Hooked by Python")],
            PROJECT,
            "Task",
        )

        def mine():
            return [(h, e) for h, e in received if e.get("resource", {}).get("id") == item.id]

        deadline = time.time() + 30
        while not mine() and time.time() < deadline:
            time.sleep(0.1)
        events = mine()
        assert len(events) == 1
        header, event = events[0]
        assert header == "python"
        assert event["eventType"] == "workitem.created"
        assert event["publisherId"] == "tfs"
        assert event["subscriptionId"] == subscription.id
        assert event["resource"]["fields"]["System.Title"] == "Hooked by Python"
    finally:
        hooks.delete_subscription(subscription.id)
        server.shutdown()
    assert subscription.id not in [s.id for s in hooks.list_subscriptions()]
