// A real OpenID Provider for the API tests (tests/api/oidc.rs): panva's oidc-provider, an
// OpenID Foundation certified implementation, pinned in package-lock.json beside this file.
//
// Started once per test with its settings in the environment:
//   OIDC_REDIRECT_URI  the securebase callback registered for the client (exact match)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
//   OIDC_ACCOUNTS      JSON list of accounts: {id, email?, email_verified?, preferred_username?, sourced_id?}
//   OIDC_TAMPER        optional: "aud" or "expired": the ID token of each token response is
//                      signed again with the provider's own key after that change, as a token
//                      issued to another client, or one that has expired, would be.
//   OIDC_PORT          optional: the port to listen on (a free one by default)
//   OIDC_ISSUER_HOST   optional: the host name in the issuer (127.0.0.1 by default; e.g. localhost)
//   OIDC_EXIT_WITH_STDIN  set by the tests: leave when stdin closes
// It listens on 127.0.0.1 and prints "READY <issuer>" when it is ready.
//
// Besides the protocol it serves two test routes:
//   POST /interaction/<uid>/login  (account=<id>) signs that account in, as a user would
//   POST /__control/rotate         replaces the signing key (a new kid; the old key is gone)

import http from 'node:http';
import { generateKeyPair, exportJWK, decodeJwt, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const env = (name, fallback) => process.env[name] ?? fallback;
const clientId = env('OIDC_CLIENT_ID', 'securebase');
const clientSecret = env('OIDC_CLIENT_SECRET', 'test-client-secret-000000000000000');
const redirectUri = env('OIDC_REDIRECT_URI');
const accounts = JSON.parse(env('OIDC_ACCOUNTS', '[]'));
const tamper = env('OIDC_TAMPER', '');
if (!redirectUri) {
  console.error('OIDC_REDIRECT_URI is required');
  process.exit(2);
}

let keyNumber = 0;
async function newSigningKey() {
  keyNumber += 1;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { jwk: { ...jwk, kid: `key-${keyNumber}-${Date.now()}`, alg: 'RS256', use: 'sig' }, privateKey };
}

function findAccount(_ctx, id) {
  const account = accounts.find((a) => a.id === id);
  if (!account) return undefined;
  return {
    accountId: id,
    async claims() {
      const claims = { sub: id };
      for (const name of ['email', 'email_verified', 'preferred_username', 'sourced_id']) {
        if (account[name] !== undefined) claims[name] = account[name];
      }
      return claims;
    },
  };
}

function buildProvider(issuer, signing) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signing.jwk] },
    findAccount,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'sourced_id'],
    },
    // Claims of the requested scopes go in the ID token itself, as Google and Entra ID do.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // A first-party client: every requested scope is granted without a consent screen.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['securebase-test-provider-cookie-key'] },
  });
  if (tamper) {
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path !== '/token' || !ctx.body?.id_token) return;
      const claims = decodeJwt(ctx.body.id_token);
      const now = Math.floor(Date.now() / 1000);
      if (tamper === 'aud') claims.aud = 'another-client';
      if (tamper === 'expired') {
        claims.iat = now - 7200;
        claims.exp = now - 3600;
      }
      ctx.body = {
        ...ctx.body,
        id_token: await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: signing.jwk.kid })
          .sign(signing.privateKey),
      };
    });
  }
  return provider;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

let current;
let issuer;

async function interaction(req, res, uid, action) {
  const details = await current.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = accounts.find((a) => a.id === form.get('account'));
    if (!account) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('no such account at this provider');
      return;
    }
    await current.interactionFinished(req, res, { login: { accountId: account.id } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>Test provider</title>
<form method="post" action="/interaction/${uid}/login">
<label>Account <input name="account"></label><button>Sign in</button></form>`);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
    if (match) {
      await interaction(req, res, match[1], match[2]);
    } else if (req.method === 'POST' && url.pathname === '/__control/rotate') {
      const signing = await newSigningKey();
      current = buildProvider(issuer, signing);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kid: signing.jwk.kid }));
    } else {
      current.callback()(req, res);
    }
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err?.message ?? err));
  }
});

server.listen(Number(env('OIDC_PORT', '0')), '127.0.0.1', async () => {
  issuer = `http://${env('OIDC_ISSUER_HOST', '127.0.0.1')}:${server.address().port}`;
  current = buildProvider(issuer, await newSigningKey());
  console.log(`READY ${issuer}`);
});

// Started by a test: the provider leaves when the test's end closes its stdin, even if the
// test process dies without stopping it.
if (process.env.OIDC_EXIT_WITH_STDIN) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
