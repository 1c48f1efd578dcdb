/** AuthZEN Authorization API 1.0: Access Evaluation and Access Evaluations, on the same engine. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { post, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ maxBatch: 3 });
});
afterAll(async () => {
  await pdp.stop();
});

const alice = { type: 'user', id: 'alice', properties: { groups: ['oracle-ai-users'] } };
const bob = { type: 'user', id: 'bob' };
const read = { name: 'read' };
const chat = { type: 'chat', id: 'room-1' };
const admin = { type: 'admin', id: 'console' };

describe('POST /access/v1/evaluation', () => {
  test('maps subject.properties.groups, action.name and resource.type onto the engine', async () => {
    const res = await post(pdp.url, '/access/v1/evaluation', { subject: alice, action: read, resource: chat });
    expect(res.status).toBe(200);
    expect(res.body.decision).toBe(true);
    expect(res.body.context).toMatchObject({ reason: 'allowed by chat/members-may-chat', reasons: [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }] });
    expect(res.body.context.revision).toBe(pdp.policies().revision);
  });

  test('subject.properties are claims, resource.properties attributes (deny rule on a claim)', async () => {
    const suspended = { ...alice, properties: { ...alice.properties, account_status: 'suspended' } };
    const res = await post(pdp.url, '/access/v1/evaluation', { subject: suspended, action: read, resource: chat, context: { ip: '10.0.0.1' } });
    expect(res.body.decision).toBe(false);
    expect(res.body.context.reason).toBe('denied by chat/no-suspended');
  });

  test('subject.properties.roles grants nothing (roles are derived only); groups of the wrong type are a 400', async () => {
    const smuggler = { type: 'user', id: 'mallory', properties: { roles: ['ai-user', 'ai-admin'] } };
    for (const resource of [chat, admin]) {
      const res = await post(pdp.url, '/access/v1/evaluation', { subject: smuggler, action: read, resource });
      expect(res.status).toBe(200);
      expect(res.body.decision, resource.type).toBe(false);
    }
    for (const [groups, pointer] of [['oracle-ai-users', '/subject/properties/groups'], [[1], '/subject/properties/groups/0'], [{ 0: 'oracle-ai-users' }, '/subject/properties/groups']] as const) {
      const res = await post(pdp.url, '/access/v1/evaluation', { subject: { type: 'user', id: 'm', properties: { groups } }, action: read, resource: chat });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([pointer]);
    }
    const roles = await post(pdp.url, '/access/v1/evaluation', { subject: { type: 'user', id: 'm', properties: { roles: 'ai-admin' } }, action: read, resource: chat });
    expect(roles.status).toBe(400);
    expect(roles.body.errors).toEqual([{ pointer: '/subject/properties/roles', detail: 'must be an array' }]);
  });

  test('X-Request-ID is echoed back, also on an error', async () => {
    const ok = await post(pdp.url, '/access/v1/evaluation', { subject: alice, action: read, resource: chat }, { 'x-request-id': 'req-123' });
    expect(ok.headers.get('x-request-id')).toBe('req-123');
    const bad = await post(pdp.url, '/access/v1/evaluation', { subject: alice }, { 'x-request-id': 'req-456' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-request-id')).toBe('req-456');
  });

  test('default deny says so', async () => {
    const res = await post(pdp.url, '/access/v1/evaluation', { subject: bob, action: read, resource: chat });
    expect(res.body).toMatchObject({ decision: false, context: { reason: 'no rule allows this request (default deny)', reasons: [{ code: 'default_deny', policy: '', rule: '' }] } });
  });

  test('AuthZEN requires subject.type and resource.id (schema, with pointers)', async () => {
    const res = await post(pdp.url, '/access/v1/evaluation', { subject: { id: 'alice' }, action: 'read', resource: { type: 'chat' } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/action', '/resource/id', '/subject/type']);
  });
});

describe('POST /access/v1/evaluations', () => {
  test('top-level values are defaults; each evaluation may replace any of them; results in order', async () => {
    const res = await post(pdp.url, '/access/v1/evaluations', {
      subject: alice,
      action: read,
      evaluations: [{ resource: chat }, { resource: admin }, { subject: { type: 'user', id: 'carol', properties: { groups: ['oracle-ai-admins'] } }, resource: admin }],
    });
    expect(res.status).toBe(200);
    expect(res.body.evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([true, false, true]);
  });

  test('without evaluations it is a single evaluation', async () => {
    const res = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, resource: chat });
    expect(res.body.decision).toBe(true);
    expect(res.body.evaluations).toBeUndefined();
  });

  test('deny_on_first_deny stops at the first deny; permit_on_first_permit at the first permit', async () => {
    const evaluations = [{ resource: chat }, { resource: admin }, { resource: chat }];
    const d = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, evaluations, options: { evaluations_semantic: 'deny_on_first_deny' } });
    expect(d.body.evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([true, false]);
    const p = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, evaluations: [{ resource: admin }, { resource: chat }, { resource: admin }], options: { evaluations_semantic: 'permit_on_first_permit' } });
    expect(p.body.evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([false, true]);
  });

  test('an evaluation left without a subject, action or resource is a 400 naming it', async () => {
    const res = await post(pdp.url, '/access/v1/evaluations', { action: read, evaluations: [{ subject: alice, resource: chat }, { resource: chat }] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ pointer: '/evaluations/1/subject', detail: 'is required (here or as a top-level default)' }]);
  });

  test('more evaluations than PDP_MAX_BATCH, or an unknown semantic, is a 400', async () => {
    const many = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, evaluations: Array.from({ length: 4 }, () => ({ resource: chat })) });
    expect(many.status).toBe(400);
    expect(many.body.errors[0].pointer).toBe('/evaluations');
    const sem = await post(pdp.url, '/access/v1/evaluations', { subject: alice, action: read, resource: chat, options: { evaluations_semantic: 'first_wins' } });
    expect(sem.status).toBe(400);
    expect(sem.body.errors[0].pointer).toBe('/options/evaluations_semantic');
  });
});
