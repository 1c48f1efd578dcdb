/**
 * The AuthZEN routes at the edge, over real HTTP: X-Request-ID comes back on every answer,
 * refusals included (400, 401, 413, 415); members the specification does not define are ignored
 * and never reach a policy, while the project's own /v1 API stays strict; evaluations entries are
 * {"decision": …} unless options.decision_context asks for more.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, post, startTestPdp, type TestPdp } from './http-helpers.js';

const TOKEN = 'edge-caller';
const auth = { authorization: `Bearer ${TOKEN}` };
const SEARCH_EXAMPLE = fileURLToPath(new URL('../../examples/authzen-search/', import.meta.url));

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ clientTokens: [TOKEN], maxBodyBytes: 1024 });
});
afterAll(async () => {
  await pdp.stop();
});

const alice = { type: 'user', id: 'alice', properties: { groups: ['oracle-ai-users'] } };
const chat = { type: 'chat', id: 'room-1' };
const read = { name: 'read' };
const ROUTES = {
  '/access/v1/evaluation': { subject: alice, action: read, resource: chat },
  '/access/v1/evaluations': { subject: alice, action: read, evaluations: [{ resource: chat }] },
  '/access/v1/search/subject': { subject: { type: 'user' }, action: read, resource: chat },
  '/access/v1/search/resource': { subject: alice, action: read, resource: { type: 'chat' } },
  '/access/v1/search/action': { subject: alice, resource: chat },
};

async function send(path: string, headers: Record<string, string>, body: string): Promise<Response> {
  const res = await fetch(pdp.url + path, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res;
}

describe('X-Request-ID on every AuthZEN answer', () => {
  for (const [path, body] of Object.entries(ROUTES)) {
    test.each([
      ['200', { ...auth, 'content-type': 'application/json' }, JSON.stringify(body), 200],
      ['400 (schema)', { ...auth, 'content-type': 'application/json' }, JSON.stringify({ subject: 'alice' }), 400],
      ['400 (JSON)', { ...auth, 'content-type': 'application/json' }, '{', 400],
      ['401', { 'content-type': 'application/json' }, JSON.stringify(body), 401],
      ['413', { ...auth, 'content-type': 'application/json' }, JSON.stringify({ ...body, context: { pad: 'x'.repeat(2000) } }), 413],
      ['415', { ...auth, 'content-type': 'text/plain' }, JSON.stringify(body), 415],
    ])(`${path}: %s`, async (_name, headers, text, status) => {
      const id = `az-${status}-${path.length}-${_name.length}`;
      const res = await send(path, { ...headers, 'x-request-id': id }, text);
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toBe(id);
    });
  }

  test('the metadata too', async () => {
    const res = await fetch(`${pdp.url}/.well-known/authzen-configuration`, { headers: { 'x-request-id': 'meta-1' } });
    await res.arrayBuffer();
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('meta-1');
  });
});

describe('members the specification does not define', () => {
  test('are ignored on every AuthZEN route, at every level the specification defines', async () => {
    for (const [path, body] of Object.entries(ROUTES)) {
      const plain = await post(pdp.url, path, body, auth);
      const noisy = await post(pdp.url, path, { ...body, extension: { any: 'thing' }, options: { future_option: 1 }, subject: { ...(body.subject as object), nickname: 'al' } }, auth);
      expect(noisy.status, `${path}: ${noisy.text}`).toBe(200);
      const strip = (b: Record<string, unknown>) => JSON.parse(JSON.stringify(b, (k, v) => (k === 'decisionId' ? undefined : v)));
      expect(strip(noisy.body), path).toEqual(strip(plain.body));
    }
  });

  test('never reach a policy: groups, claims or attributes beside properties grant nothing', async () => {
    const smuggled = { type: 'user', id: 'mallory', groups: ['oracle-ai-admins'], claims: { account_status: 'ok' }, roles: ['ai-admin'] };
    const res = await post(pdp.url, '/access/v1/evaluation', { subject: smuggled, action: read, resource: { type: 'admin', id: 'console', attributes: { public: true } } }, auth);
    expect(res.status).toBe(200);
    expect(res.body.decision).toBe(false);
    // The same groups where the specification puts attributes do count: the deny above is not for another reason.
    const honest = await post(pdp.url, '/access/v1/evaluation', { subject: { type: 'user', id: 'mallory', properties: { groups: ['oracle-ai-admins'] } }, action: read, resource: { type: 'admin', id: 'console' } }, auth);
    expect(honest.body.decision).toBe(true);
  });

  test('the /v1 API still refuses them', async () => {
    const res = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read', extension: 1 }, auth);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/extension']);
  });
});

describe('entries of an evaluations answer', () => {
  const evaluations = [{ resource: chat }, { resource: { type: 'admin', id: 'console' } }];

  test('are {"decision": …} by default; options.decision_context gives each the context of a single evaluation', async () => {
    const plain = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, evaluations }, auth);
    expect(plain.body).toEqual({ evaluations: [{ decision: true }, { decision: false }] });
    const full = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, evaluations, options: { decision_context: true } }, auth);
    expect(full.body.evaluations).toMatchObject([
      { decision: true, context: { reason: 'allowed by chat/members-may-chat', revision: pdp.policies().revision } },
      { decision: false, context: { reason: 'no rule allows this request (default deny)', reasons: [{ code: 'default_deny' }] } },
    ]);
    expect(full.body.evaluations[0].context.decisionId).not.toBe(full.body.evaluations[1].context.decisionId);
    const wrong = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, evaluations, options: { decision_context: 'yes' } }, auth);
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].pointer).toBe('/options/decision_context');
  });

  test("carry a context for their own schema errors (PDP_SCHEMA_ENFORCE=warn), and only then", async () => {
    const warn = await startTestPdp({ dir: SEARCH_EXAMPLE, watch: false });
    try {
      const res = await post(warn.url, '/access/v1/evaluations', {
        subject: { type: 'user', id: 'erin' },
        action: { name: 'view' },
        evaluations: [{ resource: { type: 'record', id: '105' } }, { resource: { type: 'record', id: '111', properties: { colour: 'red' } } }],
      });
      expect(res.body).toEqual({
        evaluations: [{ decision: true }, { decision: true, context: { schemaErrors: [{ pointer: '/evaluations/1/resource/properties/colour', detail: expect.any(String) }] } }],
      });
    } finally {
      await warn.stop();
    }
  });
});
