"""Fixtures for driving a running Keygate (started by scripts/python-tests.sh) with
third-party OAuth clients.

The script exports KEYGATE_URL (the server), KEYGATE_BIN (the binary, for seeding through the
admin CLI) and KEYGATE_DATABASE_URL (the server's database).
"""

import json
import os
import re
import secrets
import subprocess
from html import unescape
from urllib.parse import urlparse

import pytest
import requests

# The server runs on plain http on the loopback interface; authlib refuses that unless told.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

PASSWORD = "correct horse battery staple"
SCOPES = "vso.profile vso.work"
CONFIDENTIAL_CALLBACK = "https://localhost:5001/oauth/callback"
# Registered without a port: RFC 8252 §7.3 lets a native app pick any port at run time.
PUBLIC_CALLBACK = "http://127.0.0.1/callback"


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through scripts/python-tests.sh")
    return value


class Keygate:
    """The running server and its admin CLI."""

    def __init__(self):
        self.url = _env("KEYGATE_URL").rstrip("/")
        self.binary = _env("KEYGATE_BIN")
        self.database_url = _env("KEYGATE_DATABASE_URL")
        self.host = urlparse(self.url).hostname

    def cli(self, *args, stdin=None):
        """Runs an admin command against the server's database and returns its JSON output."""
        done = subprocess.run(
            [self.binary, *args, "--database-url", self.database_url, "--json"],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"keygate {' '.join(args)} failed: {done.stderr}"
        return json.loads(done.stdout)

    def metadata(self):
        r = requests.get(f"{self.url}/.well-known/oauth-authorization-server", timeout=10)
        r.raise_for_status()
        return r.json()


class Browser:
    """A person at a browser: signs in and answers the consent page, with plain HTTP."""

    def __init__(self, keygate, email):
        self.keygate = keygate
        self.session = requests.Session()
        page = self.session.get(f"{keygate.url}/_signin", timeout=10)
        fields = hidden_fields(page.text)
        fields.update(email=email, password=PASSWORD, returnUrl="/")
        r = self.session.post(
            f"{keygate.url}/_signin", data=fields, allow_redirects=False, timeout=10
        )
        assert r.status_code == 303, f"sign-in failed: {r.status_code}"

    def consent(self, authorization_url, decision="accept"):
        """Opens the authorize URL, answers the consent form, and returns where it redirects."""
        page = self.session.get(authorization_url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, f"no consent page: {page.status_code} {page.text[:200]}"
        fields = hidden_fields(page.text)
        fields["decision"] = decision
        r = self.session.post(
            f"{self.keygate.url}/oauth2/authorize",
            data=fields,
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 302, f"consent did not redirect: {r.status_code}"
        return r.headers["Location"]


def hidden_fields(html):
    """Every hidden input of a page, by name."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[unescape(name.group(1))] = unescape(value.group(1))
    return fields


@pytest.fixture(scope="session")
def keygate():
    return Keygate()


@pytest.fixture(scope="session")
def user(keygate):
    email = f"ana-{secrets.token_hex(4)}@example.com"
    keygate.cli(
        "user", "create", "--email", email, "--name", "Ana", "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    return email


def _app(keygate, user, callback, public=False):
    args = [
        "app", "create", "--owner", user, "--name", "Python client", "--company", "Tests",
        "--website", "https://example.com", "--callback-url", callback, "--scopes", SCOPES,
    ]
    if public:
        args.append("--public")
    return keygate.cli(*args)


@pytest.fixture(scope="session")
def confidential_app(keygate, user):
    return _app(keygate, user, CONFIDENTIAL_CALLBACK)


@pytest.fixture(scope="session")
def public_app(keygate, user):
    return _app(keygate, user, PUBLIC_CALLBACK, public=True)


@pytest.fixture
def browser(keygate, user):
    return Browser(keygate, user)
