/**
 * Data files (DIR/data/*.json) and what reads them: the `data` operator and `fromData` roles.
 * Through the real loader (file contents in, checked set out) and the engine; the hot-reload cases
 * run the real PDP over a temporary directory.
 */
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { decide } from '../src/engine/decide.js';
import type { CheckedPolicySet, DecisionRequest, Policy } from '../src/engine/types.js';
import { compilePolicySet, InvalidPolicySetError } from '../src/policy/compile.js';
import { MAX_DATA_FILE_BYTES, MAX_DATA_TOTAL_BYTES } from '../src/policy/data.js';
import { checkPolicySources, loadPolicies } from '../src/policy/loader.js';
import { eventually, get, makePolicyDir, post, removeDir, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';

const USERS = {
  alice: { roles: ['editor'], email: 'alice@example.com', tags: ['a', 'b'], group: 'g1', title: 'administrators' },
  bob: { roles: [], email: 'bob@example.com' },
  // A legitimate own key that is also an Object.prototype method's name: found as data.
  toString: { roles: ['editor'] },
  '7': { roles: ['editor'] },
  // Keys a negative or fractional number would name if it were taken as a key: it is not.
  '-7': { roles: ['editor'] },
  '7.5': { roles: ['editor'] },
};
const GROUPS = { g1: { name: 'Group one' } };

function load(policies: unknown[], options: { roles?: unknown; data?: Record<string, unknown> } = {}) {
  return checkPolicySources({
    policies: policies.map((p, i) => ({ file: `p${i}.json`, text: JSON.stringify(p) })),
    ...(options.roles !== undefined ? { roles: { file: 'roles.json', text: JSON.stringify(options.roles) } } : {}),
    data: Object.entries(options.data ?? { users: USERS, groups: GROUPS }).map(([name, value]) => ({ file: `data/${name}.json`, text: typeof value === 'string' ? value : JSON.stringify(value) })),
  });
}

function loaded(policies: unknown[], options: { roles?: unknown; data?: Record<string, unknown> } = {}): CheckedPolicySet {
  const result = load(policies, options);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policySet;
}

/** One allow rule with this condition, on resource type "doc" and action "read". */
const allowWhen = (when: unknown): Policy => ({ id: 'doc', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], when }] });
const request = (id: unknown, context: Record<string, unknown> = {}): DecisionRequest => ({ subject: { id } as { id: string }, resource: { type: 'doc' }, action: 'read', context });
const allows = (set: CheckedPolicySet, req: DecisionRequest): boolean => decide(compile(set), req).allow;

describe('the data operator', () => {
  test('reads an entity by a var, then a literal key', () => {
    const set = loaded([allowWhen({ in: ['editor', { data: ['users', { var: 'subject.id' }, 'roles'] }] })]);
    expect(allows(set, request('alice'))).toBe(true);
    expect(allows(set, request('bob'))).toBe(false);
    expect(allows(set, request('nobody'))).toBe(false);
  });

  test('absent is null: an unknown entity, an unknown key, a key below a missing one', () => {
    const isNull = (...segments: unknown[]) => loaded([allowWhen({ '===': [{ data: ['users', ...segments] }, null] })]);
    for (const [segments, expected] of [
      [[{ var: 'subject.id' }], false],
      [[{ var: 'subject.id' }, 'missing'], true],
      [[{ var: 'subject.id' }, 'missing', 'deeper'], true],
      [['nobody', 'roles'], true],
    ] as const) {
      expect(allows(isNull(...segments), request('alice')), JSON.stringify(segments)).toBe(expected);
    }
  });

  test('a segment that evaluates to a prototype key, or to no key at all, yields null', () => {
    const found = loaded([allowWhen({ '!==': [{ data: ['users', { var: 'subject.id' }] }, null] })]);
    for (const id of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'valueOf']) expect(allows(found, request(id)), id).toBe(false);
    // An own key named like a method is ordinary data.
    expect(allows(found, request('toString'))).toBe(true);
    const byContext = loaded([allowWhen({ '!==': [{ data: ['users', { var: 'context.key' }] }, null] })]);
    for (const key of [null, true, ['alice'], { alice: 1 }, 7.5, -7, Number.MAX_SAFE_INTEGER + 2]) {
      expect(allows(byContext, request('u', { key })), JSON.stringify(key)).toBe(false);
    }
    expect(allows(byContext, request('u', { key: 'alice' }))).toBe(true);
    // A number is an index or a key as its decimal string.
    expect(allows(byContext, request('u', { key: 7 }))).toBe(true);
    // Below the data: own properties only, no way back to a prototype of a found value.
    const below = loaded([allowWhen({ '!==': [{ data: ['users', 'alice', 'roles', { var: 'context.key' }] }, null] })]);
    for (const key of ['__proto__', 'constructor', 'length', 0]) expect(allows(below, request('u', { key })), String(key)).toBe(key === 'length' || key === 0);
  });

  test('literal and dynamic indexes read arrays; a nested lookup joins two files', () => {
    const first = loaded([allowWhen({ '===': [{ data: ['users', 'alice', 'tags', 0] }, 'a'] })]);
    expect(allows(first, request('u'))).toBe(true);
    const dynamic = loaded([allowWhen({ '===': [{ data: ['users', 'alice', 'tags', { var: 'context.i' }] }, 'b'] })]);
    expect(allows(dynamic, request('u', { i: 1 }))).toBe(true);
    expect(allows(dynamic, request('u', { i: '1' }))).toBe(true);
    expect(allows(dynamic, request('u', { i: 0 }))).toBe(false);
    const join = loaded([allowWhen({ '===': [{ data: ['groups', { data: ['users', { var: 'subject.id' }, 'group'] }, 'name'] }, 'Group one'] })]);
    expect(allows(join, request('alice'))).toBe(true);
    expect(allows(join, request('bob'))).toBe(false);
  });

  test('a [file, key, literal…] lookup (kept per entity once read) finds what the walk finds, the first time and after, past the memo limit too', () => {
    const data = {
      users: {
        ...USERS,
        carol: { roles: ['editor'], profile: { level: 3, tags: ['x'] }, nothing: null },
        dave: { roles: ['editor'], profile: { level: 3, tags: ['x'] } },
        str: 'abc',
      },
      groups: GROUPS,
    };
    const suffixes = [['roles'], ['profile', 'level'], ['profile', 'tags'], ['profile', 'tags', 0], ['nothing'], ['missing'], [0], ['roles', 0], ['email'], ['title'], ['group']];
    // More distinct suffixes than the per-file limit: the later ones walk the file.
    const policies = suffixes.map((suffix, i) => ({
      id: `p${i}`,
      resource: `t${i}`,
      rules: [{ id: 'r', effect: 'allow', actions: ['read'], when: { '!==': [{ data: ['users', { var: 'subject.id' }, ...suffix] }, null] } }],
    }));
    const compiled = compile(loaded(policies, { data }));
    const ids = [...Object.keys(data.users), 'nobody', '__proto__', 'hasOwnProperty'];
    let allowed = 0;
    for (const [i] of suffixes.entries()) {
      for (const id of ids) {
        const req = { subject: { id }, resource: { type: `t${i}` }, action: 'read' };
        const fast = decide(compiled, req).allow;
        const again = decide(compiled, req).allow;
        // explain reads every lookup by walking the entity: the reference answer.
        const walked = decide(compiled, req, { explain: true });
        expect(fast, `${JSON.stringify(suffixes[i])} of ${id}`).toBe(walked.allow);
        expect(again, `${JSON.stringify(suffixes[i])} of ${id}, again`).toBe(walked.allow);
        expect(walked.explain?.data?.[0]?.found).toBe(walked.allow);
        if (fast) allowed++;
      }
    }
    expect(allowed).toBeGreaterThan(10);
  });

  test('explain lists each data entry read, for which rule', () => {
    const set = loaded([allowWhen({ in: ['editor', { data: ['users', { var: 'subject.id' }, 'roles'] }] })]);
    const d = decide(compile(set), request('bob'), { explain: true });
    expect(d.explain?.data).toEqual([{ file: 'users', path: ['bob', 'roles'], found: true, rule: 'doc/r' }]);
    const absent = decide(compile(set), { ...request('x'), subject: { id: 'x', claims: {} } }, { explain: true });
    expect(absent.explain?.data).toEqual([{ file: 'users', path: ['x', 'roles'], found: false, rule: 'doc/r' }]);
    expect(decide(compile(set), request('bob')).explain).toBeUndefined();
  });

  test('is part of the revision: a data change is a new revision, a key order change is not', () => {
    const policies = [allowWhen({ '!!': { data: ['users', 'alice', 'email'] } })];
    const a = loaded(policies, { data: { users: { alice: { email: 'a', roles: [] } } } }).revision;
    const reordered = loaded(policies, { data: { users: { alice: { roles: [], email: 'a' } } } }).revision;
    const changed = loaded(policies, { data: { users: { alice: { email: 'b', roles: [] } } } }).revision;
    expect(reordered).toBe(a);
    expect(changed).not.toBe(a);
    // A set without data keeps the revision it had before data files existed.
    const none = checkPolicySources({ policies: [{ file: 'p.json', text: JSON.stringify(allowWhen({ '!!': { var: 'subject.id' } })) }] });
    const noneEmptyData = checkPolicySources({ policies: [{ file: 'p.json', text: JSON.stringify(allowWhen({ '!!': { var: 'subject.id' } })) }], data: [] });
    expect(none.ok && noneEmptyData.ok && none.policySet.revision === noneEmptyData.policySet.revision).toBe(true);
  });

  test('a hand-built set is checked like a loaded one, and its data copied so later changes do not leak in', () => {
    const users: Record<string, { roles: string[] }> = { alice: { roles: ['editor'] } };
    const set = { revision: 'x', roles: {}, policies: [allowWhen({ in: ['editor', { data: ['users', { var: 'subject.id' }, 'roles'] }] })], data: { users } };
    const compiled = compilePolicySet(set);
    users.alice!.roles = [];
    expect(decide(compiled, request('alice')).allow).toBe(true);
    expect(() => compilePolicySet({ ...set, data: { usres: users } })).toThrow(InvalidPolicySetError);
    // JSON.parse makes "__proto__" an own key, as a caller's parsed data would have it.
    expect(() => compilePolicySet({ ...set, data: { users: JSON.parse('{"x": {"__proto__": 1}}') } })).toThrow(/data\/users:\/x\/__proto__: the key "__proto__" is not allowed/);
    expect(() => compilePolicySet({ ...set, data: { 'bad name': {} } })).toThrow(/data\/bad name\b.*a data file name must be/);
  });
});

describe('fromData roles', () => {
  const roles = (fromData: unknown) => ({ roles: { editor: { fromData } } });
  const editorsRead = { id: 'doc', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['editor'] } } }] };

  test("holds when the subject's entry lists the role's name, or equals the given value; never by substring", () => {
    const listed = loaded([editorsRead], { roles: roles({ file: 'users', path: [{ var: 'subject.id' }, 'roles'] }) });
    expect(allows(listed, request('alice'))).toBe(true);
    expect(allows(listed, request('bob'))).toBe(false);
    expect(allows(listed, request('nobody'))).toBe(false);
    const byValue = loaded([editorsRead], { roles: roles({ file: 'users', path: [{ var: 'subject.id' }, 'email'], value: 'bob@example.com' }) });
    expect(allows(byValue, request('bob'))).toBe(true);
    expect(allows(byValue, request('alice'))).toBe(false);
    const substring = loaded([editorsRead], { roles: roles({ file: 'users', path: [{ var: 'subject.id' }, 'title'], value: 'admin' }) });
    expect(allows(substring, request('alice'))).toBe(false);
  });

  test('explain shows the entry the role read', () => {
    const set = loaded([editorsRead], { roles: roles({ file: 'users', path: [{ var: 'subject.id' }, 'roles'] }) });
    const d = decide(compile(set), request('alice'), { explain: true });
    expect(d.explain?.roles).toEqual(['editor']);
    expect(d.explain?.data).toEqual([{ file: 'users', path: ['alice', 'roles'], found: true, role: 'editor' }]);
  });

  test('its errors point into fromData: unknown file, forbidden segment, subject.roles', () => {
    const result = load([editorsRead], { roles: { roles: { editor: { fromData: { file: 'usres', path: ['__proto__', { var: 'subject.roles' }] } } } } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.file}:${e.pointer}`).sort()).toEqual(['roles.json:/roles/editor/fromData/file', 'roles.json:/roles/editor/fromData/path/0', 'roles.json:/roles/editor/fromData/path/1/var']);
    expect(result.errors.find((e) => e.pointer.endsWith('/file'))?.message).toContain('did you mean "users"?');
  });
});

describe('loading data files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await removeDir(dir);
    dir = undefined;
  });

  test('a file over the per-file limit is refused before it is read, and so is one past the total', async () => {
    dir = await makePolicyDir({ 'p.json': allowWhen({ '!!': { var: 'subject.id' } }) });
    await mkdir(path.join(dir, 'data'));
    // Sparse: the size is what stat reports, no disk is used, and nothing is read.
    await writeFile(path.join(dir, 'data', 'big.json'), '');
    await truncate(path.join(dir, 'data', 'big.json'), MAX_DATA_FILE_BYTES + 1);
    const big = await loadPolicies(dir);
    expect(big.ok ? [] : big.errors).toEqual([{ file: 'data/big.json', pointer: '', message: `file too large (${MAX_DATA_FILE_BYTES + 1} bytes; at most ${MAX_DATA_FILE_BYTES})` }]);
    await rm(path.join(dir, 'data', 'big.json'));
    // Two files, each within the per-file limit, together past the total: the second is refused.
    const half = '{"k": "' + 'x'.repeat(MAX_DATA_TOTAL_BYTES / 2) + '"}';
    await writeFile(path.join(dir, 'data', 'a.json'), half);
    await writeFile(path.join(dir, 'data', 'b.json'), half);
    const total = await loadPolicies(dir);
    expect(total.ok ? [] : total.errors.map((e) => `${e.file}: ${e.message}`)).toEqual([expect.stringMatching(/^data\/b\.json: file too large .* left of the \d+ bytes all data files may weigh together\)$/)]);
  });

  test('100,000 entities load, and a lookup among them decides', () => {
    const users: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) users[`user-${i}`] = { roles: i % 2 ? ['editor'] : ['viewer'], email: `user-${i}@example.com` };
    const set = loaded([allowWhen({ in: ['editor', { data: ['users', { var: 'subject.id' }, 'roles'] }] })], { data: { users } });
    const compiled = compile(set);
    expect(decide(compiled, request('user-99999')).allow).toBe(true);
    expect(decide(compiled, request('user-99998')).allow).toBe(false);
  });
});

describe('hot reload of data files', () => {
  let pdp: TestPdp | undefined;
  afterEach(async () => {
    await pdp?.stop();
    pdp = undefined;
  });

  const editorsOnly = allowWhen({ in: ['editor', { data: ['users', { var: 'subject.id' }, 'roles'] }] });
  const decideFor = async (p: TestPdp, id: string) => (await post(p.url, '/v1/decide', { subject: { id }, resource: { type: 'doc' }, action: 'read' })).body;

  test('an edit under data/ is in force within a second; a broken data file keeps the last good set; data/ created later is watched', async () => {
    const dir = await makePolicyDir({ 'doc.json': editorsOnly });
    await mkdir(path.join(dir, 'data'));
    await writeJson(dir, 'data/users.json', { alice: { roles: ['editor'] } });
    pdp = await startTestPdp({ dir });
    const p = pdp;
    const good = await decideFor(p, 'alice');
    expect(good.allow).toBe(true);
    expect((await decideFor(p, 'bob')).allow).toBe(false);

    await writeJson(dir, 'data/users.json', { alice: { roles: ['editor'] }, bob: { roles: ['editor'] } });
    await eventually(async () => (await decideFor(p, 'bob')).allow === true, 1500);
    const revision = (await decideFor(p, 'bob')).revision;
    expect(revision).not.toBe(good.revision);

    await writeFile(path.join(dir, 'data', 'users.json'), '{"alice": {"__proto__": {"roles": ["editor"]}}}');
    await eventually(async () => JSON.stringify((await get(p.url, '/v1/policies')).body.lastError).includes('data/users.json'), 1500);
    const view = (await get(p.url, '/v1/policies')).body;
    expect(view.lastError.errors).toEqual([{ file: 'data/users.json', pointer: '/alice/__proto__', message: expect.stringContaining('not allowed') }]);
    expect((await decideFor(p, 'bob'))).toMatchObject({ allow: true, revision });

    // The whole data/ directory replaced (as a deploy would): the new one is watched too.
    await rm(path.join(dir, 'data'), { recursive: true });
    await mkdir(path.join(dir, 'data'));
    await writeJson(dir, 'data/users.json', { carol: { roles: ['editor'] } });
    await eventually(async () => (await decideFor(p, 'carol')).allow === true, 2500);
    await writeJson(dir, 'data/users.json', { carol: { roles: ['editor'] }, dave: { roles: ['editor'] } });
    await eventually(async () => (await decideFor(p, 'dave')).allow === true, 1500);
    await removeDir(dir);
  });
});
