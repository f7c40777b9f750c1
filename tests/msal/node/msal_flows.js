// @azure/msal-node (pinned in package-lock.json), unchanged, against Keygate's Entra ID endpoints
// over https that trusts Keygate's local CA (NODE_EXTRA_CA_CERTS).
//
// Driven by crates/keygate/tests/msal_clients.rs, which plays the browser: this script prints
// `AUTHORIZE <url>` and reads back the URL the browser was redirected to, and it prints
// `TOKEN <label> <access token>` for each token, which the driver then uses on the REST API.
//
// Flows: the authorization code flow with PKCE (getAuthCodeUrl + acquireTokenByCode), a forced
// silent refresh (acquireTokenSilent with forceRefresh) and client credentials
// (acquireTokenByClientCredential with `.default` on the tenant-id authority; msal-node refuses
// that grant on `organizations` by itself).
"use strict";

const readline = require("node:readline");
const msal = require("@azure/msal-node");

const RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798";
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("KEYGATE_URL");
const tenantId = env("KEYGATE_TENANT_ID");
const clientId = env("KEYGATE_CLIENT_ID");
const clientSecret = env("KEYGATE_CLIENT_SECRET");
const redirectUri = env("KEYGATE_REDIRECT_URI");
const host = new URL(base).host;
const scopes = [`${RESOURCE}/vso.profile`, `${RESOURCE}/vso.project`];
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function fail(message) {
  throw new Error(message);
}

/** Has the driver sign in and consent at `url`; the URL the browser was sent back to. */
async function browser(url) {
  console.log(`AUTHORIZE ${url}`);
  const { value, done } = await lines.next();
  if (done || !value.trim()) fail("the driver sent no redirect URL");
  return new URL(value.trim());
}

function app(authority) {
  return new msal.ConfidentialClientApplication({
    auth: { clientId, clientSecret, authority, knownAuthorities: [host] },
  });
}

async function authorizationCode() {
  const cca = app(`${base}/organizations`);
  const crypto = new msal.CryptoProvider();
  const pkce = await crypto.generatePkceCodes();
  const state = crypto.createNewGuid();
  const nonce = crypto.createNewGuid();
  const url = await cca.getAuthCodeUrl({
    scopes,
    redirectUri,
    state,
    nonce,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: "S256",
  });
  const back = await browser(url);
  const query = Object.fromEntries(back.searchParams);
  if (!query.code) fail(`the redirect carries no code: ${back}`);
  const result = await cca.acquireTokenByCode(
    { code: query.code, scopes, redirectUri, codeVerifier: pkce.verifier, state, nonce },
    query,
  );
  if (!result.accessToken) fail(`acquireTokenByCode returned no access token: ${JSON.stringify(result)}`);
  if (result.idTokenClaims.aud !== clientId) fail(`id token aud ${result.idTokenClaims.aud} is not ${clientId}`);
  if (result.idTokenClaims.tid !== tenantId) fail(`id token tid ${result.idTokenClaims.tid} is not ${tenantId}`);
  console.log(`auth code flow: ok (account ${result.account.username}, expires ${result.expiresOn})`);
  console.log(`TOKEN node-auth-code ${result.accessToken}`);

  const accounts = await cca.getTokenCache().getAllAccounts();
  if (accounts.length !== 1) fail(`msal-node cached ${accounts.length} accounts, not one`);
  const refreshed = await cca.acquireTokenSilent({ account: accounts[0], scopes, forceRefresh: true });
  if (refreshed.fromCache) fail("the forced refresh came from the cache");
  if (refreshed.accessToken === result.accessToken) fail("the forced refresh returned the same access token");
  console.log("silent refresh: ok");
  console.log(`TOKEN node-refresh ${refreshed.accessToken}`);
}

async function clientCredentials() {
  const result = await app(`${base}/${tenantId}`).acquireTokenByClientCredential({
    scopes: [`${RESOURCE}/.default`],
  });
  if (!result || !result.accessToken) fail(`acquireTokenByClientCredential returned no token: ${JSON.stringify(result)}`);
  console.log("client credentials: ok");
  console.log(`TOKEN node-client-credentials ${result.accessToken}`);
}

(async () => {
  await authorizationCode();
  await clientCredentials();
  console.log("DONE");
  process.exit(0);
})().catch((e) => {
  console.error(`msal-node failed: ${e && e.stack ? e.stack : e}`);
  if (e && e.errorCode) console.error(`errorCode=${e.errorCode} subError=${e.subError} ${e.errorMessage}`);
  process.exit(1);
});
