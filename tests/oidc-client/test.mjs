// Keygate as an OpenID Provider, driven unchanged by openid-client (pinned by package-lock.json):
// discovery, the code flow with PKCE, state and nonce, ID token validation (signature from
// jwks_uri, iss, aud, exp, iat, nonce, RFC 9207 iss on the response), UserInfo, refresh and
// RP-initiated logout. A person at a browser is played with fetch and a cookie jar.
//
// Run by scripts/openid-client-tests.sh, which sets KEYGATE_URL, KEYGATE_EMAIL,
// KEYGATE_PASSWORD, KEYGATE_CLIENT_ID, KEYGATE_CLIENT_SECRET, KEYGATE_CALLBACK and
// KEYGATE_SIGNED_OUT.
import assert from 'node:assert/strict';
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/openid-client-tests.sh`);
  return value;
};
const base = env('KEYGATE_URL');
const callback = env('KEYGATE_CALLBACK');
const signedOut = env('KEYGATE_SIGNED_OUT');

/** A browser: a cookie jar over fetch, never following redirects. */
class Browser {
  cookies = new Map();

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const r = await fetch(new URL(url, base), { ...init, headers, redirect: 'manual' });
    for (const line of r.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return r;
  }

  async postForm(url, fields) {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async signIn(email, password) {
    const page = await (await this.fetch('/_signin')).text();
    const r = await this.postForm('/_signin', { ...hidden(page), email, password, returnUrl: '/' });
    assert.equal(r.status, 303, 'sign-in failed');
  }

  /** Opens an authorization URL and accepts on the consent page; returns the callback URL. */
  async consent(url) {
    const page = await this.fetch(url);
    assert.equal(page.status, 200, 'the consent page');
    const r = await this.postForm('/oauth2/authorize', { ...hidden(await page.text()), decision: 'accept' });
    assert.equal(r.status, 302);
    return r.headers.get('location');
  }
}

const unescape = (s) =>
  s.replaceAll('&quot;', '"').replaceAll('&#x27;', "'").replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

function hidden(html) {
  const fields = {};
  for (const tag of html.match(/<input[^>]*>/g) ?? []) {
    if (!tag.includes('type="hidden"')) continue;
    const name = tag.match(/name="([^"]*)"/);
    const value = tag.match(/value="([^"]*)"/);
    if (name && value) fields[unescape(name[1])] = unescape(value[1]);
  }
  return fields;
}

const config = await client.discovery(
  new URL(base),
  env('KEYGATE_CLIENT_ID'),
  env('KEYGATE_CLIENT_SECRET'),
  undefined,
  { execute: [client.allowInsecureRequests] },
);
const metadata = config.serverMetadata();
assert.equal(metadata.issuer, base);
assert.ok(metadata.id_token_signing_alg_values_supported.includes('RS256'));

const browser = new Browser();
await browser.signIn(env('KEYGATE_EMAIL'), env('KEYGATE_PASSWORD'));

const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: callback,
  scope: 'openid profile email',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
  state,
});
const answer = await browser.consent(url);
const tokens = await client.authorizationCodeGrant(config, new URL(answer), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
assert.equal(claims.iss, base);
assert.equal(claims.aud, env('KEYGATE_CLIENT_ID'));
assert.equal(claims.nonce, nonce);
assert.equal(claims.email, env('KEYGATE_EMAIL'));
console.log('ok - code flow with PKCE and nonce; ID token validated');

const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
assert.equal(info.sub, claims.sub);
assert.equal(info.email, env('KEYGATE_EMAIL'));
console.log('ok - UserInfo');

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const again = refreshed.claims();
assert.equal(again.sub, claims.sub);
assert.equal(again.aud, claims.aud);
assert.equal(again.auth_time, claims.auth_time);
console.log('ok - refresh with a new ID token');

// A consent given before is remembered: the same request comes straight back with a code.
const silent = client.buildAuthorizationUrl(config, {
  redirect_uri: callback,
  scope: 'openid profile email',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  prompt: 'none',
});
const quick = await browser.fetch(silent);
assert.equal(quick.status, 302);
const quickTokens = await client.authorizationCodeGrant(config, new URL(quick.headers.get('location')), {
  pkceCodeVerifier: verifier,
  expectedState: state,
});
assert.equal(quickTokens.claims().sub, claims.sub);
console.log('ok - prompt=none with a session and earlier consent');

const logout = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: signedOut,
  state: 'bye',
});
const out = await browser.fetch(logout);
assert.equal(out.status, 303);
assert.equal(out.headers.get('location'), `${signedOut}?state=bye`);
const after = await browser.fetch(silent);
await assert.rejects(
  client.authorizationCodeGrant(config, new URL(after.headers.get('location')), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  }),
  (e) => e.error === 'login_required',
);
console.log('ok - RP-initiated logout ended the session');
