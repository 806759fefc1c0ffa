// node-oidc-provider configured like the portal's provider, for bench/oidc_compare.sh only.
//
// Alike: one confidential client (client_secret_basic, PKCE S256 required, RS256 ID tokens, pairwise
// subjects, openid profile email), refresh tokens issued to it and rotated on every use, profile and
// email claims in the ID token as well as at userinfo, 10-minute access tokens, 60-second codes, one
// demo user whose password is checked at sign-in, consent asked once per session (a new sign-in asks
// again). Different by design of the library: one process.
//
// Two stores, chosen by NODE_STORE:
// - memory (the default): no database, the library's MemoryAdapter over an unbounded store with
//   expiry (TtlStore below), since the store it ships with is an LRU of 1,000 entries that evicts
//   live codes and tokens under load. The library documents its memory adapter as development-only.
// - redis: every session, interaction, grant, code and token in Redis (REDIS_URL, keys `oidc:*`),
//   through redis_adapter.js, modelled on the library's example Redis adapter (ioredis), as a
//   production deployment would keep them.
//
// Environment: PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, DEMO_EMAIL, DEMO_PASSWORD,
// SIGNING_KEY_PEM (RSA private key), BENCH_HASHER=fast|production (production: PBKDF2-SHA256 at
// Django 5.2's 1,000,000 iterations, like the Django providers' default hasher), NODE_STORE=memory|redis
// (default memory), REDIS_URL (with redis, e.g. redis://127.0.0.1:6379/13).
import crypto from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

import redisAdapterFactory from './redis_adapter.js';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const PORT = Number(env('PORT'));
const ISSUER = env('ISSUER');
const DEMO_EMAIL = env('DEMO_EMAIL');
const ACCOUNT_ID = 'demo-1';
const PAIRWISE_KEY = crypto.randomBytes(32);
const pbkdf2 = promisify(crypto.pbkdf2);
const ITERATIONS = 1_000_000;
const FAST = process.env.BENCH_HASHER === 'fast';

// The demo password, stored as a salted hash and checked at each sign-in.
const salt = crypto.randomBytes(16);
const hashPassword = async (password) => (FAST
  ? crypto.createHash('sha256').update(salt).update(password).digest()
  : pbkdf2(password, salt, ITERATIONS, 32, 'sha256'));
const storedHash = await hashPassword(env('DEMO_PASSWORD'));

// The interface the library's MemoryAdapter expects of its store (get, set with maxAge, delete).
class TtlStore {
  #entries = new Map();

  get(key) {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  set(key, value, options) {
    this.#entries.set(key, { value, expiresAt: options?.maxAge ? Date.now() + options.maxAge : 0 });
  }

  delete(key) {
    this.#entries.delete(key);
  }

  sweep() {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt && entry.expiresAt <= now) this.#entries.delete(key);
  }
}
const STORE = process.env.NODE_STORE || 'memory';
let adapter;
if (STORE === 'memory') {
  const store = new TtlStore();
  setInterval(() => store.sweep(), 10_000).unref();
  adapter = (model) => new MemoryAdapter(model, store);
} else if (STORE === 'redis') {
  adapter = redisAdapterFactory(env('REDIS_URL')).RedisAdapter;
} else {
  throw new Error(`NODE_STORE must be memory or redis, not ${STORE}`);
}

const signingJwk = crypto.createPrivateKey(env('SIGNING_KEY_PEM')).export({ format: 'jwk' });

const configuration = {
  adapter,
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
    subject_type: 'pairwise',
  }],
  jwks: { keys: [{ ...signingJwk, use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false,
  subjectTypes: ['public', 'pairwise'],
  pairwiseIdentifier: async (ctx, accountId, client) => crypto
    .createHmac('sha256', PAIRWISE_KEY).update(`${client.sectorIdentifier}|${accountId}`).digest('base64url'),
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 300 },
  features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => (sub === ACCOUNT_ID ? {
    accountId: ACCOUNT_ID,
    claims: async () => ({
      sub: ACCOUNT_ID,
      name: 'CHAN Tai Man',
      given_name: 'Tai Man',
      family_name: 'CHAN',
      email: DEMO_EMAIL,
      email_verified: true,
    }),
  } : undefined),
};

const provider = new Provider(ISSUER, configuration);
const callback = provider.callback();

const readForm = async (req) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
};

const page = (res, body) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><title>Sign in</title></head><body>${body}</body></html>`);
};

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const { prompt, params } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      return page(res, `<form method="post" action="/interaction/${uid}/login">
<label>Email <input name="login" type="email" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>`);
    }
    return page(res, `<form method="post" action="/interaction/${uid}/confirm">
<p>${escape(params.client_id)} asks for: ${escape(params.scope)}</p>
<button type="submit" name="action" value="grant">Allow</button></form>`);
  }
  const form = await readForm(req);
  if (action === 'login') {
    const given = await hashPassword(form.get('password') || '');
    const ok = form.get('login') === DEMO_EMAIL && crypto.timingSafeEqual(given, storedHash);
    if (!ok) return page(res, '<p>Wrong email or password.</p>');
    return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT_ID } }, { mergeWithLastSubmission: false });
  }
  const { details: missing } = prompt;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/.exec(req.url.split('?')[0]);
  if (!match) return callback(req, res);
  try {
    return await interaction(req, res, match[1], match[2]);
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    return res.end(String(error.message || error));
  }
});
server.keepAliveTimeout = 5000;
server.listen(PORT, '127.0.0.1', () => console.log(`node-oidc-provider (${STORE} store) listening on ${ISSUER}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
