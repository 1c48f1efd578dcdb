/**
 * Hot reload when the directory itself changes under the server (deleted and created again,
 * replaced by a rename, a symlink switched to another release) and when a policy file becomes
 * something else: edits must keep taking effect, and a broken set must never replace the last good one.
 */
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ALICE, CHAT_POLICY, eventually, get, makePolicyDir, post, removeDir, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';

let pdp: TestPdp | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
  for (const d of dirs.splice(0)) await removeDir(d);
});

const allowed = async (p: TestPdp): Promise<boolean> =>
  (await post(p.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' })).body.allow === true;

/** The chat policy with its allow rule narrowed to `write`: alice's read is then denied. */
const CHAT_WRITE_ONLY = { ...CHAT_POLICY, rules: [{ ...CHAT_POLICY.rules[0], actions: ['write'] }] };

describe('reload when the directory is replaced', () => {
  test('deleted and created again: the new directory is watched, and an edit in it is in force', async () => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    pdp = await startTestPdp({ dir });
    const p = pdp;
    const revision = (await get(p.url, '/v1/policies')).body.revision;
    await rm(dir, { recursive: true });
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError !== null, 3000);
    // Gone: the last good set keeps serving, and the PDP stays ready.
    expect((await get(p.url, '/v1/policies')).body).toMatchObject({ revision, lastError: { errors: [{ file: '.', message: 'no such directory' }] } });
    expect((await get(p.url, '/readyz')).status).toBe(200);
    expect(await allowed(p)).toBe(true);

    const again = await makePolicyDir();
    await rename(again, dir);
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError === null, 3000);
    // The watch is on the new directory: an ordinary edit there is in force.
    await writeJson(dir, 'chat.json', CHAT_WRITE_ONLY);
    await eventually(async () => !(await allowed(p)), 3000);
  });

  test('replaced by a rename (mv policies.new policies): the new contents load, and later edits too', async () => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    pdp = await startTestPdp({ dir });
    const p = pdp;
    const next = await makePolicyDir();
    await writeJson(next, 'chat.json', CHAT_WRITE_ONLY);
    await rm(dir, { recursive: true });
    await rename(next, dir);
    await eventually(async () => !(await allowed(p)), 3000);
    await writeJson(dir, 'chat.json', CHAT_POLICY);
    await eventually(async () => allowed(p), 3000);
  });

  test('a policies path that is a symlink switched to another release is followed', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pdp-releases-'));
    dirs.push(root);
    const v1 = await makePolicyDir();
    const v2 = await makePolicyDir();
    dirs.push(v1, v2);
    await writeJson(v2, 'chat.json', CHAT_WRITE_ONLY);
    const current = path.join(root, 'current');
    await symlink(v1, current);
    pdp = await startTestPdp({ dir: current });
    const p = pdp;
    expect(await allowed(p)).toBe(true);
    // Switched the way deploy tools do it: a new link renamed over the old one (atomic).
    await symlink(v2, `${current}.new`);
    await rename(`${current}.new`, current);
    await eventually(async () => !(await allowed(p)), 3000);
  });
});

describe('reload when a policy file is not a file', () => {
  test('a policy file replaced by a directory is an error, not a silently smaller set', async () => {
    pdp = await startTestPdp();
    const p = pdp;
    const before = (await get(p.url, '/v1/policies')).body;
    await unlink(path.join(p.dir, 'chat.json'));
    await mkdir(path.join(p.dir, 'chat.json'));
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError !== null, 3000);
    const view = (await get(p.url, '/v1/policies')).body;
    expect(view.revision).toBe(before.revision);
    expect(view.lastError.errors).toEqual([{ file: 'chat.json', pointer: '', message: expect.stringContaining('not a regular file (a directory)') }]);
    expect((await get(p.url, '/readyz')).status).toBe(200);
    expect(await allowed(p)).toBe(true);
    // A bad edit then a good one: the good one is in force and the error is cleared.
    await rm(path.join(p.dir, 'chat.json'), { recursive: true });
    await writeFile(path.join(p.dir, 'chat.json'), '{ "id": "chat", ');
    await writeJson(p.dir, 'chat.json', CHAT_WRITE_ONLY);
    await eventually(async () => !(await allowed(p)) && (await get(p.url, '/v1/policies')).body.lastError === null, 3000);
  });
});

describe('reload under bursts and odd files', () => {
  test('30 rapid edits (bad and good alternating, ending good) are debounced and end on the good set', async () => {
    pdp = await startTestPdp();
    const p = pdp;
    const reloads = (): number => p.log.lines.filter((l) => l.trigger === 'watch').length;
    const good = JSON.stringify(CHAT_WRITE_ONLY);
    for (let i = 0; i < 30; i++) {
      await writeFile(path.join(p.dir, 'chat.json'), i % 2 === 0 ? '{ "id": ' : good);
      await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(async () => !(await allowed(p)) && (await get(p.url, '/v1/policies')).body.lastError === null, 3000);
    // Debounced: far fewer reloads than writes.
    expect(reloads()).toBeLessThan(10);
  });

  test.each([
    ['a symlink loop', async (dir: string) => {
      await symlink('loop-b.json', path.join(dir, 'loop-a.json'));
      await symlink('loop-a.json', path.join(dir, 'loop-b.json'));
    }, 'cannot read file (ELOOP)'],
    ['a file over 10 MiB', async (dir: string) => writeFile(path.join(dir, 'huge.json'), Buffer.alloc(10 * 1024 * 1024 + 1, 32)), 'file too large'],
    ['a dangling symlink', async (dir: string) => symlink(path.join(dir, 'nowhere.json'), path.join(dir, 'dangling.json')), 'cannot read file (ENOENT)'],
  ] as const)('%s: reported in lastError, the last good set keeps serving and readyz stays ready', async (_name, make, message) => {
    pdp = await startTestPdp();
    const p = pdp;
    const revision = (await get(p.url, '/v1/policies')).body.revision;
    await make(p.dir);
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError !== null, 3000);
    const view = (await get(p.url, '/v1/policies')).body;
    expect(view.revision).toBe(revision);
    expect(view.lastError.errors.map((e: { message: string }) => e.message).join('\n')).toContain(message);
    expect((await get(p.url, '/readyz')).status).toBe(200);
    expect(await allowed(p)).toBe(true);
  });
});

describe('pdp_policy_revision_info', () => {
  const revisionSeries = (text: string): string[] => [...text.matchAll(/^pdp_policy_revision_info\{revision="([^"]+)"\} (\S+)$/gm)].map((m) => `${m[1]}=${m[2]}`);

  test('names the revision being served, one series at a time; a failed reload leaves it as it was', async () => {
    pdp = await startTestPdp();
    const p = pdp;
    const first = (await get(p.url, '/v1/policies')).body.revision as string;
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(revisionSeries((await get(p.url, '/metrics')).text)).toEqual([`${first}=1`]);

    await writeJson(p.dir, 'chat.json', CHAT_WRITE_ONLY);
    await eventually(async () => (await get(p.url, '/v1/policies')).body.revision !== first, 3000);
    const second = (await get(p.url, '/v1/policies')).body.revision as string;
    expect(revisionSeries((await get(p.url, '/metrics')).text)).toEqual([`${second}=1`]);

    await writeFile(path.join(p.dir, 'chat.json'), '{ broken');
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError !== null, 3000);
    expect(revisionSeries((await get(p.url, '/metrics')).text)).toEqual([`${second}=1`]);
  });
});
