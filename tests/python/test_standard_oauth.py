"""Keygate's standard OAuth, driven by clients no one here wrote: authlib's OAuth2Session for
the grants, introspection and revocation, PyJWT's PyJWKClient for offline token checks."""

import time

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.integrations.requests_client import OAuth2Session

from conftest import CONFIDENTIAL_CALLBACK, SCOPES

ALGORITHMS = ["ES256", "RS256", "EdDSA"]


def endpoints(keygate):
    m = keygate.metadata()
    return m["authorization_endpoint"], m["token_endpoint"]


def confidential_session(app, method="client_secret_basic"):
    return OAuth2Session(
        app["app_id"],
        app["client_secret"],
        scope=SCOPES,
        redirect_uri=CONFIDENTIAL_CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
    )


def pkce_tokens(keygate, browser, session):
    """Runs the authorization code flow with PKCE through authlib and a signed-in browser."""
    authorize, token_endpoint = endpoints(keygate)
    verifier = generate_token(48)
    url, state = session.create_authorization_url(authorize, code_verifier=verifier)
    callback = browser.consent(url)
    return session.fetch_token(
        token_endpoint, authorization_response=callback, code_verifier=verifier
    )


def introspect(keygate, app, token, hint=None):
    session = confidential_session(app)
    r = session.introspect_token(
        keygate.metadata()["introspection_endpoint"], token=token, token_type_hint=hint
    )
    assert r.status_code == 200, r.text
    return r.json()


def verify_offline(keygate, access_token):
    """Verifies an access token with nothing but the published JWKS."""
    client = jwt.PyJWKClient(keygate.metadata()["jwks_uri"], cache_keys=False)
    key = client.get_signing_key_from_jwt(access_token)
    return jwt.decode(
        access_token,
        key,
        algorithms=ALGORITHMS,
        audience=keygate.host,
        issuer=keygate.host,
    )


def test_the_metadata_document_passes_authlibs_rfc_8414_validation(keygate):
    metadata = keygate.metadata()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == keygate.url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    same = requests.get(f"{keygate.url}/.well-known/openid-configuration", timeout=10).json()
    assert same == metadata


def test_a_confidential_client_runs_pkce_refresh_introspection_and_revocation(
    keygate, browser, confidential_app
):
    session = confidential_session(confidential_app)
    token = pkce_tokens(keygate, browser, session)
    assert token["token_type"] == "Bearer"
    assert isinstance(token["expires_in"], int)
    assert token["scope"] == "vso.profile vso.work"

    facts = introspect(keygate, confidential_app, token["access_token"])
    assert facts["active"] is True
    assert facts["client_id"].lower() == confidential_app["app_id"].lower()
    assert facts["scope"] == "vso.profile vso.work"

    first_refresh = token["refresh_token"]
    refreshed = session.refresh_token(keygate.metadata()["token_endpoint"])
    assert refreshed["refresh_token"] != first_refresh
    assert introspect(keygate, confidential_app, first_refresh)["active"] is False
    assert introspect(keygate, confidential_app, refreshed["refresh_token"])["active"] is True

    r = session.revoke_token(
        keygate.metadata()["revocation_endpoint"],
        token=refreshed["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert r.status_code == 200, r.text
    # Revoking the refresh token ends the authorization: its chain and its access tokens.
    assert introspect(keygate, confidential_app, refreshed["refresh_token"])["active"] is False
    assert introspect(keygate, confidential_app, refreshed["access_token"])["active"] is False
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(keygate.metadata()["token_endpoint"])
    assert refused.value.error == "invalid_grant"


def test_client_secret_post_works_as_well_as_basic(keygate, browser, confidential_app):
    session = confidential_session(confidential_app, method="client_secret_post")
    token = pkce_tokens(keygate, browser, session)
    assert introspect(keygate, confidential_app, token["access_token"])["active"] is True


def test_a_reused_refresh_token_is_refused_and_ends_the_chain(keygate, browser, confidential_app):
    session = confidential_session(confidential_app)
    token = pkce_tokens(keygate, browser, session)
    token_endpoint = keygate.metadata()["token_endpoint"]
    stolen = token["refresh_token"]
    rotated = session.refresh_token(token_endpoint)
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(token_endpoint, refresh_token=stolen)
    assert refused.value.error == "invalid_grant"
    assert introspect(keygate, confidential_app, rotated["refresh_token"])["active"] is False


def test_a_public_client_authenticates_with_pkce_alone_on_any_loopback_port(
    keygate, browser, public_app, confidential_app
):
    assert public_app["client_secret"] is None
    session = OAuth2Session(
        public_app["app_id"],
        scope="vso.profile",
        redirect_uri="http://127.0.0.1:53682/callback",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    token = pkce_tokens(keygate, browser, session)
    assert token["scope"] == "vso.profile"
    refreshed = session.refresh_token(keygate.metadata()["token_endpoint"])
    assert refreshed["access_token"] != token["access_token"]
    r = session.revoke_token(
        keygate.metadata()["revocation_endpoint"], token=refreshed["access_token"]
    )
    assert r.status_code == 200, r.text
    assert introspect(keygate, confidential_app, refreshed["access_token"])["active"] is False


def test_a_public_client_without_pkce_is_sent_back_with_an_error(keygate, browser, public_app):
    authorize, _ = endpoints(keygate)
    session = OAuth2Session(
        public_app["app_id"],
        scope="vso.profile",
        redirect_uri="http://127.0.0.1:40000/callback",
        token_endpoint_auth_method="none",
    )
    url, _ = session.create_authorization_url(authorize)
    r = browser.session.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert "error=invalid_request" in r.headers["Location"]


def test_client_credentials_issue_an_access_token_and_no_refresh_token(keygate, confidential_app):
    session = OAuth2Session(
        confidential_app["app_id"],
        confidential_app["client_secret"],
        scope="vso.work",
        token_endpoint_auth_method="client_secret_post",
    )
    token = session.fetch_token(
        keygate.metadata()["token_endpoint"], grant_type="client_credentials"
    )
    assert "refresh_token" not in token
    assert token["scope"] == "vso.work"
    claims = verify_offline(keygate, token["access_token"])
    assert claims["appid"].lower() == confidential_app["app_id"].lower()
    assert introspect(keygate, confidential_app, token["access_token"])["active"] is True


def test_an_access_token_verifies_against_the_jwks_with_pyjwt(keygate, browser, confidential_app):
    token = pkce_tokens(keygate, browser, confidential_session(confidential_app))
    claims = verify_offline(keygate, token["access_token"])
    assert claims["scp"] == "vso.profile vso.work"
    assert claims["appid"].lower() == confidential_app["app_id"].lower()
    assert claims["exp"] > time.time()


def client_credentials_token(keygate, app):
    session = OAuth2Session(app["app_id"], app["client_secret"], scope="vso.work")
    token = session.fetch_token(
        keygate.metadata()["token_endpoint"], grant_type="client_credentials"
    )
    return token["access_token"]


@pytest.mark.parametrize("algorithm", ["RS256", "EdDSA", "ES256"])
def test_a_rotated_key_is_published_before_it_signs_and_tokens_verify_throughout(
    keygate, confidential_app, algorithm
):
    before = client_credentials_token(keygate, confidential_app)
    old_kid = jwt.get_unverified_header(before)["kid"]
    key = keygate.cli("keys", "rotate", "--algorithm", algorithm)
    assert key["state"] == "next"
    # The server learns of the key from the change feed and publishes it before it signs.
    deadline = time.monotonic() + 20
    while True:
        jwks = requests.get(keygate.metadata()["jwks_uri"], timeout=10).json()
        kids = [k["kid"] for k in jwks["keys"]]
        if key["kid"] in kids:
            break
        assert time.monotonic() < deadline, "the new key was never published"
        time.sleep(0.1)
    assert old_kid in kids

    # It starts signing once it has been published for --key-publish-ahead seconds.
    while True:
        token = client_credentials_token(keygate, confidential_app)
        header = jwt.get_unverified_header(token)
        if header["kid"] == key["kid"]:
            break
        assert time.monotonic() < deadline, "the new key never started signing"
        time.sleep(0.2)
    assert header["alg"] == algorithm
    assert verify_offline(keygate, token)["appid"]
    # The retired key stays published: tokens it signed still verify.
    assert verify_offline(keygate, before)["appid"]
