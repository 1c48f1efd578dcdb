/**
 * The engine's contract beyond the corpus: compile refuses hand-built sets the loader would
 * refuse, the index keeps other types' and actions' rules out of a decision, explain traces
 * every rule of the type, and json-logic-js's process-wide state is never touched.
 */
import jsonLogicModule from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { compile as compileChecked } from '../src/engine/compile.js';
import { compilePolicySet as compile, InvalidPolicySetError } from '../src/policy/compile.js';
import { decide } from '../src/engine/decide.js';
import { ALLOWED_OPERATORS, checkLogic, checkVarPath } from '../src/engine/logic.js';
import type { CheckedPolicySet, Policy, PolicySet, RoleDefinition, Rule } from '../src/engine/types.js';
import { computeRevision } from '../src/policy/revision.js';

const jsonLogic = jsonLogicModule as unknown as { apply(logic: unknown, data: unknown): unknown };

function set(policies: Policy[], roles: Record<string, RoleDefinition> = {}): PolicySet {
  return { policies, roles, revision: computeRevision(policies, roles) };
}

const THROWS = { in: ['x', { var: 'resource.attributes.tags' }] };
const hostile = { tags: { indexOf: 1 } };

describe('compile', () => {
  it.each([
    ['a forbidden operator', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], when: { method: [{ var: 'subject.id' }, 'toString'] } }] }])],
    ['a var path outside the request', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], when: { var: 'process.env' } }] }])],
    ['an unknown role', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { roles: { anyOf: ['x'] } } }] }])],
    ['a role cycle', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }], { a: { inherits: ['b'] }, b: { inherits: ['a'] } })],
    ['duplicate policy ids', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }, { id: 'p', resource: 's', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }])],
    ['duplicate rule ids', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }, { id: 'r', effect: 'deny', actions: ['a'] }] }])],
    ['an effect that is neither allow nor deny', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'permit' as 'allow', actions: ['a'] }] }])],
    ['empty actions', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: [] }] }])],
    // Regression: each of these read as "no condition on the subject", so the rule applied to everyone.
    ['an empty anyOf', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { groups: { anyOf: [] } } }] }])],
    ['an empty allOf', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { groups: { allOf: [] } } }] }])],
    ['an empty matcher', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { groups: {} } }] }])],
    ['an empty subject', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: {} }] }])],
    ['a misspelt matcher', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { groups: { anyof: ['g'] } as never } }] }])],
    ['a misspelt subject key', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { group: { anyOf: ['g'] } } as never }] }])],
    ['a misspelt condition key', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], condition: { '==': [1, 2] } } as never] }])],
    ['a matcher list that is a string', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { groups: { anyOf: 'g' as never } } }] }])],
    ['actions that are a string', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: 'read' as never }] }])],
    ['rules that are not an array', set([{ id: 'p', resource: 'r', rules: {} as never }])],
    ['a literal condition (a forgotten var)', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], when: 'subject.claims.admin' }] }])],
    ['an empty resource', set([{ id: 'p', resource: '', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }])],
    ['a role with an unknown key', set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }], { a: { fromGroup: ['g'] } as never })],
    ['roles that are not an object', { ...set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }]), roles: [] as never }],
  ])('refuses a hand-built set with %s', (_what, bad) => {
    expect(() => compile(bad)).toThrow(InvalidPolicySetError);
  });

  it('keeps the revision and the policy set it was given', () => {
    const s = set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'] }] }]);
    const compiled = compile(s);
    expect(compiled.revision).toBe(s.revision);
    expect(compiled.policySet).toBe(s);
  });
});

describe('shared lists and conditions (regression: keys joined with "\\n" made different ones equal)', () => {
  // The checker refuses such names; the engine's own compile (past the checker) is what is tested.
  const allow = (id: string, resource: string, rule: Partial<Rule>): Policy => ({ id, resource, rules: [{ id: 'r', effect: 'allow', actions: ['read'], ...rule }] });
  const compiled = compileChecked(
    set([
      allow('a', 'console', { subject: { groups: { anyOf: ['admins', 'ops'] } } }),
      allow('b', 'vault', { subject: { groups: { anyOf: ['admins\nops'] } } }),
      allow('c', 'safe', { subject: { groups: { allOf: ['x\ny'] } } }),
      allow('d', 'other', { subject: { groups: { allOf: ['x', 'y'] } } }),
    ]) as CheckedPolicySet,
  );
  const allowed = (type: string, groups: string[]) => decide(compiled, { subject: { id: 'u', groups }, resource: { type }, action: 'read' }).allow;

  it('a name list is never taken for another that joins to the same text', () => {
    expect(allowed('console', ['ops'])).toBe(true);
    expect(allowed('vault', ['ops'])).toBe(false);
    expect(allowed('vault', ['admins\nops'])).toBe(true);
    expect(allowed('other', ['x\ny'])).toBe(false);
    expect(allowed('other', ['x', 'y'])).toBe(true);
  });
  it('a var path with a newline (the other way two conditions could share a key) is refused', () => {
    const withPath = (path: string) => set([allow('e', 't', { when: { or: [{ '!': { var: path } }, { var: 'context.c' }] } })]);
    expect(() => compile(withPath('context.a\ncontext.b'))).toThrow(/control or invisible character/);
  });
});

describe('the index', () => {
  const compiled = compile(
    set([
      { id: 'docs', resource: 'doc', rules: [{ id: 'boom', effect: 'deny', actions: ['read'], when: THROWS }, { id: 'ok', effect: 'allow', actions: ['write'] }] },
      { id: 'imgs', resource: 'img', rules: [{ id: 'ok', effect: 'allow', actions: ['read'] }] },
    ]),
  );
  it("never evaluates another resource type's rules", () => {
    expect(decide(compiled, { subject: { id: 'u' }, resource: { type: 'img', attributes: hostile }, action: 'read' })).toEqual({
      allow: true,
      effect: 'allow',
      reasons: [{ policy: 'imgs', rule: 'ok', effect: 'allow' }],
    });
  });
  it("never evaluates another action's rules", () => {
    expect(decide(compiled, { subject: { id: 'u' }, resource: { type: 'doc', attributes: hostile }, action: 'write' }).allow).toBe(true);
  });
  it('evaluates the rules that can apply (and fails closed on them)', () => {
    const d = decide(compiled, { subject: { id: 'u' }, resource: { type: 'doc', attributes: hostile }, action: 'read' });
    expect(d.allow).toBe(false);
    expect(d.reasons).toEqual([{ policy: 'docs', rule: 'boom', effect: 'deny', code: 'evaluation_error', message: 'b.indexOf is not a function' }]);
  });
  it('finds the right rules for a type with many actions (a Map, not a scan)', () => {
    const actions = Array.from({ length: 30 }, (_, i) => `a${i}`);
    const many = compile(
      set([
        { id: 'p', resource: 'doc', rules: actions.map((a, i) => ({ id: `r${i}`, effect: i % 2 ? 'deny' : 'allow', actions: [a] }) as const) },
        { id: 'q', resource: '*', rules: [{ id: 'all', effect: 'allow', actions: ['*'] }] },
      ]),
    );
    actions.forEach((action, i) => {
      const d = decide(many, { subject: { id: 'u' }, resource: { type: 'doc' }, action });
      expect(d.reasons.map((r) => `${r.policy}/${r.rule}`)).toEqual(i % 2 ? [`p/r${i}`] : [`p/r${i}`, 'q/all']);
    });
    expect(decide(many, { subject: { id: 'u' }, resource: { type: 'doc' }, action: 'other' }).reasons).toEqual([{ policy: 'q', rule: 'all', effect: 'allow' }]);
  });
  it('returns a fresh decision each time (callers may add fields)', () => {
    const request = { subject: { id: 'u' }, resource: { type: 'img' }, action: 'read' };
    const a = decide(compiled, request);
    const b = decide(compiled, request);
    expect(a).not.toBe(b);
    expect(a.reasons).not.toBe(b.reasons);
    expect(Object.isFrozen(a)).toBe(false);
  });
});

describe('explain', () => {
  const compiled = compile(
    set(
      [
        {
          id: 'docs',
          resource: 'doc',
          rules: [
            { id: 'members', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['member'] } } },
            { id: 'owners-write', effect: 'allow', actions: ['write'], when: { '==': [{ var: 'subject.id' }, { var: 'resource.attributes.owner' }] } },
            { id: 'no-archived', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'resource.attributes.archived' }, true] } },
          ],
        },
        { id: 'all', resource: '*', rules: [{ id: 'staff', effect: 'allow', actions: ['read'], subject: { groups: { allOf: ['staff'] } } }] },
        { id: 'imgs', resource: 'img', rules: [{ id: 'r', effect: 'allow', actions: ['read'] }] },
      ],
      { member: { fromGroups: ['m'] }, lead: { fromGroups: ['l'], inherits: ['member'] } },
    ),
  );

  it("traces every rule for the type (its own and * policies'), in set order, with each check", () => {
    const d = decide(compiled, { subject: { id: 'u', groups: ['l'] }, resource: { type: 'doc', attributes: { owner: 'v' } }, action: 'read' }, { explain: true });
    expect(d.allow).toBe(true);
    expect(d.explain).toEqual({
      roles: ['lead', 'member'],
      rules: [
        { policy: 'docs', rule: 'members', effect: 'allow', actionMatched: true, subjectMatched: true, whenResult: null, applied: true },
        { policy: 'docs', rule: 'owners-write', effect: 'allow', actionMatched: false, subjectMatched: true, whenResult: null, applied: false },
        { policy: 'docs', rule: 'no-archived', effect: 'deny', actionMatched: true, subjectMatched: true, whenResult: false, applied: false },
        { policy: 'all', rule: 'staff', effect: 'allow', actionMatched: true, subjectMatched: false, whenResult: null, applied: false },
      ],
    });
  });
  it('shows a role error and the rules it stopped', () => {
    const withRoleWhen = compile(
      set([{ id: 'p', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['x'] } } }] }], {
        x: { when: { in: ['a', { var: 'context.list' }] } },
      }),
    );
    const d = decide(withRoleWhen, { subject: { id: 'u' }, resource: { type: 'doc' }, action: 'read', context: { list: { indexOf: 'no' } } }, { explain: true });
    expect(d.allow).toBe(false);
    expect(d.reasons[0]?.code).toBe('evaluation_error');
    expect(d.explain?.roleErrors).toEqual([{ role: 'x', message: expect.stringContaining('indexOf') }]);
    expect(d.explain?.rules[0]).toMatchObject({ applied: false, error: expect.stringContaining('role derivation failed') });
  });
  it('is absent unless asked for', () => {
    expect(decide(compiled, { subject: { id: 'u' }, resource: { type: 'doc' }, action: 'read' })).not.toHaveProperty('explain');
  });
});

describe('json-logic safety', () => {
  it('leaves json-logic-js itself untouched (its own var still reads inherited properties)', () => {
    compile(set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], when: { '!!': { var: 'subject.id' } } }] }]));
    expect(typeof jsonLogic.apply({ var: 'a.toString' }, { a: {} })).toBe('function');
  });
  it('allows no operator that runs code, logs, or reads data by computed keys', () => {
    for (const op of ['method', 'log', 'missing', 'missing_some', 'map', 'filter', 'reduce', 'all', 'some', 'none', 'eval', '__proto__', 'constructor']) {
      expect(ALLOWED_OPERATORS.has(op), op).toBe(false);
    }
  });
  it('refuses a dotted operator name (json-logic-js would walk into an operation function)', () => {
    expect(checkLogic({ '==.length': [1, 2] })).toEqual([{ pointer: '/==.length', message: expect.stringContaining('not allowed') }]);
  });
  it('does not pollute Object.prototype from a request', () => {
    const compiledSet = compile(set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], when: { '==': [{ var: 'context.polluted' }, true] } }] }]));
    const request = JSON.parse('{"subject":{"id":"u","__proto__":{"polluted":true}},"resource":{"type":"r","__proto__":{"polluted":true}},"action":"a","context":{"__proto__":{"polluted":true}}}');
    expect(decide(compiledSet, request, { explain: true }).allow).toBe(false);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('compilePolicySet: one checker for hand-built and loaded sets', () => {
  const valid = (): PolicySet => set([{ id: 'p', resource: 'r', rules: [{ id: 'r', effect: 'allow', actions: ['a'], subject: { groups: { anyOf: ['g'] } } }] }]);

  it('lists every problem of a hand-built set, with file and pointer, as the loader would', () => {
    const bad = set([{ id: 'p', resource: '', rules: [{ id: 'r', effect: 'allow', actions: [], subject: { groups: {} }, when: { log: 1 } }] }]);
    let caught: unknown;
    try {
      compile(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidPolicySetError);
    const error = caught as InvalidPolicySetError;
    expect(error.name).toBe('InvalidPolicySetError');
    expect(error.code).toBe('invalid_policy_set');
    expect(error.problems.map((e) => `${e.file}:${e.pointer}`).sort()).toEqual(
      ['policies/0:/resource', 'policies/0:/rules/0/actions', 'policies/0:/rules/0/subject/groups', 'policies/0:/rules/0/when/log'].sort(),
    );
    expect(error.message).toContain('policies/0:/rules/0/actions: actions must list at least one action');
  });

  it('checks a hand-built set again on every compile: a change after a first compile cannot slip through', () => {
    const s = valid();
    expect(compile(s).policySet).toBe(s);
    (s.policies[0] as Policy).rules[0] = { id: 'r', effect: 'allow', actions: ['a'], subject: { groups: { anyOf: [] } } };
    expect(() => compile(s)).toThrow(/anyOf must list at least one name/);
  });

  it("takes the loader's set as checked: frozen, compiled as it is", async () => {
    const { checkPolicySources } = await import('../src/policy/loader.js');
    const loaded = checkPolicySources({ policies: [{ file: 'p.json', text: JSON.stringify(valid().policies[0]) }] });
    if (!loaded.ok) throw new Error('refused');
    expect(Object.isFrozen(loaded.policySet.policies[0]?.rules[0]?.subject?.groups?.anyOf)).toBe(true);
    expect(compile(loaded.policySet).policySet).toBe(loaded.policySet);
  });
});

describe('var paths follow the request model', () => {
  it.each([
    'subject', 'subject.id', 'subject.type', 'subject.groups', 'subject.groups.0', 'subject.groups.length', 'subject.roles', 'subject.roles.1',
    'subject.claims', 'subject.claims.any.depth', 'resource.type', 'resource.id', 'resource.attributes.x.y', 'action', 'action.name',
    'action.properties', 'action.properties.method', 'context', 'context.ip',
  ])('accepts %s', (path) => {
    expect(checkVarPath(path)).toBeNull();
  });

  it.each([
    ['resource.atributes.status', 'resource has no "atributes"; did you mean "resource.attributes"?'],
    ['subject.claim.x', 'subject has no "claim"; did you mean "subject.claims"?'],
    ['subject.group', 'subject has no "group"; did you mean "subject.groups"?'],
    ['subject.groups.first', 'subject.groups is a list of strings'],
    ['subject.groups.0.length', 'subject.groups is a list of strings'],
    ['action.nam', 'did you mean "action.name"?'],
    ['action.name.first', 'action.name is a string and has no properties'],
    ['resource.owner', 'resource has no "owner" (it has type, id, attributes)'],
    ['subjct.id', 'must start with one of subject, resource, action, context; did you mean "subject"?'],
  ])('refuses %s', (path, message) => {
    expect(checkVarPath(path)).toContain(message);
  });

  it('keeps subject.roles out of role conditions', () => {
    expect(checkVarPath('subject.roles', { forbidSubjectRoles: true })).toContain('may not read subject.roles');
  });

  it('reports every bad path of a condition at once, the default form included', () => {
    const issues = checkLogic({ and: [{ var: ['resource.atributes.x', 1] }, { in: ['a', { var: 'subject.group' }] }] });
    expect(issues.map((i) => i.pointer)).toEqual(['/and/0/var/0', '/and/1/in/1/var']);
  });
});

describe('action properties and subject type', () => {
  const compiled = compile(
    set([
      {
        id: 'p',
        resource: 'r',
        rules: [
          { id: 'svc', effect: 'allow', actions: ['a'], when: { '==': [{ var: 'subject.type' }, 'service'] } },
          { id: 'big', effect: 'deny', actions: ['*'], when: { '>': [{ var: 'action.properties.n' }, 1] } },
        ],
      },
    ]),
  );
  it('reads action.properties from actionProperties, and action as the name', () => {
    expect(decide(compiled, { subject: { id: 'x', type: 'service' }, resource: { type: 'r' }, action: 'a' }).allow).toBe(true);
    expect(decide(compiled, { subject: { id: 'x', type: 'user' }, resource: { type: 'r' }, action: 'a' }).allow).toBe(false);
    expect(decide(compiled, { subject: { id: 'x', type: 'service' }, resource: { type: 'r' }, action: 'a', actionProperties: { n: 2 } }).reasons).toEqual([
      { policy: 'p', rule: 'big', effect: 'deny' },
    ]);
  });
});

describe('a hand-built set with an attribute schema', () => {
  const policies: Policy[] = [{ id: 'p', resource: 'r', rules: [{ id: 'x', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'resource.attributes.stauts' }, 'closed'] } }] }];
  it('is checked against it, like a loaded one', () => {
    const schema = { resources: { r: { attributes: { status: { type: 'string' as const } } } }, claims: {} };
    expect(() => compile({ ...set(policies), schema })).toThrow(/declares no "stauts" for resource type "r"; did you mean "resource.attributes.status"/);
    expect(() => compile({ ...set(policies), schema: { resources: {} } as never })).toThrow(/schema:\/claims: is required/);
  });
});
