/**
 * What a reload changed: a deleted deny policy, or a release copied file by file and caught half
 * way, widens access with no error at all. Every successful reload logs the policies and rules it
 * added and removed (a warning when it removed any), and GET /v1/policies shows the last diff.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { CHAT_POLICY, get, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';
import { sortInSteps } from '../src/store/policy-store.js';

let pdp: TestPdp | undefined;
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
});

const changeLines = (p: TestPdp) => p.log.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('policy reload '));

describe('reload diff', () => {
  test('no change is shown before the first reload', async () => {
    pdp = await startTestPdp({ watch: false });
    expect((await get(pdp.url, '/v1/policies')).body.lastChange).toBeNull();
  });

  test('a removed policy is a warning naming it and its rules, and is shown in GET /v1/policies', async () => {
    pdp = await startTestPdp({ watch: false });
    const before = (await get(pdp.url, '/v1/policies')).body.revision as string;
    await rm(path.join(pdp.dir, 'admin.json'));
    expect(await pdp.reload('test')).toMatchObject({ result: 'success' });
    const view = (await get(pdp.url, '/v1/policies')).body;
    expect(view.lastChange).toEqual({
      at: view.loadedAt,
      revision: view.revision,
      previousRevision: before,
      added: { policies: [], rules: [] },
      removed: { policies: ['admin'], rules: ['admin/admins-only'] },
    });
    const [line] = changeLines(pdp);
    expect(line).toMatchObject({ level: 40, trigger: 'test', previousRevision: before, removed: { policies: ['admin'], rules: ['admin/admins-only'] } });
  });

  test('a reload that only adds is logged at info; a rule renamed is one removed and one added', async () => {
    pdp = await startTestPdp({ watch: false });
    const extra = { id: 'no-weekend', effect: 'deny', actions: ['write'], when: { '==': [{ var: 'context.weekend' }, true] } };
    await writeJson(pdp.dir, 'chat.json', { ...CHAT_POLICY, rules: [...CHAT_POLICY.rules, extra] });
    await pdp.reload('test');
    expect(changeLines(pdp).at(-1)).toMatchObject({ level: 30, added: { policies: [], rules: ['chat/no-weekend'] }, removed: { policies: [], rules: [] } });
    await writeJson(pdp.dir, 'chat.json', { ...CHAT_POLICY, rules: [...CHAT_POLICY.rules, { ...extra, id: 'no-weekends' }] });
    await pdp.reload('test');
    expect((await get(pdp.url, '/v1/policies')).body.lastChange).toMatchObject({
      added: { policies: [], rules: ['chat/no-weekends'] },
      removed: { policies: [], rules: ['chat/no-weekend'] },
    });
    expect(changeLines(pdp).at(-1)).toMatchObject({ level: 40 });
  });

  test('a failed or unchanged reload leaves the last diff as it was', async () => {
    pdp = await startTestPdp({ watch: false });
    await rm(path.join(pdp.dir, 'admin.json'));
    await pdp.reload('test');
    const change = (await get(pdp.url, '/v1/policies')).body.lastChange;
    expect(await pdp.reload('test')).toMatchObject({ result: 'unchanged' });
    await writeJson(pdp.dir, 'chat.json', '{ broken');
    expect(await pdp.reload('test')).toMatchObject({ result: 'failure' });
    expect((await get(pdp.url, '/v1/policies')).body.lastChange).toEqual(change);
  });
});

describe('sorting the change lists in steps', () => {
  test('gives what one sort gives, for lists across several steps, with pauses along the way', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    for (const n of [0, 1, 1999, 2000, 2001, 9_001]) {
      const items = Array.from({ length: n }, () => `p${Math.floor(random() * 50)}/r${Math.floor(random() * 5000)}\u00e9${random() < 0.1 ? 'Z' : 'a'}`);
      const steps = sortInSteps(items);
      let pauses = 0;
      let step = steps.next();
      while (!step.done) {
        pauses++;
        step = steps.next();
      }
      expect(step.value).toEqual([...items].sort());
      if (n > 4000) expect(pauses).toBeGreaterThan(4);
    }
  });
});
