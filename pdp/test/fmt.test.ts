/**
 * `pdp fmt`'s layout: key order from the JSON Schemas, free-form maps and arrays as written,
 * values' text untouched, idempotent, and the repository's own policy files already in it.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/output.js';
import { PLAIN } from '../src/cli/output.js';
import { formatFile, formatJson, jsonFilesUnder, kindOf, type FileKind } from '../src/policy/fmt.js';
import { formatPolicyError } from '../src/policy/format.js';
import { loadPolicies } from '../src/policy/loader.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BAD = fileURLToPath(new URL('./bad-policies/', import.meta.url));

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), style: PLAIN, errStyle: PLAIN, readStdin: async () => '' };
}

const fmt = (value: unknown, kind: FileKind, text = JSON.stringify(value)): string => {
  const result = formatJson(text, kind);
  if (!result.ok) throw new Error(result.issues.map((i) => i.message).join('; '));
  return result.text;
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pdp-fmt-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the layout', () => {
  it('orders a policy and its rules by the schema, keeps the rules and a condition as written', () => {
    const policy = {
      rules: [
        { when: { or: [{ var: 'b' }, { var: 'a' }] }, actions: ['write', 'read'], effect: 'deny', id: 'z' },
        { effect: 'allow', id: 'a', subject: { roles: { allOf: ['y'], anyOf: ['x'] } }, actions: ['read'] },
      ],
      resource: 'chat',
      id: 'chat',
      $schema: './policy.schema.json',
    };
    expect(fmt(policy, 'policy')).toBe(`{
  "$schema": "./policy.schema.json",
  "id": "chat",
  "resource": "chat",
  "rules": [
    {
      "id": "z",
      "effect": "deny",
      "actions": ["write", "read"],
      "when": { "or": [{ "var": "b" }, { "var": "a" }] }
    },
    {
      "id": "a",
      "effect": "allow",
      "actions": ["read"],
      "subject": { "roles": { "anyOf": ["x"], "allOf": ["y"] } }
    }
  ]
}
`);
  });

  it('keys the schema does not list follow the listed ones, in the order written', () => {
    expect(fmt({ zeta: 1, rules: [], alpha: 2, id: 'p' }, 'policy')).toBe('{\n  "id": "p",\n  "rules": [],\n  "zeta": 1,\n  "alpha": 2\n}\n');
  });

  it('follows $refs across schema files: a test case input orders its subject as the request schema does', () => {
    const test = { cases: [{ expect: { roles: [], allow: true }, input: { action: 'read', resource: { id: '1', type: 't' }, subject: { claims: { b: 1, a: 2 }, groups: [], id: 'u' } }, name: 'n' }] };
    expect(fmt(test, 'test')).toBe(`{
  "cases": [
    {
      "name": "n",
      "input": {
        "subject": { "id": "u", "groups": [], "claims": { "b": 1, "a": 2 } },
        "resource": { "type": "t", "id": "1" },
        "action": "read"
      },
      "expect": { "allow": true, "roles": [] }
    }
  ]
}
`);
  });

  it('keeps the order of maps: roles, schema attributes, data files (integer-like keys too)', () => {
    expect(fmt({ roles: { b: { inherits: ['a'], fromGroups: ['g'] }, a: {} } }, 'roles')).toBe('{\n  "roles": { "b": { "fromGroups": ["g"], "inherits": ["a"] }, "a": {} }\n}\n');
    const schema = { claims: {}, resources: { t: { attributes: { z: { enum: ['x'], type: 'string' }, a: { type: 'number' } } } } };
    expect(fmt(schema, 'schema')).toContain('"resources": { "t": { "attributes": { "z": { "type": "string", "enum": ["x"] }, "a": { "type": "number" } } } },\n  "claims": {}');
    expect(fmt(null, 'data', '{"b": 1, "10": 2, "2": {"y": 1, "x": 2}}')).toBe('{\n  "b": 1,\n  "10": 2,\n  "2": { "y": 1, "x": 2 }\n}\n');
  });

  it('changes no value’s text: numbers and escapes stay as written', () => {
    const text = '{"big": 12345678901234567890, "one": 1.0, "exp": 1E3, "neg": -0, "e": "\\u00e9\\n", "s": "a\\/b"}';
    expect(fmt(null, 'data', text)).toBe('{\n  "big": 12345678901234567890,\n  "one": 1.0,\n  "exp": 1E3,\n  "neg": -0,\n  "e": "\\u00e9\\n",\n  "s": "a\\/b"\n}\n');
  });

  it('writes an invisible character raw in a string as its escape, so a reviewer sees it', () => {
    const text = `{"id": "p", "resource": "chat\u200b", "description": "x\u00a0y \u{e0041}"}`;
    const out = fmt(null, 'policy', text);
    expect(out).toContain('"resource": "chat\\u200b"');
    expect(out).toContain('"description": "x\\u00a0y \\udb40\\udc41"');
    expect(JSON.parse(out)).toEqual(JSON.parse(text));
  });

  it('puts a value on one line only when the line fits in 120 columns', () => {
    const long = fmt({ a: 'x'.repeat(100), b: ['y'.repeat(50), 'z'.repeat(50)] }, 'data');
    expect(long).toBe(`{\n  "a": "${'x'.repeat(100)}",\n  "b": ["${'y'.repeat(50)}", "${'z'.repeat(50)}"]\n}\n`);
    const wider = fmt({ b: ['y'.repeat(60), 'z'.repeat(60)] }, 'data');
    expect(wider).toBe(`{\n  "b": [\n    "${'y'.repeat(60)}",\n    "${'z'.repeat(60)}"\n  ]\n}\n`);
    for (const line of fmt({ a: { b: { c: ['x'.repeat(40), 'y'.repeat(40), 'z'.repeat(40)] } } }, 'data').split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('writes an object of three or more keys in an array across lines, however short', () => {
    expect(fmt([{ a: 1, b: 2 }, { a: 1, b: 2, c: 3 }], 'data')).toBe('[\n  { "a": 1, "b": 2 },\n  {\n    "a": 1,\n    "b": 2,\n    "c": 3\n  }\n]\n');
  });

  it('refuses text that does not parse, or that writes a key twice', () => {
    expect(formatJson('{"id": ', 'policy')).toMatchObject({ ok: false, issues: [{ pointer: '', message: expect.stringContaining('invalid JSON') }] });
    expect(formatJson('{"effect": "deny", "effect": "allow"}', 'policy')).toMatchObject({ ok: false, issues: [{ pointer: '/effect', message: 'duplicate key "effect"' }] });
  });

  it('drops a byte-order mark, writes the document itself across lines and ends with one newline', () => {
    expect(fmt(null, 'data', '\ufeff  [1,2]  \n\n')).toBe('[\n  1,\n  2\n]\n');
  });

  it('tells the kind of a file by where it lies, as the loader does', () => {
    expect([kindOf('p/chat.json'), kindOf('p/roles.json'), kindOf('p/schema.json'), kindOf('p/data/users.json'), kindOf('p/tests/chat.json')]).toEqual(['policy', 'roles', 'schema', 'data', 'test']);
  });
});

describe('properties', () => {
  const kinds = fc.constantFrom<FileKind>('policy', 'roles', 'schema', 'data', 'test');
  // Whitespace, and the order JSON.stringify writes, are both chosen at random.
  const spaced = (value: unknown, space: number): string => JSON.stringify(value, null, space);

  it('formatting is idempotent and keeps the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), kinds, fc.integer({ min: 0, max: 4 }), (value, kind, space) => {
        const text = spaced(value, space);
        const once = fmt(value, kind, text);
        expect(fmt(value, kind, once)).toBe(once);
        expect(JSON.parse(once)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('the layout of a policy does not depend on the order its known keys were written in', () => {
    const shuffled = <T extends object>(obj: T, keys: number[]): T => {
      const entries = Object.entries(obj);
      const order = entries.map((e, i) => ({ e, k: keys[i % keys.length] as number })).sort((a, b) => a.k - b.k);
      return Object.fromEntries(order.map((o) => o.e)) as T;
    };
    const rule = fc.record({
      id: fc.constantFrom('r1', 'r2'),
      description: fc.string(),
      effect: fc.constantFrom('allow', 'deny'),
      actions: fc.array(fc.constantFrom('read', 'write', '*'), { minLength: 1 }),
      subject: fc.record({ groups: fc.record({ anyOf: fc.array(fc.string(), { minLength: 1 }) }), roles: fc.record({ allOf: fc.array(fc.string(), { minLength: 1 }) }) }, { requiredKeys: [] }),
    }, { requiredKeys: ['id', 'effect', 'actions'] });
    const policy = fc.record({ $schema: fc.string(), id: fc.string(), description: fc.string(), resource: fc.string(), rules: fc.array(rule, { minLength: 1, maxLength: 3 }) }, { requiredKeys: ['id', 'resource', 'rules'] });
    fc.assert(
      fc.property(policy, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (p, keys) => {
        const mixed = shuffled({ ...p, rules: p.rules.map((r) => shuffled({ ...r, ...(r.subject ? { subject: shuffled(r.subject, keys) } : {}) }, [...keys].reverse())) }, keys);
        expect(fmt(mixed, 'policy')).toBe(fmt(p, 'policy'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('the repository', () => {
  const roots = ['policies', 'examples'].map((d) => join(REPO, d));

  it('every policy-like JSON file under policies/ and examples/ is formatted (fmt output == file)', async () => {
    const files = (await Promise.all(roots.map(jsonFilesUnder))).flat();
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const result = await formatFile(file);
      if (!('formatted' in result)) throw new Error(`${file}: ${JSON.stringify(result.errors)}`);
      expect(result.formatted, relative(REPO, file)).toBe(result.text);
    }
  });

  it('formatting a policy directory written in another layout keeps its revision', async () => {
    const dir = join(work, 'unformatted');
    await cp(join(REPO, 'policies'), dir, { recursive: true });
    for (const file of await jsonFilesUnder(dir)) {
      const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      // Reversed keys and one line: what a careless tool might write.
      const reversed = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(reversed) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
      await writeFile(file, JSON.stringify(reversed(value)));
    }
    const before = await loadPolicies(dir);
    const io = capture();
    expect(await main(['fmt', dir], io)).toBe(0);
    const after = await loadPolicies(dir);
    expect(before.ok && after.ok).toBe(true);
    if (!before.ok || !after.ok) return;
    expect(after.policySet.revision).toBe(before.policySet.revision);
    for (const file of await jsonFilesUnder(dir)) {
      const text = await readFile(file, 'utf8');
      const original = await readFile(join(REPO, 'policies', relative(dir, file)), 'utf8');
      expect(JSON.parse(text), relative(dir, file)).toEqual(JSON.parse(original));
      // The demo's policies hold no free-form map of two keys or more: they come back as they were.
      if (kindOf(file) === 'policy') expect(text, relative(dir, file)).toBe(original);
    }
  });
});

describe('the bad-policy corpus', () => {
  it('formatting changes no error: the same files, pointers and messages; files that do not parse are left as they are', async () => {
    const cases = (await readdir(BAD)).sort();
    for (const name of cases) {
      const dir = join(work, 'bad', name);
      await cp(join(BAD, name, 'policies'), dir, { recursive: true });
      const before = await loadPolicies(dir);
      const texts = new Map<string, string>();
      for (const file of await jsonFilesUnder(dir).catch(() => [])) texts.set(file, await readFile(file, 'utf8').catch(() => ''));
      await main(['fmt', dir], capture());
      const after = await loadPolicies(dir);
      expect(before.ok, name).toBe(false);
      const errors = (r: typeof before): string[] => (r.ok ? [] : r.errors.map(formatPolicyError));
      expect(errors(after), name).toEqual(errors(before));
      for (const [file, text] of texts) {
        const result = await formatFile(file);
        // A file that parses is now in the layout; one that does not is byte for byte what it was.
        if ('formatted' in result) expect(result.formatted, `${name}: ${file}`).toBe(result.text);
        else expect(await readFile(file, 'utf8').catch(() => ''), `${name}: ${file}`).toBe(text);
      }
    }
  });
});

describe('pdp fmt and pdp check', () => {
  it('--check lists the files it would change and exits 1; fmt rewrites them; then --check exits 0', async () => {
    const dir = join(work, 'check');
    await cp(join(REPO, 'policies'), dir, { recursive: true });
    await writeFile(join(dir, 'chat.json'), JSON.stringify(JSON.parse(await readFile(join(dir, 'chat.json'), 'utf8'))));
    const before = await readFile(join(dir, 'chat.json'), 'utf8');
    let io = capture();
    expect(await main(['fmt', dir, '--check'], io)).toBe(1);
    expect(io.stdout).toEqual([join(dir, 'chat.json')]);
    expect(io.stderr.join('\n')).toContain(`1 file not formatted; run pdp fmt ${dir}`);
    expect(await readFile(join(dir, 'chat.json'), 'utf8')).toBe(before);

    io = capture();
    expect(await main(['check', dir], io)).toBe(0);
    expect(io.stderr.join('\n')).toContain(`hint: 1 file is not formatted (${join(dir, 'chat.json')}); run pdp fmt ${dir}`);

    io = capture();
    expect(await main(['fmt', join(dir, 'chat.json')], io)).toBe(0);
    expect(io.stdout).toEqual([`formatted ${join(dir, 'chat.json')}`]);
    expect(await readFile(join(dir, 'chat.json'), 'utf8')).toBe(await readFile(join(REPO, 'policies', 'chat.json'), 'utf8'));
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);

    io = capture();
    expect(await main(['fmt', '--check', dir], io)).toBe(0);
    expect(io.stdout).toEqual([]);
    io = capture();
    expect(await main(['check', dir], io)).toBe(0);
    expect(io.stderr).toEqual([]);
  });

  it('reports a file that does not parse with its position, rewrites the others, exits 1', async () => {
    const dir = join(work, 'broken');
    await cp(join(REPO, 'policies'), dir, { recursive: true });
    await writeFile(join(dir, 'broken.json'), '{"id": "x",\n  "rules": [}');
    await writeFile(join(dir, 'tests', 'chat.json'), JSON.stringify(JSON.parse(await readFile(join(dir, 'tests', 'chat.json'), 'utf8'))));
    const io = capture();
    expect(await main(['fmt', dir], io)).toBe(1);
    expect(io.stdout.some((l) => l.startsWith(`${join(dir, 'broken.json')}:: invalid JSON`) && l.includes('line 2'))).toBe(true);
    expect(io.stdout).toContain(`formatted ${join(dir, 'tests', 'chat.json')}`);
    expect(io.stderr.join('\n')).toContain('1 file could not be formatted (not rewritten)');
    expect(await readFile(join(dir, 'broken.json'), 'utf8')).toBe('{"id": "x",\n  "rules": [}');
  });

  it('needs a path, and reports one that does not exist', async () => {
    let io = capture();
    expect(await main(['fmt'], io)).toBe(2);
    io = capture();
    expect(await main(['fmt', join(work, 'nowhere')], io)).toBe(1);
    expect(io.stdout).toEqual([`${join(work, 'nowhere')}:: cannot read (ENOENT)`]);
  });
});
