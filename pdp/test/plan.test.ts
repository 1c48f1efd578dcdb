/**
 * The query planner, one case per kind: always_allowed, always_denied (default deny, a deny rule,
 * an error, a malformed request), conditional (folded subject, context, roles and data), and the
 * refusals. Policies are loaded through the checker, like a served set.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { plan, PlanUnsupportedError } from '../src/engine/plan.js';
import type { DataFiles, DecisionSubject, Policy, RoleDefinition } from '../src/engine/types.js';
import { loadPolicies } from '../src/policy/loader.js';
import { load } from './reference.js';

const alice: DecisionSubject = { id: 'alice', groups: ['staff'], claims: { dept: 'eng', level: 3 } };

function planner(policies: Policy[], roles: Record<string, RoleDefinition> = {}, data?: DataFiles) {
  const compiled = compile(load(policies, roles, data));
  return (subject: DecisionSubject, action = 'read', extra: { context?: Record<string, unknown> } = {}) => plan(compiled, { subject, action, resourceType: 'doc', ...extra });
}

const docs = (rules: Policy['rules']): Policy[] => [{ id: 'docs', resource: 'doc', rules }];

describe('plan', () => {
  it('always_allowed when a rule with no resource condition allows, and nothing denies', () => {
    const p = planner(docs([{ id: 'staff-read', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['staff'] } } }]));
    expect(p(alice)).toEqual({ kind: 'always_allowed', revision: expect.stringMatching(/^sha256:/) });
  });

  it('always_denied by default, for an unknown action, and for a subject outside the rule', () => {
    const p = planner(docs([{ id: 'staff-read', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['staff'] } } }]));
    expect(p(alice, 'write')).toMatchObject({ kind: 'always_denied', reasons: [] });
    expect(p({ id: 'bob' })).toMatchObject({ kind: 'always_denied', reasons: [] });
  });

  it('always_denied by a deny rule that holds for every resource, naming it', () => {
    const p = planner(
      docs([
        { id: 'all-read', effect: 'allow', actions: ['read'] },
        { id: 'no-contractors', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'subject.claims.dept' }, 'contractor'] } },
      ]),
    );
    expect(p({ id: 'c', claims: { dept: 'contractor' } })).toMatchObject({ kind: 'always_denied', reasons: [{ policy: 'docs', rule: 'no-contractors', effect: 'deny' }] });
    expect(p(alice).kind).toBe('always_allowed');
  });

  it('always_denied, fail closed, when an allow condition errs whatever the resource', () => {
    const p = planner(docs([{ id: 'cat', effect: 'allow', actions: ['read'], when: { '==': [{ cat: [{ var: 'subject.claims.x' }] }, 'y'] } }]));
    expect(p({ id: 'u', claims: { x: { toString: 1 } } })).toMatchObject({ kind: 'always_denied', reasons: [{ rule: 'cat', code: 'evaluation_error' }] });
  });

  it('always_denied for a malformed request, never a throw', () => {
    const p = planner(docs([{ id: 'all-read', effect: 'allow', actions: ['read'] }]));
    expect(p({ id: 42 } as unknown as DecisionSubject)).toMatchObject({ kind: 'always_denied', reasons: [{ code: 'invalid_request', message: 'subject.id must be a string' }] });
  });

  it('conditional: subject, context and data folded, only the resource left', () => {
    const p = planner(
      docs([
        { id: 'own', effect: 'allow', actions: ['read'], when: { '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.id' }] } },
        { id: 'dept', effect: 'allow', actions: ['read'], when: { and: [{ var: 'context.office' }, { '==': [{ var: 'resource.attributes.dept' }, { data: ['users', { var: 'subject.id' }, 'dept'] }] }] } },
        { id: 'secret', effect: 'deny', actions: ['*'], when: { '>': [{ var: 'resource.attributes.level' }, { var: 'subject.claims.level' }] } },
      ]),
      {},
      { users: { alice: { dept: 'eng' } } },
    );
    const cond = (x: unknown) => ({ kind: 'conditional', condition: x, revision: expect.any(String) });
    const deny = { '!': { '>': [{ var: 'resource.attributes.level' }, 3] } };
    const own = { '==': [{ var: 'resource.attributes.owner' }, 'alice'] };
    const dept = { '==': [{ var: 'resource.attributes.dept' }, 'eng'] };
    expect(p(alice, 'read', { context: { office: true } })).toEqual(cond({ and: [deny, { or: [{ '!!': dept }, true] }, { or: [own, dept] }] }));
    // context.office false drops the second rule (its test comes first); the guard goes with it.
    expect(p(alice, 'read', { context: { office: false } })).toEqual(cond({ and: [deny, own] }));
    // A residual the rule reaches is kept even when it cannot make the rule apply: it may throw (which denies).
    const late = planner(docs([{ id: 'late', effect: 'deny', actions: ['read'], when: { and: [{ '==': [{ var: 'resource.id' }, 'x'] }, { var: 'context.office' }] } }, { id: 'all', effect: 'allow', actions: ['read'] }]));
    expect(late(alice, 'read', { context: { office: false } })).toEqual(cond({ '!': { and: [{ '==': [{ var: 'resource.id' }, 'x'] }, false] } }));
    expect(late(alice, 'read', { context: { office: true } })).toEqual(cond({ '!': { '==': [{ var: 'resource.id' }, 'x'] } }));
  });

  it('conditional with roles: derived from groups and from data, folded in', () => {
    const p = planner(
      docs([{ id: 'editors', effect: 'allow', actions: ['write'], subject: { roles: { anyOf: ['editor'] } }, when: { '!==': [{ var: 'resource.attributes.locked' }, true] } }]),
      { editor: { fromData: { file: 'users', path: [{ var: 'subject.id' }, 'roles'] } } },
      { users: { alice: { roles: ['editor'] } } },
    );
    expect(p(alice, 'write')).toMatchObject({ kind: 'conditional', condition: { '!==': [{ var: 'resource.attributes.locked' }, true] } });
    expect(p({ id: 'bob' }, 'write')).toMatchObject({ kind: 'always_denied' });
  });

  it('refuses what it cannot fold: a data lookup keyed by the resource, a role derived from it', () => {
    const byOwner = planner(docs([{ id: 'team', effect: 'allow', actions: ['read'], when: { '==': [{ data: ['users', { var: 'resource.attributes.owner' }, 'dept'] }, 'eng'] } }]), {}, { users: {} });
    expect(() => byOwner(alice)).toThrow(PlanUnsupportedError);
    expect(() => byOwner(alice)).toThrow(/keyed by the resource/);
    const roleFromResource = planner(docs([{ id: 'owners', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['owner'] } } }]), { owner: { when: { '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.id' }] } } });
    expect(() => roleFromResource(alice)).toThrow(/derived from the resource/);
    // Not reached (the group matcher fails first): no refusal.
    const unreached = planner(docs([{ id: 'team', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['admins'] } }, when: { '==': [{ data: ['users', { var: 'resource.id' }] }, 1] } }]), {}, { users: {} });
    expect(unreached(alice).kind).toBe('always_denied');
  });

  it('for the demo policies: chat members always, suspended accounts never', async () => {
    const loaded = await loadPolicies(new URL('../../policies', import.meta.url).pathname);
    if (!loaded.ok) throw new Error('demo policies refused');
    const compiled = compile(loaded.policySet);
    expect(plan(compiled, { subject: { id: 'alice', groups: ['oracle-ai-users'] }, action: 'read', resourceType: 'chat' }).kind).toBe('always_allowed');
    expect(plan(compiled, { subject: { id: 'alice', groups: ['oracle-ai-users'], claims: { account_status: 'suspended' } }, action: 'read', resourceType: 'chat' }).kind).toBe('always_denied');
    expect(plan(compiled, { subject: { id: 'eve' }, action: 'read', resourceType: 'chat' }).kind).toBe('always_denied');
  });
});
