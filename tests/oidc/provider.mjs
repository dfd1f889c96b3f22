// A real OpenID Provider for the portal's sign-in tests: panva's oidc-provider (a certified
// implementation) on loopback, with its development sign-in and consent pages.
//
// Configured from the environment (tests/oidc/server.py starts it):
//   OIDC_TEST_CLIENTS   JSON list of clients: {client_id, client_secret, redirect_uris}
//   OIDC_TEST_ACCOUNTS  a JSON file: login name -> claims (email, email_verified, given_name,
//                       family_name, voperson_id, ...); `sub` is the login name. Read at every
//                       sign-in, so a test can change what the provider releases.
// It listens on 127.0.0.1 on a free port and prints one line of JSON, {"issuer": "..."}, once
// it answers. The development sign-in page takes any password: the login name picks the account.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const clients = JSON.parse(process.env.OIDC_TEST_CLIENTS || '[]');
const readAccounts = () => JSON.parse(readFileSync(process.env.OIDC_TEST_ACCOUNTS, 'utf8'));

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...client,
    })),
    async findAccount(ctx, id) {
      const claims = readAccounts()[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
      // MyAccessID's persistent identifier, released with its `aarc` scope.
      aarc: ['voperson_id'],
    },
    // Claims in the ID token too, as MyAccessID releases them (allauth reads userinfo first).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['portal-tests-only-not-a-secret'] },
    features: { devInteractions: { enabled: true } },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
