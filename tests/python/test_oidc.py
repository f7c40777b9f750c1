"""Keygate as an OpenID Provider, driven by authlib's OpenID Connect support: discovery, the
code flow with PKCE and a nonce, ID token validation (authlib's CodeIDToken rules: iss, aud,
exp, iat, nonce, at_hash) against the published JWKS, UserInfo, refresh, and RP-initiated
logout."""

import secrets

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from conftest import CONFIDENTIAL_CALLBACK, PASSWORD, Browser

SIGNED_OUT = "https://localhost:5001/signed-out"
OIDC_SCOPES = "openid profile email"


def discovery(keygate):
    r = requests.get(f"{keygate.url}/.well-known/openid-configuration", timeout=10)
    r.raise_for_status()
    return r.json()


@pytest.fixture
def person(keygate):
    """A fresh user (so no consent is remembered) signed in at a browser, with an app of hers."""
    email = f"oidc-{secrets.token_hex(4)}@example.com"
    keygate.cli(
        "user", "create", "--email", email, "--name", "Olga", "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    app = keygate.cli(
        "app", "create", "--owner", email, "--name", "OIDC client", "--company", "Tests",
        "--website", "https://example.com", "--callback-url", CONFIDENTIAL_CALLBACK,
        "--scopes", "vso.profile", "--post-logout-redirect-uri", SIGNED_OUT,
    )
    return email, app, Browser(keygate, email)


def validated_id_token(config, app, token, nonce):
    """Validates an ID token as authlib's OpenID client does, with the keys from jwks_uri."""
    keys = JsonWebKey.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": config["issuer"]}},
        claims_params={
            "nonce": nonce,
            "client_id": app["app_id"],
            "access_token": token["access_token"],
        },
    )
    claims.validate()
    return claims


def test_discovery_names_every_openid_endpoint_and_rs256(keygate):
    config = discovery(keygate)
    assert config["issuer"] == keygate.url
    for field in ["userinfo_endpoint", "end_session_endpoint", "jwks_uri"]:
        assert config[field].startswith(keygate.url)
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    assert "openid" in config["scopes_supported"]
    assert config["authorization_response_iss_parameter_supported"] is True


def test_sign_in_with_pkce_and_nonce_userinfo_refresh_and_logout(keygate, person):
    email, app, browser = person
    config = discovery(keygate)
    session = OAuth2Session(
        app["app_id"],
        app["client_secret"],
        scope=OIDC_SCOPES,
        redirect_uri=CONFIDENTIAL_CALLBACK,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(
        config["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = browser.consent(url)
    assert f"iss={requests.utils.quote(keygate.url, safe='')}" in callback
    token = session.fetch_token(
        config["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    claims = validated_id_token(config, app, token, nonce)
    assert claims["email"] == email
    assert claims["name"] == "Olga"

    info = session.get(config["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    assert info["email"] == email

    refreshed = session.refresh_token(config["token_endpoint"])
    again = validated_id_token(config, app, refreshed, None)
    assert (again["iss"], again["sub"], again["aud"]) == (claims["iss"], claims["sub"], claims["aud"])
    assert again["auth_time"] == claims["auth_time"]

    r = browser.session.get(
        config["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": SIGNED_OUT,
            "state": "bye",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 303
    assert r.headers["Location"] == f"{SIGNED_OUT}?state=bye"
    # Signed out: a silent sign-in now needs the user.
    url, _ = session.create_authorization_url(
        config["authorization_endpoint"], code_verifier=verifier, prompt="none"
    )
    r = browser.session.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert "error=login_required" in r.headers["Location"]
