// node-oidc-provider configured like Keygate for the shared benchmark scenarios:
// client credentials, refresh with rotation, and RFC 7662 introspection, with ES256 JWT access
// tokens (resource indicator urn:bench:api) on loopback. Token and introspection live at
// Keygate's paths so one load tool command line fits both servers.
//
// Environment: PORT (default 18081), CLIENT_SECRET (required), REFRESH_CHAINS (how many refresh
// tokens to mint at start, default 64), REFRESH_TOKENS_FILE (where to write them, one a line).
//
// Refresh tokens are minted in-process (Grant + RefreshToken, as the authorization-code grant
// would store them) because this script has no sign-in pages; every later refresh goes through
// the real token endpoint. Storage is oidc-provider's default in-memory adapter.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const port = Number(process.env.PORT ?? 18081);
const clientSecret = process.env.CLIENT_SECRET;
if (!clientSecret) {
  console.error('CLIENT_SECRET is required');
  process.exit(1);
}
const chains = Number(process.env.REFRESH_CHAINS ?? 64);
const refreshFile = process.env.REFRESH_TOKENS_FILE;

const API = 'urn:bench:api';
const OPAQUE = 'urn:bench:opaque';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench',
    client_secret: clientSecret,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: ['https://localhost:5001/bench/callback'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    introspection_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope: 'openid offline_access api',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-not-used-for-tokens'] },
  scopes: ['openid', 'offline_access', 'api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => (resource === OPAQUE
        ? { scope: 'api', accessTokenFormat: 'opaque' }
        : { scope: 'api', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
    },
  },
  routes: { token: '/oauth2/token', introspection: '/oauth2/introspect', revocation: '/oauth2/revoke' },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    RefreshToken: 365 * 24 * 3600,
    Grant: 365 * 24 * 3600,
    IdToken: 3600,
  },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});

async function mintRefreshTokens(count) {
  const client = await provider.Client.find('bench');
  const tokens = [];
  for (let i = 0; i < count; i += 1) {
    const accountId = `bench-user-${i}`;
    const grant = new provider.Grant({ accountId, clientId: 'bench' });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(API, 'api');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      accountId,
      client,
      grantId,
      gty: 'authorization_code',
      // No `openid`: Keygate's refresh returns no ID token, so neither does this one.
      scope: 'offline_access api',
      resource: API,
      authTime: Math.floor(Date.now() / 1000),
      iiat: Math.floor(Date.now() / 1000),
    });
    tokens.push(await rt.save());
  }
  return tokens;
}

if (refreshFile) {
  writeFileSync(refreshFile, `${(await mintRefreshTokens(chains)).join('\n')}\n`, { mode: 0o600 });
}
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready on http://127.0.0.1:${port}`);
});
