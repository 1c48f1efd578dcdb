import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ALICE, BOB, CAROL, CHAT_POLICY, get, post, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ maxBatch: 5 });
});
afterAll(async () => {
  await pdp.stop();
});

const chatRead = (subject: unknown) => ({ subject, resource: { type: 'chat', id: 'room-1' }, action: 'read' });

describe('POST /v1/decide', () => {
  test('an allow names the rule that allowed, and has exactly the documented keys', async () => {
    const res = await post(pdp.url, '/v1/decide', chatRead(ALICE));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['allow', 'decisionId', 'effect', 'reasons', 'revision']);
    expect(res.body).toMatchObject({ allow: true, effect: 'allow', reasons: [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }] });
    expect(res.body.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(res.body.revision).toBe(pdp.policies().revision);
  });

  test('default deny: no rule for bob, one default_deny reason', async () => {
    const res = await post(pdp.url, '/v1/decide', chatRead(BOB));
    expect(res.body).toEqual({ decisionId: expect.any(String), allow: false, effect: 'deny', reasons: [{ policy: '', rule: '', effect: 'deny', code: 'default_deny', message: 'no rule allows this request (default deny)' }], revision: pdp.policies().revision });
  });

  test('deny overrides allow (suspended account)', async () => {
    const res = await post(pdp.url, '/v1/decide', chatRead({ ...ALICE, claims: { account_status: 'suspended' } }));
    expect(res.body).toMatchObject({ allow: false, effect: 'deny', reasons: [{ policy: 'chat', rule: 'no-suspended', effect: 'deny' }] });
  });

  test('the /decide alias answers the same', async () => {
    const res = await post(pdp.url, '/decide', chatRead(ALICE));
    expect(res.status).toBe(200);
    expect(res.body.allow).toBe(true);
  });

  test('a query string does not change the route', async () => {
    const res = await post(pdp.url, '/v1/decide?trace=1', chatRead(ALICE));
    expect(res.body.allow).toBe(true);
  });

  test('unknown resource type and unknown action are a deny, not an error', async () => {
    const a = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'no-such-type' }, action: 'read' });
    const b = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'no-such-action' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.allow, b.body.allow]).toEqual([false, false]);
  });

  test('explain: derived roles and the rules considered', async () => {
    const res = await post(pdp.url, '/v1/decide', { ...chatRead(CAROL), explain: true });
    expect(res.body.allow).toBe(true);
    expect(res.body.explain.roles).toEqual(['ai-admin', 'ai-user']);
    expect(res.body.explain.rules.map((r: { rule: string }) => r.rule)).toContain('members-may-chat');
  });

  test('decision ids are unique', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await post(pdp.url, '/v1/decide', chatRead(ALICE))).body.decisionId));
    expect(new Set(ids).size).toBe(20);
  });

  test('each decision writes one log line with id, revision, subject, resource, action, effect, reasons, latency', async () => {
    const res = await post(pdp.url, '/v1/decide', chatRead(ALICE));
    const line = pdp.log.lines.find((l) => l.decisionId === res.body.decisionId);
    expect(line).toMatchObject({
      msg: 'decision',
      revision: res.body.revision,
      subject: 'alice',
      resource: { type: 'chat', id: 'room-1' },
      action: 'read',
      effect: 'allow',
      reasons: [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }],
    });
    expect(typeof line?.latencyUs).toBe('number');
    expect(pdp.log.lines.filter((l) => l.decisionId === res.body.decisionId)).toHaveLength(1);
  });
});

describe('POST /v1/decide/batch', () => {
  test('results come back in the order of the items', async () => {
    const items = [
      { resource: { type: 'admin' }, action: 'read' },
      { resource: { type: 'chat' }, action: 'read' },
      { resource: { type: 'nothing' }, action: 'read' },
      { resource: { type: 'chat' }, action: 'write' },
    ];
    const res = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { allow: boolean }) => r.allow)).toEqual([false, true, false, true]);
    expect(new Set(res.body.results.map((r: { decisionId: string }) => r.decisionId)).size).toBe(4);
  });

  test('more items than PDP_MAX_BATCH is a 400 pointing at /items', async () => {
    const items = Array.from({ length: 6 }, () => ({ resource: { type: 'chat' }, action: 'read' }));
    const res = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items });
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ pointer: '/items', detail: 'items must list at most 5 items' });
  });

  test('an empty items list is a 400', async () => {
    const res = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items: [] });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe('/items');
  });
});

describe('operations endpoints', () => {
  test('GET /healthz and /readyz', async () => {
    expect((await get(pdp.url, '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await get(pdp.url, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', revision: pdp.policies().revision });
  });

  test('GET /v1/policies has the shared shape', async () => {
    const res = await get(pdp.url, '/v1/policies');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'lastChange', 'lastError', 'loadedAt', 'policies', 'revision', 'roles', 'source']);
    expect(res.body.lastError).toBeNull();
    expect(res.body.source).toEqual({ type: 'directory', location: pdp.dir, fetchedAt: expect.any(String) });
    // Read and found valid when it was loaded (the two clock readings may be a millisecond apart).
    expect(Date.parse(res.body.source.fetchedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.loadedAt));
    expect(res.body.data).toEqual([]);
    expect(new Date(res.body.loadedAt).toString()).not.toBe('Invalid Date');
    expect(res.body.roles).toEqual(['ai-admin', 'ai-user']);
    const chat = res.body.policies.find((p: { id: string }) => p.id === 'chat');
    expect(chat).toEqual({
      id: 'chat',
      resource: 'chat',
      description: 'Chat for AI users; never for suspended accounts.',
      file: 'chat.json',
      // Each rule as written (subject and when included), for an admin page to show it readably.
      rules: CHAT_POLICY.rules,
    });
  });

  test('GET /metrics counts decisions by effect, reloads, loaded policies and token cache', async () => {
    const before = await get(pdp.url, '/metrics');
    const count = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    const allowBefore = count(before.text, /^pdp_decisions_total\{effect="allow"\} (\d+)/m);
    await post(pdp.url, '/v1/decide', chatRead(ALICE));
    const after = await get(pdp.url, '/metrics');
    expect(after.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(count(after.text, /^pdp_decisions_total\{effect="allow"\} (\d+)/m)).toBe(allowBefore + 1);
    expect(after.text).toMatch(/^pdp_decision_duration_seconds_bucket\{le="0.005"\} \d+/m);
    expect(after.text).toMatch(/^pdp_policy_reloads_total\{result="success"\} 1$/m);
    expect(after.text).toMatch(/^pdp_policies_loaded 2$/m);
    expect(after.text).toMatch(/^pdp_token_cache_hits_total 0$/m);
    expect(after.text).toMatch(/^pdp_token_cache_misses_total 0$/m);
  });

  test('GET /openapi.json is OpenAPI 3.1 built from the enforced schemas, every $ref resolvable', async () => {
    const res = await get(pdp.url, '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/v1/decide', '/decide', '/v1/decide/batch', '/access/v1/evaluation', '/access/v1/evaluations', '/v1/policies', '/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    // The configured batch limit shows in the document, as enforced.
    expect(doc.components.schemas.DecideBatchRequest.properties.items.maxItems).toBe(5);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) {
      const name = /#\/components\/schemas\/(.+)"$/.exec(r)?.[1];
      expect(name && doc.components.schemas[name], r).toBeDefined();
    }
    // The embedded request schema validates like the server does.
    const ajv = new Ajv2020({ strict: false });
    // Components refer to one another (a Subject's id is a VisibleName): rewritten all together.
    const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'doc#/$defs/'));
    ajv.addSchema({ $id: 'doc', $defs: defs });
    const validate = ajv.compile(defs.DecideRequest);
    expect(validate(chatRead(ALICE))).toBe(true);
    expect(validate({ subject: ALICE, resource: { type: 'chat' } })).toBe(false);
  });
});
