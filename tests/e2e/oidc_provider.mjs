// An OpenID provider for the sign-in tests: panva's oidc-provider (installed from the npm registry
// as a dev dependency of the console), configured like the Keycloak realm in deploy/keycloak:
// realm roles in `realm_access.roles`, the `jurisdiction` attribute and the `amparo` audience in
// every JWT access token. Its own pages (sign-in, sign-out) load nothing from elsewhere.
//
//   node oidc_provider.mjs SETTINGS.json
//
// SETTINGS: { modules, port, clients: [{client_id, client_secret, redirect_uris,
// post_logout_redirect_uris, audience}], accounts: {username: {password, name, roles,
// jurisdiction, access_seconds, refresh_seconds}} }. Prints "ready <issuer>" once it listens.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(pathToFileURL(join(settings.modules, 'oidc-provider', 'lib', 'index.js')));

const issuer = `http://127.0.0.1:${settings.port}`;
const RESOURCE = 'urn:amparo:services';
const accounts = settings.accounts;
const audiences = Object.fromEntries(settings.clients.map((c) => [c.client_id, c.audience || 'amparo']));

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;

function lifetime(key, fallback) {
  return (ctx, token) => {
    const account = accounts[token.accountId];
    return (account && account[key]) || fallback;
  };
}

// A refresh token's life counts from the sign-in (`iiat`), not from its last rotation: the
// session has a fixed length, as Keycloak's "SSO Session Max".
function sessionLength(ctx, token) {
  const seconds = lifetime('refresh_seconds', 3600)(ctx, token);
  const since = token.iiat ? Math.floor(Date.now() / 1000) - token.iiat : 0;
  return Math.max(1, seconds - since);
}

const provider = new Provider(issuer, {
  clients: settings.clients.map((c) => ({
    client_id: c.client_id,
    ...(c.client_secret ? { client_secret: c.client_secret } : { token_endpoint_auth_method: 'none' }),
    redirect_uris: c.redirect_uris,
    post_logout_redirect_uris: c.post_logout_redirect_uris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  })),
  cookies: { keys: ['amparo-test-provider-cookie-key'] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  ttl: {
    AccessToken: lifetime('access_seconds', 300),
    RefreshToken: sessionLength,
    IdToken: 300,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, name: account.name, preferred_username: id }),
    };
  },
  async extraTokenClaims(ctx, token) {
    const account = accounts[token.accountId];
    if (!account || token.kind !== 'AccessToken') return undefined;
    return {
      realm_access: { roles: account.roles },
      jurisdiction: account.jurisdiction,
      name: account.name,
      preferred_username: token.accountId,
    };
  },
  // Amparo is the console's first-party application: no consent screen, as in the Keycloak realm.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = session.grantIdFor(client.clientId);
    const grant = grantId ? await provider.Grant.find(grantId) : undefined;
    if (grant) return grant;
    const fresh = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    fresh.addOIDCScope('openid profile offline_access');
    fresh.addResourceScope(RESOURCE, 'openid profile offline_access');
    await fresh.save();
    return fresh;
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out', `${form}<p>Sign out of the identity provider?</p><button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
      },
      postLogoutSuccessSource: async (ctx) => { ctx.body = page('Signed out', '<p>You are signed out.</p>'); },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, indicator, client) => ({
        scope: 'openid profile offline_access',
        audience: audiences[client.clientId],
        accessTokenFormat: 'jwt',
        accessTokenTTL: undefined,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => { ctx.type = 'html'; ctx.body = page('Error', `<p>${escape(out.error)}: ${escape(out.error_description || '')}</p>`); },
});
provider.proxy = false;

function loginForm(uid, error = '') {
  return page('Sign in to the identity provider', `
    <form method="post" action="/interaction/${escape(uid)}/login">
      <p role="alert">${escape(error)}</p>
      <label>Username <input name="username" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>`);
}

async function readForm(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

// The sign-in page: the username and password are checked against the accounts.
async function interaction(req, res) {
  const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) return false;
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST' && match[2]) {
    const form = await readForm(req);
    const account = accounts[form.get('username')];
    if (!account || account.password !== form.get('password')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(loginForm(details.uid, 'Wrong username or password.'));
      return true;
    }
    await provider.interactionFinished(req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false });
    return true;
  }
  if (details.prompt.name === 'consent') {
    // Granted by loadExistingGrant; reaching here means a missing scope: grant it for the test.
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope('openid profile offline_access');
    grant.addResourceScope(RESOURCE, 'openid profile offline_access');
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    return true;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(loginForm(details.uid));
  return true;
}

const handle = provider.callback();
createServer(async (req, res) => {
  try {
    if (await interaction(req, res)) return;
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(String(error.message || error));
    return;
  }
  handle(req, res);
}).listen(settings.port, '127.0.0.1', () => { console.log(`ready ${issuer}`); });
