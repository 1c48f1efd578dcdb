/**
 * The default-deny reason and `explain.wouldAllow`, on the demo policies (policies/) and on
 * random sets: every piece of advice, applied to the request, must make the independent
 * reference evaluator (and, where no role has to be forced, `decide` itself) allow.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, type CompiledPolicySet } from '../src/engine/compile.js';
import { decide, DEFAULT_DENY_REASON } from '../src/engine/decide.js';
import type { DecisionRequest } from '../src/engine/types.js';
import { MAX_WOULD_ALLOW } from '../src/engine/would-allow.js';
import { loadPolicies } from '../src/policy/loader.js';
import { compareDecision } from '../src/policy/testing.js';
import { COVERAGE_SEED, dataArb, load, policiesArb, reference, requestArb, rolesArb } from './reference.js';

const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));

let demo: CompiledPolicySet;
beforeAll(async () => {
  const loaded = await loadPolicies(POLICIES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  demo = compile(loaded.policySet);
});

const chat = (subject: Record<string, unknown>): DecisionRequest => ({ subject: { id: 'bob', ...subject }, resource: { type: 'chat' }, action: 'read' }) as DecisionRequest;
const confidential = (groups: string[]): DecisionRequest => ({
  subject: { id: 'dave', groups },
  resource: { type: 'document', id: 'd1', attributes: { owner: 'bob', department: 'sales', classification: 'confidential', status: 'published' } },
  action: 'read',
});

describe('a default deny', () => {
  it('carries the one default_deny reason, explained or not, in a fresh array', () => {
    const reason = { policy: '', rule: '', effect: 'deny', code: 'default_deny', message: 'no rule allows this request (default deny)' };
    const a = decide(demo, chat({ groups: [] }));
    const b = decide(demo, chat({ groups: [] }), { explain: true });
    expect(a.reasons).toEqual([reason]);
    expect(b.reasons).toEqual([reason]);
    expect(a.reasons).not.toBe(b.reasons);
    expect(Object.isFrozen(a.reasons[0])).toBe(true);
  });

  it('is not a deny by a rule, an error or an invalid request', () => {
    expect(decide(demo, chat({ groups: [], claims: { account_status: 'suspended' } })).reasons).toEqual([{ policy: 'chat', rule: 'no-chat-from-suspended-accounts', effect: 'deny' }]);
    expect(decide(demo, { subject: {}, resource: { type: 'chat' }, action: 'read' } as unknown as DecisionRequest).reasons[0]?.code).toBe('invalid_request');
    expect(decide(demo, chat({ groups: ['oracle-ai-users'] })).reasons).toEqual([{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }]);
  });

  it('still passes a policy test expecting reasons [] (and one naming default_deny), but not one expecting an allow', () => {
    const d = decide(demo, chat({ groups: [] }), { explain: true });
    expect(compareDecision({ allow: false, reasons: [] }, d)).toEqual([]);
    expect(compareDecision({ allow: false, reasons: [], codes: ['default_deny'] }, d)).toEqual([]);
    expect(compareDecision({ allow: false, codes: ['evaluation_error'] }, d)).toEqual(['codes: expected [evaluation_error], got [default_deny]']);
    expect(compareDecision({ allow: true, reasons: ['chat/members-may-chat'] }, d)).toEqual(['allow: expected true, got false', 'reasons: expected [chat/members-may-chat], got []']);
  });
});

describe('explain.wouldAllow on the demo policies', () => {
  it('bob, in no group, would chat with oracle-ai-users (the group ai-user comes from)', () => {
    const d = decide(demo, chat({ groups: [] }), { explain: true });
    expect(d.explain?.wouldAllow).toEqual([{ policy: 'chat', rule: 'members-may-chat', groups: ['oracle-ai-users'], roles: [] }]);
    expect(decide(demo, chat({ groups: ['oracle-ai-users'] })).allow).toBe(true);
  });

  it('a subject with no groups key gets the same advice', () => {
    expect(decide(demo, chat({}), { explain: true }).explain?.wouldAllow).toEqual([{ policy: 'chat', rule: 'members-may-chat', groups: ['oracle-ai-users'], roles: [] }]);
  });

  it('a contractor denied a confidential document gets none: the deny rule would still apply', () => {
    const d = decide(demo, confidential(['contractors']), { explain: true });
    expect(d.reasons).toEqual([{ policy: 'documents', rule: 'no-confidential-for-contractors', effect: 'deny' }]);
    expect(d.explain?.wouldAllow).toEqual([]);
    // Without the contractors group the same document has advice, so the [] above is the deny rule's doing.
    expect(decide(demo, confidential([]), { explain: true }).explain?.wouldAllow).toEqual([{ policy: 'documents', rule: 'admins-read-everything', groups: ['oracle-ai-admins'], roles: [] }]);
  });

  it('a suspended account gets none', () => {
    const d = decide(demo, chat({ groups: [], claims: { account_status: 'suspended' } }), { explain: true });
    expect(d.allow).toBe(false);
    expect(d.explain?.wouldAllow).toEqual([]);
  });

  it('an allow has none, an invalid request has none, a type no rule names has []', () => {
    expect(decide(demo, chat({ groups: ['oracle-ai-users'] }), { explain: true }).explain).not.toHaveProperty('wouldAllow');
    const invalid = decide(demo, { subject: { id: 1 }, resource: { type: 'chat' }, action: 'read' } as unknown as DecisionRequest, { explain: true });
    expect(invalid.reasons[0]?.code).toBe('invalid_request');
    expect(invalid.explain).not.toHaveProperty('wouldAllow');
    expect(decide(demo, { subject: { id: 'bob' }, resource: { type: 'nothing' }, action: 'read' }, { explain: true }).explain?.wouldAllow).toEqual([]);
  });

  it('is never on the plain path', () => {
    expect(decide(demo, chat({ groups: [] }))).not.toHaveProperty('explain');
  });
});

describe('explain.wouldAllow on hand-built sets', () => {
  const set = (policies: unknown[], roles: Record<string, unknown> = {}): CompiledPolicySet => compile(load(policies as never, roles as never));

  it('one entry per anyOf alternative, all missing allOf groups in each, in the order written', () => {
    const c = set([{ id: 'p', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['a', 'b'], allOf: ['c', 'd'] } } }] }]);
    const d = decide(c, { subject: { id: 'u', groups: ['d'] }, resource: { type: 'doc' }, action: 'read' }, { explain: true });
    expect(d.explain?.wouldAllow).toEqual([
      { policy: 'p', rule: 'r', groups: ['c', 'a'], roles: [] },
      { policy: 'p', rule: 'r', groups: ['c', 'b'], roles: [] },
    ]);
  });

  it('a role no group derives stays a role; a group the deny rule names is not advice', () => {
    const c = set(
      [
        { id: 'p', resource: 'doc', rules: [{ id: 'by-role', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['night-shift'] } } }] },
        { id: 'q', resource: 'doc', rules: [{ id: 'by-group', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['banned', 'readers'] } } }, { id: 'no-banned', effect: 'deny', actions: ['*'], subject: { groups: { anyOf: ['banned'] } } }] },
      ],
      { 'night-shift': { when: { '>=': [{ var: 'context.hour' }, 22] } } },
    );
    const d = decide(c, { subject: { id: 'u', groups: [] }, resource: { type: 'doc' }, action: 'read', context: { hour: 9 } }, { explain: true });
    expect(d.explain?.wouldAllow).toEqual([
      { policy: 'p', rule: 'by-role', groups: [], roles: ['night-shift'] },
      { policy: 'q', rule: 'by-group', groups: ['readers'], roles: [] },
    ]);
  });

  it('a role inherited from a role with groups becomes that group; a condition that still fails gives nothing', () => {
    const c = set(
      [{ id: 'p', resource: 'doc', rules: [
        { id: 'viewers', effect: 'allow', actions: ['read'], subject: { roles: { allOf: ['viewer'] } } },
        { id: 'owners', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['staff'] } }, when: { '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.id' }] } },
      ] }],
      { viewer: {}, editor: { fromGroups: ['editors'], inherits: ['viewer'] } },
    );
    const d = decide(c, { subject: { id: 'u' }, resource: { type: 'doc', attributes: { owner: 'someone-else' } }, action: 'read' }, { explain: true });
    expect(d.explain?.wouldAllow).toEqual([{ policy: 'p', rule: 'viewers', groups: ['editors'], roles: [] }]);
  });

  it(`stops at ${MAX_WOULD_ALLOW} entries`, () => {
    const groups = Array.from({ length: 30 }, (_, i) => `g${i}`);
    const c = set([{ id: 'p', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: groups.slice(0, 15) } } }, { id: 's', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: groups.slice(15) } } }] }]);
    const advice = decide(c, { subject: { id: 'u' }, resource: { type: 'doc' }, action: 'read' }, { explain: true }).explain?.wouldAllow ?? [];
    expect(advice).toHaveLength(MAX_WOULD_ALLOW);
    expect(advice.map((a) => a.groups[0])).toEqual(groups.slice(0, MAX_WOULD_ALLOW));
  });
});

describe('explain.wouldAllow on random sets', () => {
  it('every entry, applied, makes the reference evaluator allow (and decide too, when no role is forced); only additions', () => {
    let entries = 0;
    const property = fc.property(policiesArb, rolesArb, dataArb, fc.array(requestArb, { minLength: 1, maxLength: 6 }), (policies, roles, data, requests) => {
      const set = load(policies, roles, data);
      const compiled = compile(set);
      for (const request of requests) {
        const d = decide(compiled, request as DecisionRequest, { explain: true });
        const invalid = d.reasons.some((r) => r.code === 'invalid_request');
        expect(d.explain?.wouldAllow === undefined).toBe(d.allow || invalid);
        const subject = (request as { subject: { groups?: string[] } }).subject;
        const own = subject.groups ?? [];
        for (const entry of d.explain?.wouldAllow ?? []) {
          entries++;
          expect(entry.groups.length + entry.roles.length).toBeGreaterThan(0);
          for (const g of entry.groups) expect(own).not.toContain(g);
          for (const r of entry.roles) expect(d.explain?.roles).not.toContain(r);
          const granted = { ...(request as object), subject: { ...subject, groups: [...own, ...entry.groups] } } as DecisionRequest;
          expect(reference(set, granted, entry.roles).allow, JSON.stringify(entry)).toBe(true);
          if (entry.roles.length === 0) expect(decide(compiled, granted).allow).toBe(true);
        }
      }
    });
    fc.assert(property, { numRuns: 150, seed: COVERAGE_SEED });
    const covered = entries;
    fc.assert(property, { numRuns: 150 });
    // The generator reaches advice often enough for the checks above to mean something.
    expect(covered).toBeGreaterThan(25);
  });

  it('the same request gets the same advice', () => {
    fc.assert(
      fc.property(policiesArb, rolesArb, requestArb, (policies, roles, request) => {
        const compiled = compile(load(policies, roles));
        const a = decide(compiled, request as DecisionRequest, { explain: true });
        const b = decide(compiled, structuredClone(request) as DecisionRequest, { explain: true });
        expect(a.explain?.wouldAllow).toEqual(b.explain?.wouldAllow);
      }),
      { numRuns: 100 },
    );
  });
});

it('the shared default-deny reason is frozen', () => {
  expect(Object.isFrozen(DEFAULT_DENY_REASON)).toBe(true);
});
