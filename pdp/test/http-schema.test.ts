/**
 * schema.json at the HTTP edge (PDP_SCHEMA_ENFORCE) and the AuthZEN information model reaching
 * policies: real servers on 127.0.0.1 ephemeral ports over temporary policy directories.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/runtime/config.js';
import { ALICE, CHAT_POLICY, eventually, get, makePolicyDir, post, removeDir, ROLES, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';

const SCHEMA = {
  resources: { chat: { attributes: { topic: { type: 'string' } } }, file: {} },
  claims: { attributes: { account_status: { type: 'string', enum: ['active', 'suspended'] } } },
  actionProperties: { attributes: { method: { type: 'string' } } },
};

const FILE_POLICY = {
  id: 'file',
  resource: 'file',
  rules: [
    { id: 'users-read', effect: 'allow', actions: ['read'], when: { '===': [{ var: 'subject.type' }, 'user'] } },
    { id: 'no-delete-method', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'action.properties.method' }, 'DELETE'] } },
  ],
};

const files = { 'chat.json': CHAT_POLICY, 'file.json': FILE_POLICY, 'roles.json': ROLES, 'schema.json': SCHEMA };
const suspended = { ...ALICE, claims: { account_status: 'Suspended' } };
const chat = { type: 'chat', attributes: { topic: 7 } };

describe('PDP_SCHEMA_ENFORCE', () => {
  const pdps: Record<string, TestPdp> = {};
  beforeAll(async () => {
    for (const mode of ['warn', 'reject', 'off'] as const) pdps[mode] = await startTestPdp({ dir: await makePolicyDir(files), schemaEnforce: mode });
  });
  afterAll(async () => {
    for (const pdp of Object.values(pdps)) {
      await pdp.stop();
      await removeDir(pdp.dir);
    }
  });

  it('warn (the default): decides, and names each wrong attribute in the decision and its log line', async () => {
    const pdp = pdps.warn as TestPdp;
    const res = await post(pdp.url, '/v1/decide', { subject: suspended, resource: chat, action: 'read' });
    expect(res.status).toBe(200);
    // The misspelt value switched the deny rule off: exactly what the warning is for.
    expect(res.body.allow).toBe(true);
    expect(res.body.schemaErrors).toEqual([
      { pointer: '/resource/attributes/topic', detail: 'must be a string' },
      { pointer: '/subject/claims/account_status', detail: 'must be one of "active", "suspended"; did you mean "suspended"?' },
    ]);
    const line = pdp.log.lines.find((l) => l.kind === 'decision' && l.decisionId === res.body.decisionId);
    expect(line?.schemaErrors).toEqual(res.body.schemaErrors);
    const fine = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' });
    expect(fine.body).not.toHaveProperty('schemaErrors');
    expect(loadConfig({ env: {} }).schemaEnforce).toBe('warn');
  });

  it('reject: a 400 problem naming every offending attribute, batch items included, and no decision', async () => {
    const pdp = pdps.reject as TestPdp;
    const res = await post(pdp.url, '/v1/decide', { subject: suspended, resource: chat, action: 'read' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('schema_mismatch');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/resource/attributes/topic', '/subject/claims/account_status']);
    const batch = await post(pdp.url, '/v1/decide/batch', {
      subject: ALICE,
      items: [{ resource: { type: 'chat' }, action: 'read' }, { resource: { type: 'chats' }, action: 'read' }, { resource: { type: 'file' }, action: 'read', actionProperties: { method: 1 } }],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.errors).toEqual([
      { pointer: '/items/1/resource/type', detail: 'is not a resource type declared in schema.json; did you mean "chat"?' },
      { pointer: '/items/2/actionProperties/method', detail: 'must be a string' },
    ]);
    expect(pdp.log.lines.filter((l) => l.kind === 'decision')).toEqual([]);
    const fine = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat', attributes: { topic: 'x' } }, action: 'read' });
    expect(fine.body).toMatchObject({ allow: true });
  });

  it('off: not checked', async () => {
    const res = await post((pdps.off as TestPdp).url, '/v1/decide', { subject: suspended, resource: chat, action: 'read' });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('schemaErrors');
  });

  it('is one of reject, warn, off', () => {
    expect(() => loadConfig({ env: { PDP_SCHEMA_ENFORCE: 'strict' } })).toThrow(/PDP_SCHEMA_ENFORCE.*must be one of reject, warn, off/);
    expect(loadConfig({ env: { PDP_SCHEMA_ENFORCE: ' Reject ' } }).schemaEnforce).toBe('reject');
  });

  it('AuthZEN: subject.type and action.properties reach the policies; errors point into the AuthZEN body', async () => {
    const url = (pdps.warn as TestPdp).url;
    const entity = (type: string) => ({ type, id: 'alice' });
    const read = (type: string, properties?: object) => post(url, '/access/v1/evaluation', { subject: entity(type), action: { name: 'read', ...(properties ? { properties } : {}) }, resource: { type: 'file', id: 'f1' } });
    expect((await read('user')).body.decision).toBe(true);
    expect((await read('service')).body.decision).toBe(false);
    const deleting = await read('user', { method: 'DELETE' });
    expect(deleting.body).toMatchObject({ decision: false, context: { reasons: [{ policy: 'file', rule: 'no-delete-method' }] } });
    const wrong = await read('user', { method: 1 });
    expect(wrong.body.context.schemaErrors).toEqual([{ pointer: '/action/properties/method', detail: 'must be a string' }]);
    const many = await post(url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'alice', properties: { account_status: 'gone' } },
      action: { name: 'read' },
      evaluations: [{ resource: { type: 'file', id: 'f1' } }, { resource: { type: 'chat', id: 'c', properties: { topic: 1 } } }],
    });
    expect(many.body.evaluations.map((e: { context: { schemaErrors?: { pointer: string }[] } }) => e.context.schemaErrors?.map((x) => x.pointer))).toEqual([
      ['/subject/properties/account_status'],
      ['/evaluations/1/resource/properties/topic', '/subject/properties/account_status'],
    ]);
  });
});

describe('schema.json hot-reloads with the set', () => {
  it('a change is a new revision; a broken one keeps the last good set serving', async () => {
    const pdp = await startTestPdp({ dir: await makePolicyDir(files) });
    try {
      const before = (await get(pdp.url, '/readyz')).body.revision as string;
      await writeJson(pdp.dir, 'schema.json', { ...SCHEMA, description: 'changed' });
      await eventually(async () => (await get(pdp.url, '/readyz')).body.revision !== before, 5000);
      const changed = (await get(pdp.url, '/readyz')).body.revision as string;
      await writeJson(pdp.dir, 'schema.json', { ...SCHEMA, claims: { attributes: {} } });
      await eventually(async () => (await get(pdp.url, '/v1/policies')).body.lastError !== null && (await get(pdp.url, '/v1/policies')).body.lastError !== undefined, 5000);
      const view = (await get(pdp.url, '/v1/policies')).body;
      expect(JSON.stringify(view.lastError)).toContain('account_status');
      expect((await get(pdp.url, '/readyz')).body.revision).toBe(changed);
    } finally {
      await pdp.stop();
      await removeDir(pdp.dir);
    }
  });
});
