/**
 * `pdp check`'s fmt hint stays cheap: every policy, roles, schema and test file is looked at, data
 * files only up to HINT_MAX_DATA_BYTES in all (a bigger one is skipped, smaller ones after it are
 * still looked at), while `pdp fmt --check` still lists every file. Through the built CLI.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HINT_MAX_DATA_BYTES } from '../src/cli/fmt.js';
import { pdp, policySet, removeAll, tempDir, writePolicyDir } from './bundle-helpers.js';

const made: string[] = [];
let dir: string;
const file = (name: string): string => path.join(dir, name);

/** Rewrites a formatted file on one line: the same JSON, not in the layout. */
async function unformat(name: string): Promise<void> {
  await writeFile(file(name), JSON.stringify(JSON.parse(await readFile(file(name), 'utf8'))));
}

beforeAll(async () => {
  dir = await tempDir('pdp-check-hint-');
  made.push(dir);
  const entities = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`user-${i}`, { department: `d${i % 9}`, level: i % 5 }]));
  await writePolicyDir(dir, { ...policySet('a'), 'data/abig.json': entities(Math.ceil(HINT_MAX_DATA_BYTES / 20)), 'data/zsmall.json': entities(3) });
  const formatted = await pdp(['fmt', dir]);
  expect(formatted.code, formatted.stderr).toBe(0);
  for (const name of ['one.json', 'data/abig.json', 'data/zsmall.json']) await unformat(name);
  // The big file is over the bound even on one line; the small one fits after it is skipped.
  expect(Buffer.byteLength(await readFile(file('data/abig.json')))).toBeGreaterThan(HINT_MAX_DATA_BYTES);
}, 60_000);
afterAll(() => removeAll(made));

describe("pdp check's fmt hint", () => {
  it('names the policy and the small data file, not the data file over the bound', async () => {
    const r = await pdp(['check', dir]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stderr).toContain(`hint: 2 files are not formatted (${file('data/zsmall.json')}, ${file('one.json')}); run pdp fmt ${dir}`);
  });

  it('pdp fmt --check still lists every file, the big one too', async () => {
    const r = await pdp(['fmt', '--check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([file('data/abig.json'), file('data/zsmall.json'), file('one.json')]);
  });

  it('says nothing once everything it looks at is formatted', async () => {
    const other = await tempDir('pdp-check-hint-');
    made.push(other);
    await writePolicyDir(other, policySet('b'));
    expect((await pdp(['fmt', other])).code).toBe(0);
    const r = await pdp(['check', other]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
