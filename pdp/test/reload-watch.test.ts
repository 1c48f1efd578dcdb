/**
 * Hot reload: edits to the policy directory are in force within a second; a bad edit keeps the
 * last good revision serving and is reported in GET /v1/policies, the log and the metrics.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ADMIN_POLICY, ALICE, CAROL, CHAT_POLICY, eventually, get, makePolicyDir, post, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';

let pdp: TestPdp | undefined;
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
});

const decide = async (p: TestPdp, subject: unknown, type: string, action = 'read') =>
  (await post(p.url, '/v1/decide', { subject, resource: { type }, action })).body;

describe('hot reload', () => {
  test('a good edit is in force within one second, with a new revision', async () => {
    pdp = await startTestPdp();
    const before = await decide(pdp, ALICE, 'chat');
    expect(before.allow).toBe(true);
    await writeJson(pdp.dir, 'chat.json', { ...CHAT_POLICY, rules: [{ ...CHAT_POLICY.rules[0], actions: ['write'] }] });
    const p = pdp;
    const took = await eventually(async () => (await decide(p, ALICE, 'chat')).allow === false, 1000);
    expect(took).toBeLessThan(1000);
    const after = await decide(pdp, ALICE, 'chat');
    expect(after.revision).not.toBe(before.revision);
    expect(pdp.log.lines.some((l) => l.msg === 'policies loaded' && l.trigger === 'watch')).toBe(true);
  });

  test('a bad edit keeps the last good revision serving and shows the error; fixing it clears the error', async () => {
    pdp = await startTestPdp();
    const good = await decide(pdp, ALICE, 'chat');
    await writeFile(path.join(pdp.dir, 'chat.json'), '{ "id": "chat", "resource": "chat", "rules": [ { "id": "x", "effect": "maybe", "actions": [] } ] }');
    const p = pdp;
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError !== null, 1000);
    const view = (await get(pdp.url, '/v1/policies')).body;
    expect(view.revision).toBe(good.revision);
    expect(view.lastError.errors.length).toBeGreaterThan(0);
    expect(view.lastError.errors[0]).toMatchObject({ file: 'chat.json', pointer: expect.stringMatching(/^\/rules\/0/) });
    expect(typeof view.lastError.at).toBe('string');
    // Still serving the last good set.
    const still = await decide(pdp, ALICE, 'chat');
    expect(still).toMatchObject({ allow: true, revision: good.revision });
    expect(pdp.log.lines.some((l) => l.msg === 'policy reload failed; the last good revision keeps serving')).toBe(true);
    expect((await get(pdp.url, '/metrics')).text).toMatch(/^pdp_policy_reloads_total\{result="failure"\} [1-9]/m);
    // Invalid JSON is a bad edit too.
    await writeFile(path.join(pdp.dir, 'chat.json'), '{ "id": ');
    await eventually(async () => JSON.stringify((await get(p.url, '/v1/policies')).body.lastError).includes('chat.json'), 1000);
    expect((await decide(pdp, ALICE, 'chat')).revision).toBe(good.revision);
    // Fixed: the error goes away (the content is the original, so the revision is too).
    await writeJson(pdp.dir, 'chat.json', CHAT_POLICY);
    await eventually(async () => (await get(p.url, '/v1/policies')).body.lastError === null, 1000);
    expect((await decide(pdp, ALICE, 'chat')).revision).toBe(good.revision);
  });

  test('a removed file takes its policy out of service', async () => {
    pdp = await startTestPdp();
    expect((await decide(pdp, CAROL, 'admin')).allow).toBe(true);
    await rm(path.join(pdp.dir, 'admin.json'));
    const p = pdp;
    await eventually(async () => (await decide(p, CAROL, 'admin')).allow === false, 1000);
    const ids = (await get(pdp.url, '/v1/policies')).body.policies.map((x: { id: string }) => x.id);
    expect(ids).toEqual(['chat']);
  });

  test('an added file is picked up', async () => {
    pdp = await startTestPdp();
    expect((await decide(pdp, ALICE, 'reports')).allow).toBe(false);
    await writeJson(pdp.dir, 'reports.json', { id: 'reports', resource: 'reports', rules: [{ id: 'all', effect: 'allow', actions: ['read'] }] });
    const p = pdp;
    await eventually(async () => (await decide(p, ALICE, 'reports')).allow === true, 1000);
  });

  test('without a valid set the PDP is not ready: /readyz and decisions 503, until one loads', async () => {
    const dir = await makePolicyDir({ 'chat.json': '{ broken', 'roles.json': { roles: {} } });
    pdp = await startTestPdp({ dir });
    const ready = await get(pdp.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe('not_ready');
    const d = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' });
    expect(d.status).toBe(503);
    expect(d.body.code).toBe('not_ready');
    expect((await get(pdp.url, '/healthz')).status).toBe(200);
    const view = (await get(pdp.url, '/v1/policies')).body;
    expect(view).toMatchObject({ revision: null, loadedAt: null, policies: [] });
    expect(view.lastError.errors[0].file).toBe('chat.json');
    await writeJson(dir, 'chat.json', { ...ADMIN_POLICY, id: 'chat', resource: 'chat' });
    const p = pdp;
    await eventually(async () => (await get(p.url, '/readyz')).status === 200, 1000);
    await pdp.stop();
    pdp = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  test('edits under tests/ do not reload the set', async () => {
    pdp = await startTestPdp();
    const metric = async () => (await get(pdp!.url, '/metrics')).text.match(/^pdp_policy_reloads_total\{result="(?:success|unchanged)"\} (\d+)/gm)?.join();
    const before = await metric();
    await writeJson(path.join(pdp.dir, 'tests'), 'chat.json', { cases: [] });
    await new Promise((r) => setTimeout(r, 300));
    expect(await metric()).toBe(before);
  });
});
