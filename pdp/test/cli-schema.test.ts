/**
 * `pdp eval` and `pdp test` check inputs against the set's schema.json with the edge's own check:
 * eval warns by default (and refuses with --schema-enforce reject), test fails a case whose input
 * does not fit unless the case lists the pointers in `expect.schemaErrors`.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdp, removeAll, tempDir } from './bundle-helpers.js';

const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const made: string[] = [];
let work: string;
let input: string;

beforeAll(async () => {
  work = await tempDir('pdp-cli-schema-');
  made.push(work);
  input = path.join(work, 'input.json');
  await writeFile(input, JSON.stringify({ subject: { id: 'carol', groups: ['oracle-ai-admins'] }, resource: { type: 'chat', attributes: { room: 7 } }, action: 'read' }));
});
afterAll(() => removeAll(made));

describe('pdp eval --schema-enforce', () => {
  it('warn (default): prints each field with its pointer and adds schemaErrors to the decision', async () => {
    const r = await pdp(['eval', '--policies', POLICIES, '--input', input]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${input}:/resource/attributes/room: `);
    const out = JSON.parse(r.stdout);
    expect(out.schemaErrors).toEqual([expect.objectContaining({ pointer: '/resource/attributes/room' })]);
  });

  it('reject: the same lines, exit 1 and no decision; off: no check', async () => {
    const rejected = await pdp(['eval', '--policies', POLICIES, '--input', input, '--schema-enforce', 'reject']);
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toBe('');
    expect(rejected.stderr).toContain(`${input}:/resource/attributes/room: `);
    const off = await pdp(['eval', '--policies', POLICIES, '--input', input, '--schema-enforce', 'off']);
    expect(off.code).toBe(0);
    expect(off.stderr).toBe('');
    expect(JSON.parse(off.stdout).schemaErrors).toBeUndefined();
    expect((await pdp(['eval', '--policies', POLICIES, '--input', input, '--schema-enforce', 'maybe'])).code).toBe(2);
  });
});

describe('pdp test and schema.json', () => {
  async function withCase(expectExtra: Record<string, unknown>): Promise<{ dir: string; index: number }> {
    const dir = await tempDir('pdp-cli-schema-set-');
    made.push(dir);
    await cp(POLICIES, dir, { recursive: true });
    const file = path.join(dir, 'tests', 'chat.json');
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.cases.push({
      name: 'an attribute schema.json does not declare',
      input: { subject: { id: 'alice', groups: ['oracle-ai-users'] }, resource: { type: 'chat', attributes: { room: 7 } }, action: 'read' },
      expect: { allow: true, reasons: ['chat/members-may-chat'], ...expectExtra },
    });
    await writeFile(file, JSON.stringify(doc));
    return { dir, index: doc.cases.length - 1 };
  }

  it('fails a case whose input does not fit, with the pointer in the test file', async () => {
    const { dir, index } = await withCase({});
    const r = await pdp(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✗ an attribute schema.json does not declare`);
    expect(r.stdout).toContain(`input does not fit schema.json: tests/chat.json:/cases/${index}/input/resource/attributes/room: `);
    const warned = await pdp(['test', dir, '--schema-enforce', 'warn']);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('warning: input does not fit schema.json');
  });

  it('passes it when the case lists exactly those pointers, and fails it when it lists one that fits', async () => {
    const { dir } = await withCase({ schemaErrors: ['/resource/attributes/room'] });
    expect((await pdp(['test', dir])).code).toBe(0);
    const { dir: wrong } = await withCase({ schemaErrors: ['/resource/attributes/room', '/action'] });
    const r = await pdp(['test', wrong]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('expected the input not to fit schema.json at /action, but it does');
  });
});
