// GET /api/documents with 10,000 seeded documents against the per-row way of listing them, in
// one run on one machine: demo-idp, the PDP (the repository's policies) and demo-api (PGlite) on
// 127.0.0.1, each demo user signed in through the real code flow.
//
//   plan:      GET /api/documents?limit=50 over HTTP (token check, one POST /v1/plan, one SQL query)
//   per row:   what a list without plans must do for the same page: read every row, ask
//              /v1/decide for each (N calls, 32 in flight on kept-alive sockets), keep the allowed
//              ones, count them and cut the page
//   batched:   the same with /v1/decide/batch, 100 rows a call
//
// Prints figures only. Needs `npm run build` (contract, pdp, demo-idp, demo-api) first:
//   node demo-api/bench/documents.mjs [--size 10000] [--runs 20]
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startIdp } from 'demo-idp';
import { CookieJar, DEMO_PASSWORD, codeFromCallback, jarFetch, loginThroughForm } from 'demo-idp/testing';
import { startPdpServer } from '@oracle-ai/pdp';

import { openDatabase } from '../dist/db/database.js';
import { createSchema } from '../dist/db/schema.js';
import { seedIfEmpty } from '../dist/db/seed.js';
import { DocumentStore, attributesOf } from '../dist/documents/store.js';
import { startApi } from '../dist/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const SIZE = option('size', 10_000);
const RUNS = option('runs', 20);
const PAGE = 50;
const IN_FLIGHT = 32;
const USERS = ['alice', 'bob', 'carol', 'dave'];
const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const REDIRECT = 'http://127.0.0.1:4299/auth/callback';
const AUDIENCE = 'http://127.0.0.1:3999/api';
const silent = { level: 'silent' };

const quiet = (await import('pino')).pino(silent);
const clientSecret = randomBytes(24).toString('base64url');
const pdpToken = randomBytes(24).toString('base64url');
const idp = await startIdp({ port: 0, clientSecret, redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://127.0.0.1:4299/'], apiAudience: AUDIENCE, logLevel: 'silent' });
const pdp = await startPdpServer({ policiesDir: POLICIES, host: '127.0.0.1', port: 0, clientTokens: [pdpToken], logLevel: 'silent', decisionLog: false, watch: false });
const api = await startApi(
  { port: 0, issuer: idp.issuer, clientSecret, redirectUri: REDIRECT, apiAudience: AUDIENCE, pdpUrl: pdp.url, pdpClientToken: pdpToken, corsOrigins: ['http://127.0.0.1:4299'], documentsSeedSize: SIZE, logLevel: 'silent' },
  { logger: quiet },
);
// The baseline reads the same rows from its own copy: the seed is deterministic.
const db = await openDatabase({ databaseUrl: undefined }, quiet);
await createSchema(db);
await seedIfEmpty(db, SIZE);
const store = new DocumentStore(db);

async function signIn(login) {
  const jar = new CookieJar();
  const started = await jarFetch(jar, `${api.url}/api/authorize`);
  const { authorize_url: authorizeUrl } = await started.json();
  const { callback } = await loginThroughForm({ authorizeUrl, redirectUri: REDIRECT, login, password: DEMO_PASSWORD });
  const { code, state } = codeFromCallback(callback);
  const response = await fetch(`${api.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `demo_api_txn=${jar.get('demo_api_txn')}` },
    body: JSON.stringify({ code, state }),
  });
  if (response.status !== 200) throw new Error(`sign-in of ${login}: ${response.status}`);
  const { access_token: token } = await response.json();
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  return { token, subject: { id: claims.sub, groups: claims.groups ?? [] } };
}

async function pdpPost(path, body) {
  const response = await fetch(`${pdp.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${pdpToken}` }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

const item = (doc) => ({ resource: { type: 'document', id: doc.id, attributes: { ...attributesOf(doc) } }, action: 'read' });

async function viaPlan(user) {
  const response = await fetch(`${api.url}/api/documents?limit=${PAGE}`, { headers: { authorization: `Bearer ${user.token}` } });
  if (response.status !== 200) throw new Error(`GET /api/documents: ${response.status}`);
  const body = await response.json();
  return { ids: body.documents.map((d) => d.id), total: body.total };
}

async function perRow(user) {
  const rows = await store.everyAttribute();
  const allowed = new Array(rows.length).fill(false);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < rows.length) {
        const i = next++;
        allowed[i] = (await pdpPost('/v1/decide', { subject: user.subject, ...item(rows[i]) })).allow === true;
      }
    }),
  );
  const ids = rows.filter((_, i) => allowed[i]).map((row) => row.id);
  return { ids: ids.slice(0, PAGE), total: ids.length };
}

async function batched(user) {
  const rows = await store.everyAttribute();
  const chunks = [];
  for (let i = 0; i < rows.length; i += 100) chunks.push(rows.slice(i, i + 100));
  const answers = new Array(chunks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < chunks.length) {
        const i = next++;
        answers[i] = (await pdpPost('/v1/decide/batch', { subject: user.subject, items: chunks[i].map(item) })).results;
      }
    }),
  );
  const ids = rows.filter((_, i) => answers[Math.floor(i / 100)][i % 100].allow === true).map((row) => row.id);
  return { ids: ids.slice(0, PAGE), total: ids.length };
}

async function time(fn, runs) {
  const ms = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    last = await fn();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return { p50: at(0.5), p95: at(0.95), last };
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(7);
try {
  console.log(`GET /api/documents?limit=${PAGE}, ${SIZE.toLocaleString('en')} documents (PGlite), ${RUNS} runs per user (per-row ways: ${Math.max(2, Math.floor(RUNS / 5))} runs)`);
  console.log('user    listed   plan p50   p95 ms | per-row p50   p95 ms | batch p50   p95 ms | per-row / plan');
  for (const login of USERS) {
    const user = await signIn(login);
    await viaPlan(user);
    await batched(user);
    const plan = await time(() => viaPlan(user), RUNS);
    const slowRuns = Math.max(2, Math.floor(RUNS / 5));
    const row = await time(() => perRow(user), slowRuns);
    const batch = await time(() => batched(user), slowRuns);
    // The three ways must agree, or the figures compare different answers.
    for (const other of [row.last, batch.last]) {
      if (other.total !== plan.last.total || other.ids.join() !== plan.last.ids.join()) throw new Error(`${login}: the per-row list differs from the plan's`);
    }
    console.log(`${login.padEnd(7)} ${String(plan.last.total).padStart(6)}  ${fmt(plan.p50)} ${fmt(plan.p95)}  | ${fmt(row.p50)} ${fmt(row.p95)}     | ${fmt(batch.p50)} ${fmt(batch.p95)}   | ${(row.p50 / plan.p50).toFixed(0)}×`);
  }
} finally {
  await Promise.allSettled([api.close(), pdp.close(), idp.close(), db.close()]);
}
