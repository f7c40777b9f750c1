"""MSAL for Python (msal, pinned in requirements.txt), unchanged, against Keygate's Entra ID
endpoints over https that trusts Keygate's local CA (REQUESTS_CA_BUNDLE).

Driven by crates/keygate/tests/msal_clients.rs, which plays the browser: this script prints
`AUTHORIZE <url>` and reads back the URL the browser was redirected to, and it prints
`TOKEN <label> <access token>` for each token, which the driver then uses on the REST API.

Flows: the device code flow (PublicClientApplication.initiate_device_flow +
acquire_token_by_device_flow, printing `DEVICE <verification uri> <user code>` for the driver
to approve on the /device page), the authorization code flow (initiate_auth_code_flow + acquire_token_by_auth_code_flow),
a forced silent refresh (acquire_token_silent(force_refresh=True), which needs the refresh
token MSAL asks for with offline_access) and client credentials (acquire_token_for_client with
`.default` on the tenant-id authority).
"""

import os
import sys
import urllib.parse

import msal

RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
BASE = os.environ["KEYGATE_URL"]
TENANT_ID = os.environ["KEYGATE_TENANT_ID"]
CLIENT_ID = os.environ["KEYGATE_CLIENT_ID"]
SECRET = os.environ["KEYGATE_CLIENT_SECRET"]
REDIRECT_URI = os.environ["KEYGATE_REDIRECT_URI"]
PUBLIC_CLIENT_ID = os.environ["KEYGATE_PUBLIC_CLIENT_ID"]
SCOPES = [f"{RESOURCE}/vso.profile", f"{RESOURCE}/vso.project"]


def say(line):
    print(line, flush=True)


def browser(url):
    """Has the driver sign in and consent at `url`; the URL the browser was sent back to."""
    say(f"AUTHORIZE {url}")
    answer = sys.stdin.readline().strip()
    if not answer:
        sys.exit("the driver sent no redirect URL")
    return answer


def succeeded(result, what):
    if not isinstance(result, dict) or "access_token" not in result:
        sys.exit(f"{what}: MSAL returned no token: {result!r}")
    say(f"{what}: ok (token_type={result.get('token_type')}, expires_in={result.get('expires_in')})")
    return result


def authorization_code():
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=SECRET,
        authority=f"{BASE}/organizations",
        instance_discovery=False,
    )
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT_URI)
    redirected = browser(flow["auth_uri"])
    response = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirected).query))
    result = succeeded(app.acquire_token_by_auth_code_flow(flow, response), "auth code flow")
    if "refresh_token" not in result:
        sys.exit("auth code flow: no refresh token although MSAL asked for offline_access")
    claims = result.get("id_token_claims") or {}
    if claims.get("aud") != CLIENT_ID:
        sys.exit(f"auth code flow: id token aud {claims.get('aud')!r} is not {CLIENT_ID!r}")
    if claims.get("tid") != TENANT_ID:
        sys.exit(f"auth code flow: id token tid {claims.get('tid')!r} is not {TENANT_ID!r}")
    say(f"TOKEN python-auth-code {result['access_token']}")

    accounts = app.get_accounts()
    if len(accounts) != 1:
        sys.exit(f"MSAL cached {len(accounts)} accounts, not one: {accounts!r}")
    refreshed = succeeded(
        app.acquire_token_silent(SCOPES, account=accounts[0], force_refresh=True),
        "silent refresh",
    )
    if refreshed.get("token_source") != "identity_provider":
        sys.exit(f"silent refresh did not reach the server: {refreshed.get('token_source')!r}")
    if refreshed["access_token"] == result["access_token"]:
        sys.exit("silent refresh returned the same access token")
    say(f"TOKEN python-refresh {refreshed['access_token']}")


def client_credentials():
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=SECRET,
        authority=f"{BASE}/{TENANT_ID}",
        instance_discovery=False,
    )
    result = succeeded(
        app.acquire_token_for_client([f"{RESOURCE}/.default"]), "client credentials"
    )
    say(f"TOKEN python-client-credentials {result['access_token']}")


def device_code():
    app = msal.PublicClientApplication(
        PUBLIC_CLIENT_ID,
        authority=f"{BASE}/organizations",
        instance_discovery=False,
    )
    flow = app.initiate_device_flow(scopes=SCOPES)
    if "user_code" not in flow:
        sys.exit(f"device flow: no user code: {flow!r}")
    say(f"device flow: {flow['message']}")
    say(f"DEVICE {flow['verification_uri']} {flow['user_code']}")
    result = succeeded(app.acquire_token_by_device_flow(flow), "device flow")
    claims = result.get("id_token_claims") or {}
    if claims.get("aud") != PUBLIC_CLIENT_ID:
        sys.exit(f"device flow: id token aud {claims.get('aud')!r} is not {PUBLIC_CLIENT_ID!r}")
    say(f"TOKEN python-device {result['access_token']}")


def certificate_credentials():
    """Client credentials with a certificate (private_key_jwt: an RS256 assertion with x5t)."""
    with open(os.environ["KEYGATE_CERTIFICATE_KEY_FILE"]) as f:
        private_key = f.read()
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential={
            "private_key": private_key,
            "thumbprint": os.environ["KEYGATE_CERTIFICATE_THUMBPRINT"],
        },
        authority=f"{BASE}/{TENANT_ID}",
        instance_discovery=False,
    )
    result = succeeded(
        app.acquire_token_for_client([f"{RESOURCE}/.default"]), "certificate credentials"
    )
    say(f"TOKEN python-certificate {result['access_token']}")


if __name__ == "__main__":
    device_code()
    authorization_code()
    client_credentials()
    certificate_credentials()
    say("DONE")
