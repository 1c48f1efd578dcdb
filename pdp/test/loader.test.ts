/**
 * The loader beyond the bad-policy corpus: the demo policies load, the revision is canonical
 * (key order, file names and file order do not change it; any semantic change does), the
 * editor-only `$schema` key is dropped, and tests/ is not read as policies.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPolicySources, loadPolicies, MAX_FILE_BYTES } from '../src/policy/loader.js';
import { formatPolicyError } from '../src/policy/format.js';
import { parseJson, scanJson } from '../src/policy/json.js';
import { ID_PATTERN, readSchema, VISIBLE_NAME_PATTERN } from '../src/policy/schemas.js';
import { ALLOWED_OPERATORS, MAX_OPERATIONS } from '../src/engine/logic.js';

const POLICIES = fileURLToPath(new URL('../../policies/', import.meta.url));

const policy = { id: 'p', resource: 'doc', description: 'd', rules: [{ id: 'r', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['g'] } } }] };
const other = { id: 'q', resource: '*', rules: [{ id: 'r', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'context.x' }, 1] } }] };
const roles = { roles: { a: { fromGroups: ['g'] }, b: { inherits: ['a'] } } };

function revisionOf(files: [string, unknown][], rolesDoc: unknown = roles): string {
  const result = checkPolicySources({
    policies: files.map(([file, doc]) => ({ file, text: typeof doc === 'string' ? doc : JSON.stringify(doc) })),
    roles: { file: 'roles.json', text: JSON.stringify(rolesDoc) },
  });
  if (!result.ok) throw new Error(result.errors.map(formatPolicyError).join('\n'));
  return result.policySet.revision;
}

/** The same JSON with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

describe('the demo policies', () => {
  it('load whole, with sources and roles', async () => {
    const result = await loadPolicies(POLICIES);
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    const set = result.policySet;
    expect(set.policies.map((p) => p.id)).toEqual(['admin', 'analytics', 'chat', 'documents']);
    expect(set.sources).toEqual({ admin: 'admin.json', analytics: 'analytics.json', chat: 'chat.json', documents: 'documents.json' });
    expect(Object.keys(set.roles).sort()).toEqual(['ai-admin', 'ai-user']);
    expect(set.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const p of set.policies) expect(p).not.toHaveProperty('$schema');
  });
});

describe('the revision', () => {
  const base = revisionOf([['a.json', policy], ['b.json', other]]);

  it('does not depend on key order', () => {
    expect(revisionOf([['a.json', reversedKeys(policy)], ['b.json', reversedKeys(other)]], reversedKeys(roles))).toBe(base);
  });
  it('does not depend on file names or file order', () => {
    expect(revisionOf([['zzz.json', other], ['x.json', policy]])).toBe(base);
  });
  it('does not depend on whitespace or $schema', () => {
    expect(revisionOf([['a.json', JSON.stringify({ $schema: '../x.json', ...policy }, null, 8)], ['b.json', other]])).toBe(base);
  });
  it.each([
    ['an effect', { ...policy, rules: [{ ...policy.rules[0], effect: 'deny' }] }],
    ['an action', { ...policy, rules: [{ ...policy.rules[0], actions: ['read', 'write'] }] }],
    ['rule order', { ...policy, rules: [{ ...policy.rules[0], id: 'r0' }, ...policy.rules] }],
    ['a group', { ...policy, rules: [{ ...policy.rules[0], subject: { groups: { anyOf: ['h'] } } }] }],
    ['a description', { ...policy, description: 'changed' }],
    ['the resource', { ...policy, resource: 'img' }],
  ])('changes with %s', (_what, changed) => {
    expect(revisionOf([['a.json', changed], ['b.json', other]])).not.toBe(base);
  });
  it('changes with -0 for 0 in a condition (1 / -0 is -Infinity), and not with 0.0 for 0', () => {
    const withZero = (zero: string) =>
      revisionOf([['a.json', policy], ['b.json', JSON.stringify(other).replace('"context.x"},1]', `"context.x"},{"/":[1,${zero}]}]`)]]);
    expect(withZero('-0')).not.toBe(withZero('0'));
    expect(withZero('0.0')).toBe(withZero('0'));
  });
  it('changes with the roles', () => {
    expect(revisionOf([['a.json', policy], ['b.json', other]], { roles: { a: { fromGroups: ['h'] }, b: { inherits: ['a'] } } })).not.toBe(base);
  });
});

describe('loadPolicies on a directory', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function dirWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'pdp-loader-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    return dir;
  }

  it('ignores tests/, non-JSON files and sub-directories', async () => {
    const dir = await dirWith({
      'p.json': JSON.stringify(policy),
      'README.md': '# not a policy',
      'tests/p.json': '{ not even JSON',
      'drafts/q.json': '{ also not JSON',
    });
    const result = await loadPolicies(dir);
    expect(result.ok).toBe(true);
  });
  it('works without roles.json when no rule names a role', async () => {
    const result = await loadPolicies(await dirWith({ 'p.json': JSON.stringify(policy) }));
    expect(result.ok && result.policySet.roles).toEqual({});
  });
  it('reports a missing directory as an error, not an exception', async () => {
    const result = await loadPolicies(join(tmpdir(), 'pdp-no-such-dir-' + process.pid));
    expect(result).toEqual({ ok: false, errors: [{ file: '.', pointer: '', message: 'no such directory' }] });
  });
  it('refuses a file larger than MAX_FILE_BYTES without reading it', async () => {
    const dir = await dirWith({ 'p.json': JSON.stringify(policy), 'huge.json': `{"id":"h","description":"${'x'.repeat(MAX_FILE_BYTES)}"}` });
    const result = await loadPolicies(dir);
    expect(result).toEqual({ ok: false, errors: [{ file: 'huge.json', pointer: '', message: expect.stringMatching(/^file too large \(\d+ bytes; at most 10485760\)$/) }] });
  });
  it('reports a dangling symlink and reads through a good one (as Kubernetes mounts policies)', async () => {
    const dir = await dirWith({ '..data/p.json': JSON.stringify(policy) });
    await symlink(join(dir, '..data', 'p.json'), join(dir, 'p.json'));
    expect((await loadPolicies(dir)).ok).toBe(true);
    await symlink(join(dir, 'nowhere.json'), join(dir, 'dangling.json'));
    expect(await loadPolicies(dir)).toEqual({ ok: false, errors: [{ file: 'dangling.json', pointer: '', message: 'cannot read file (ENOENT)' }] });
  });
  it('does not quote a file that is not JSON in its error (regression: V8 quoted its first bytes)', async () => {
    const dir = await dirWith({ 'p.json': JSON.stringify(policy), 'secret.json': 'root:x:0:0:root:/root:/bin/bash\n', 'token.json': '{"id": s3cr3t-t0k3n-abcdefghijkl}' });
    const result = await loadPolicies(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { file: 'secret.json', pointer: '', message: "invalid JSON: Unexpected token 'r' (line 1, column 1)" },
      { file: 'token.json', pointer: '', message: "invalid JSON: Unexpected token 's' (line 1, column 8)" },
    ]);
  });
  it('refuses a file that is not UTF-8 (regression: a Latin-1 group name loaded as U+FFFD and never matched)', async () => {
    const dir = await dirWith({ 'p.json': JSON.stringify(policy) });
    const latin1 = Buffer.from(JSON.stringify({ ...other, id: 'deny-contractors', rules: [{ id: 'r', effect: 'deny', actions: ['*'], subject: { groups: { anyOf: ['équipe'] } } }] }), 'latin1');
    await writeFile(join(dir, 'deny.json'), latin1);
    expect(await loadPolicies(dir)).toEqual({ ok: false, errors: [{ file: 'deny.json', pointer: '', message: 'not valid UTF-8 (save the file as UTF-8)' }] });
  });
  it('accepts a UTF-8 byte order mark', async () => {
    const result = await loadPolicies(await dirWith({ 'p.json': `\ufeff${JSON.stringify(policy)}` }));
    expect(result.ok).toBe(true);
  });
});

describe('expression size', () => {
  const load = (when: unknown) =>
    checkPolicySources({ policies: [{ file: 'p.json', text: JSON.stringify({ id: 'p', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], when }] }) }] });

  it(`refuses a condition of more than ${MAX_OPERATIONS} operations (it would run on every decision)`, () => {
    const result = load({ and: Array.from({ length: MAX_OPERATIONS }, () => ({ '!!': 1 })) });
    expect(result).toEqual({ ok: false, errors: [{ file: 'p.json', pointer: '/rules/0/when', message: `expression has ${MAX_OPERATIONS + 1} operations (at most ${MAX_OPERATIONS})` }] });
  });
  it('counts operations, not literals: a long allow-list is fine', () => {
    expect(load({ in: [{ var: 'subject.id' }, Array.from({ length: MAX_OPERATIONS * 2 }, (_, i) => `u${i}`)] }).ok).toBe(true);
  });
});

describe('JSON reading', () => {
  it('reports syntax errors with line and column', () => {
    const result = parseJson('{\n  "a": 1,\n  "b": }');
    expect(result.ok).toBe(false);
    expect(result.issues[0]?.message).toMatch(/line 3, column 8/);
  });
  it.each([
    ['{"a": tru}', 'line 1, column 7'],
    ['{"a": 1,}', 'line 1, column 9'],
    ['{\n  "a": [1 2]\n}', 'line 2, column 11'],
    ['{"a": 1} x', 'line 1, column 10'],
  ])('locates the error in %j', (text, where) => {
    const result = parseJson(text);
    expect(result.ok).toBe(false);
    expect(result.issues[0]?.message).toContain(where);
  });
  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['{}', '[]', '"x"', '-0.5e+3', '{"a":[true,false,null,{"b":"\\u00e9\\""}]}', ' 1 ']) {
      expect(scanJson(text).errorAt, text).toBeNull();
      expect(parseJson(text).ok).toBe(true);
    }
  });
  it('finds duplicate keys at any depth, with escaped pointers', () => {
    expect(scanJson('{"a":{"x/y":1,"x/y":2},"b":[{"c":1},{"c":1,"c":2}],"s":"\\"a\\":1,\\"a\\":2"}').duplicates).toEqual([
      { pointer: '/a/x~1y', message: 'duplicate key "x/y"' },
      { pointer: '/b/1/c', message: 'duplicate key "c"' },
    ]);
  });
});

describe('the published schemas', () => {
  it('are JSON Schema 2020-12 with an $id, and closed to unknown keys', () => {
    for (const name of ['policy', 'roles', 'policyTest'] as const) {
      const schema = readSchema(name);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id).toEqual(expect.any(String));
      expect(schema.additionalProperties).toBe(false);
    }
  });
  it('use one pattern for the names a rule matches on, the one whose error is put in words', () => {
    const policy = readSchema('policy') as { properties: { resource: { pattern: string } }; $defs: { name: { pattern: string }; rule: { properties: { actions: { items: { pattern: string } } } } } };
    const roles = readSchema('roles') as { $defs: { role: { properties: { fromGroups: { items: { pattern: string } } } } } };
    for (const pattern of [policy.properties.resource.pattern, policy.$defs.name.pattern, policy.$defs.rule.properties.actions.items.pattern, roles.$defs.role.properties.fromGroups.items.pattern]) {
      expect(pattern).toBe(VISIBLE_NAME_PATTERN);
    }
  });
  it('use one pattern for policy, rule and role ids, the one whose error is put in words', () => {
    const policy = readSchema('policy') as { $defs: { id: { pattern: string } } };
    const roles = readSchema('roles') as { $defs: { roleName: { pattern: string } } };
    expect(policy.$defs.id.pattern).toBe(ID_PATTERN);
    expect(roles.$defs.roleName.pattern).toBe(ID_PATTERN);
  });
  it('define the decision request once: policy-test inputs refer to the decide request schema', () => {
    const tests = readSchema('policyTest') as { $defs: Record<string, { properties?: { input?: { $ref?: string } } }> };
    expect(tests.$defs.case?.properties?.input?.$ref).toBe('decide-request.schema.json');
    expect(tests.$defs.request).toBeUndefined();
  });
  it("document exactly the engine's operator allow-list", () => {
    const schema = readSchema('policy') as { $defs: { rule: { properties: { when: { description: string } } } } };
    const listed = /Operators: (.*?)\. var paths/.exec(schema.$defs.rule.properties.when.description)?.[1]?.split(' ');
    expect(new Set(listed)).toEqual(new Set(ALLOWED_OPERATORS));
  });
});

describe('schema.json', () => {
  const schema = { resources: { doc: { attributes: { owner: { type: 'string' } } } }, claims: {} };
  const load = (schemaDoc: unknown) =>
    checkPolicySources({
      policies: [
        { file: 'a.json', text: JSON.stringify(policy) },
        { file: 'b.json', text: JSON.stringify(other) },
      ],
      roles: { file: 'roles.json', text: JSON.stringify(roles) },
      ...(schemaDoc === undefined ? {} : { schema: { file: 'schema.json', text: typeof schemaDoc === 'string' ? schemaDoc : JSON.stringify(schemaDoc) } }),
    });
  const withContext = { ...schema, context: { attributes: { x: { type: 'integer' } } } };

  it('is part of the revision, without its $schema; a set without one keeps its revision', () => {
    const without = load(undefined);
    const a = load(withContext);
    const b = load({ $schema: '../pdp/schemas/attribute-schema.schema.json', ...(reversedKeys(withContext) as object) });
    const c = load({ ...withContext, description: 'changed' });
    if (!without.ok || !a.ok || !b.ok || !c.ok) throw new Error('a set did not load');
    expect(without.policySet.revision).toBe(revisionOf([['a.json', policy], ['b.json', other]]));
    expect(a.policySet.revision).not.toBe(without.policySet.revision);
    expect(b.policySet.revision).toBe(a.policySet.revision);
    expect(c.policySet.revision).not.toBe(a.policySet.revision);
    expect(a.policySet.schema).toEqual(withContext);
    expect(b.policySet.schema).not.toHaveProperty('$schema');
    expect(Object.isFrozen(a.policySet.schema?.resources)).toBe(true);
  });

  it('checks the context only when it declares it', () => {
    const refused = load({ ...schema, context: { attributes: { weekday: { type: 'integer' } } } });
    expect(refused.ok ? [] : refused.errors.map(formatPolicyError)).toEqual([
      'b.json:/rules/0/when/==/0/var: var path "context.x": schema.json declares no "x" for the context',
    ]);
    expect(load(schema).ok).toBe(true);
  });

  it('is found in a directory beside the policies, and never read as a policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pdp-schema-'));
    try {
      await writeFile(join(dir, 'a.json'), JSON.stringify(policy));
      await writeFile(join(dir, 'b.json'), JSON.stringify(other));
      await writeFile(join(dir, 'roles.json'), JSON.stringify(roles));
      await writeFile(join(dir, 'schema.json'), JSON.stringify(withContext));
      const result = await loadPolicies(dir);
      expect(result.ok ? [] : result.errors).toEqual([]);
      if (result.ok) expect(result.policySet.policies.map((p) => p.id)).toEqual(['p', 'q']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with only a schema.json, the directory still has no policies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pdp-schema-'));
    try {
      await writeFile(join(dir, 'schema.json'), JSON.stringify(schema));
      const result = await loadPolicies(dir);
      expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([expect.stringContaining('no policy files')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is published as a strict 2020-12 schema with a $schema path like the others', () => {
    const published = readSchema('attributeSchema');
    expect(published.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(published.additionalProperties).toBe(false);
    const demo = JSON.parse(readFileSync(join(POLICIES, 'schema.json'), 'utf8')) as { $schema: string };
    expect(demo.$schema).toBe('../pdp/schemas/attribute-schema.schema.json');
  });
});
