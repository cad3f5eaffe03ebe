// A real OpenID Connect provider for Baton's sign-in tests: the certified `oidc-provider`
// package with its development interactions (a login form taking any password, then a
// consent form), one static confidential client and a few people with email and groups.
//
//   node provider.mjs PORT REDIRECT_URI [PEOPLE_JSON]
//
// It listens on 127.0.0.1:PORT and prints "ready http://127.0.0.1:PORT" once it does. With
// PEOPLE_JSON (a file: {"login": {"email", "name", "groups", "unverified"}}), the people are
// read from it at each sign-in, so a test can change someone's groups between sign-ins.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, redirectUri, peopleFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

// The people: the login name typed in the form is the account id.
const builtIn = {
  alice: { email: 'alice@example.com', name: 'Alice Marketer', groups: ['baton-marketers', 'sales-emea'] },
  bob: { email: 'bob@example.com', name: 'Bob Rep', groups: ['sales-na'] },
  carol: { email: 'carol@elsewhere.org', name: 'Carol Outsider', groups: [] },
  dave: { email: 'dave@example.com', name: 'Dave Unverified', groups: [], unverified: true },
};

const everyone = () => (peopleFile ? JSON.parse(readFileSync(peopleFile, 'utf8')) : builtIn);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'baton',
      client_secret: 'baton-test-secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['baton-test-cookie-key'] },
  async findAccount(ctx, id) {
    if (!everyone()[id]) return undefined;
    return {
      accountId: id,
      async claims() {
        const person = everyone()[id];
        return {
          sub: id,
          email: person.email,
          email_verified: !person.unverified,
          name: person.name,
          groups: person.groups,
        };
      },
    };
  },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
