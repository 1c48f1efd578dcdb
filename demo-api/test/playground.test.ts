// POST /api/admin/playground over real HTTP: demo-idp tokens, the real PDP on the demo policies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { post, signIn, startStack, type Stack } from './support/stack.js';

let stack: Stack;
let carol: string;
let bob: string;

beforeAll(async () => {
  stack = await startStack();
  carol = await signIn(stack.api, 'carol');
  bob = await signIn(stack.api, 'bob');
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

const ask = (body: unknown, token = carol) => post(stack.api, '/api/admin/playground', token, body);
const alice = { id: 'alice', groups: ['oracle-ai-users'] };

interface Traced {
  allow: boolean;
  revision: string;
  explain: { roles: string[]; rules: { policy: string; rule: string; actionMatched: boolean; subjectMatched: boolean; whenResult: boolean | null; applied: boolean }[] };
}

describe('POST /api/admin/playground', () => {
  it('answers an admin with the decision about someone else, and its explained trace', async () => {
    const { status, body } = await ask({ subject: alice, resource: { type: 'chat' }, action: 'write' });
    expect(status).toBe(200);
    const decision = body as unknown as Traced;
    expect(decision.allow).toBe(true);
    expect(decision.revision).toMatch(/^sha256:/);
    expect(decision.explain.roles).toEqual(['ai-user']);
    expect(decision.explain.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ policy: 'chat', rule: 'members-may-chat', actionMatched: true, subjectMatched: true, applied: true }),
        expect.objectContaining({ policy: 'chat', rule: 'no-chat-from-suspended-accounts', whenResult: false, applied: false }),
      ]),
    );
  });

  it('reads the claims it is given: a suspended account is refused by the deny rule', async () => {
    const { status, body } = await ask({ subject: { ...alice, claims: { account_status: 'suspended' } }, resource: { type: 'chat' }, action: 'read' });
    expect(status).toBe(200);
    const decision = body as unknown as Traced;
    expect(decision.allow).toBe(false);
    expect(decision.explain.rules.find((r) => r.rule === 'no-chat-from-suspended-accounts')).toMatchObject({ whenResult: true, applied: true });
  });

  it('is for admins only: bob is refused by the PDP, and no token is a 401', async () => {
    expect((await ask({ subject: alice, resource: { type: 'chat' }, action: 'read' }, bob)).status).toBe(403);
    expect((await post(stack.api, '/api/admin/playground', undefined, { subject: alice, resource: { type: 'chat' }, action: 'read' })).status).toBe(401);
  });

  it.each([
    ['no action', { subject: alice, resource: { type: 'chat' } }, '/action'],
    ['groups not a list', { subject: { id: 'x', groups: 'oracle-ai-users' }, resource: { type: 'chat' }, action: 'read' }, '/subject/groups'],
    ['an empty resource type', { subject: alice, resource: { type: '' }, action: 'read' }, '/resource/type'],
    ['a field it does not know', { subject: alice, resource: { type: 'chat' }, action: 'read', explain: false }, '/explain'],
    ['claims that are not an object', { subject: { ...alice, claims: [1] }, resource: { type: 'chat' }, action: 'read' }, '/subject/claims'],
  ])('refuses %s with a problem pointing at it', async (_name, body, pointer) => {
    const { status, body: problem } = await ask(body);
    expect(status).toBe(400);
    expect(problem).toMatchObject({ code: 'invalid_request', errors: expect.arrayContaining([expect.objectContaining({ pointer })]) });
  });

  it('passes on the PDP\'s own refusal of the input as a 400 with its pointer, not as an outage', async () => {
    const { status, body } = await ask({ subject: { id: 'alice\u0000', groups: [] }, resource: { type: 'chat' }, action: 'read' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'invalid_request', errors: expect.arrayContaining([expect.objectContaining({ pointer: '/subject/id' })]) });
  });
});
