"""The device authorization grant (RFC 8628), driven by requests-oauth2client: its
`authorize_device` starts the flow from the discovered `device_authorization_endpoint`, and its
`DeviceAuthorizationPollingJob` polls the token endpoint as the RFC says (waiting the interval,
slowing down when told) while a signed-in person answers the /device page through its HTML
forms."""

import threading

import pytest
import requests
from requests_oauth2client import (
    AccessDenied,
    DeviceAuthorizationPollingJob,
    OAuth2Client,
    SlowDown,
)

from conftest import SCOPES, hidden_fields


def client_for(keygate, app):
    """An OAuth2Client configured from Keygate's metadata, confidential when the app has a secret."""
    auth = (app["app_id"], app["client_secret"]) if app.get("client_secret") else app["app_id"]
    # The library reads most endpoints from the metadata but not this one (as of 1.8.0): hand it
    # over from the same document.
    device_endpoint = keygate.metadata()["device_authorization_endpoint"]
    return OAuth2Client.from_discovery_endpoint(
        f"{keygate.url}/.well-known/oauth-authorization-server",
        issuer=keygate.url,
        auth=auth,
        # The server runs on plain http on the loopback interface; the library refuses that
        # unless told it is a test.
        testing=True,
        device_authorization_endpoint=device_endpoint,
    )


def enter_code(keygate, browser, verification_uri_complete, decision):
    """The person: opens the prefilled link, submits the code, answers the consent page."""
    page = browser.session.get(verification_uri_complete, timeout=10)
    assert page.status_code == 200, page.text[:300]
    code = verification_uri_complete.split("user_code=", 1)[1]
    fields = hidden_fields(page.text)
    fields["user_code"] = code
    consent = browser.session.post(f"{keygate.url}/device", data=fields, timeout=10)
    assert consent.status_code == 200, consent.text[:300]
    assert "Authorize Python client" in consent.text
    fields = hidden_fields(consent.text)
    fields["decision"] = decision
    done = browser.session.post(f"{keygate.url}/device/decide", data=fields, timeout=10)
    assert done.status_code == 200, done.text[:300]
    return done.text


def poll_until_done(job):
    """Runs the polling job to its end, as a device would, in a thread of its own."""
    outcome = {}

    def run():
        try:
            token = None
            while token is None:
                token = job()
            outcome["token"] = token
        except Exception as e:  # noqa: BLE001 - the test inspects what the client raised
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("kind", ["public", "confidential"])
def test_a_device_is_authorized_by_a_person_at_the_verification_page(
    keygate, browser, public_app, confidential_app, kind
):
    app = public_app if kind == "public" else confidential_app
    metadata = keygate.metadata()
    assert metadata["device_authorization_endpoint"] == f"{keygate.url}/oauth2/devicecode"
    assert "urn:ietf:params:oauth:grant-type:device_code" in metadata["grant_types_supported"]
    client = client_for(keygate, app)

    started = client.authorize_device(scope=SCOPES)
    assert started.verification_uri == f"{keygate.url}/device"
    assert started.verification_uri_complete.startswith(f"{keygate.url}/device?user_code=")
    assert started.interval == 5
    assert len(started.user_code) == 9 and started.user_code[4] == "-"

    job = DeviceAuthorizationPollingJob(client, started)
    thread, outcome = poll_until_done(job)
    done = enter_code(keygate, browser, started.verification_uri_complete, "accept")
    assert "Device connected" in done
    thread.join(timeout=60)
    assert not thread.is_alive(), "the device never got its tokens"
    token = outcome.get("token")
    assert token is not None, outcome.get("error")
    assert token.refresh_token
    assert set(token.scope.split()) == set(SCOPES.split())

    me = requests.get(
        f"{keygate.url}/_apis/profile/profiles/me",
        headers={"Authorization": f"Bearer {token.access_token}"},
        timeout=10,
    )
    assert me.status_code == 200, me.text
    refreshed = client.refresh_token(token.refresh_token)
    assert refreshed.access_token != token.access_token


def test_a_denied_device_hears_access_denied(keygate, browser, public_app):
    client = client_for(keygate, public_app)
    started = client.authorize_device(scope="vso.profile")
    job = DeviceAuthorizationPollingJob(client, started)
    thread, outcome = poll_until_done(job)
    done = enter_code(keygate, browser, started.verification_uri_complete, "deny")
    assert "Request denied" in done
    thread.join(timeout=60)
    assert isinstance(outcome.get("error"), AccessDenied), outcome


def test_polling_faster_than_the_interval_is_told_to_slow_down(keygate, public_app):
    client = client_for(keygate, public_app)
    started = client.authorize_device(scope="vso.profile")
    with pytest.raises(Exception) as first:
        client.device_code(started.device_code)
    assert type(first.value).__name__ == "AuthorizationPending"
    with pytest.raises(SlowDown):
        client.device_code(started.device_code)
