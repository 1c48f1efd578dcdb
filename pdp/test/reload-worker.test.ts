/**
 * Reloads run in a worker thread. A broken set is reported exactly as the in-process loader
 * reports it (every error); a worker that crashes, exits or hangs is a failed reload, the last
 * good set keeps serving, and the server lives on.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { decide } from '../src/engine/decide.js';
import { loadPolicies } from '../src/policy/loader.js';
import { createWorkerLoader, loadInProcess } from '../src/store/loaders.js';
import { PolicyStore } from '../src/store/policy-store.js';
import { ALICE, makePolicyDir, post, removeDir, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
  for (const d of dirs.splice(0)) await removeDir(d);
});

const script = (code: string): URL => new URL(`data:text/javascript,${encodeURIComponent(code)}`);

describe('reload worker', () => {
  test('a broken set: the worker reports every error the in-process loader finds', async () => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    await writeFile(path.join(dir, 'chat.json'), '{ "id": "chat", "resource": "chat", "rules": [ { "id": "x", "effect": "maybe", "actions": [] } ] }');
    await writeFile(path.join(dir, 'admin.json'), '{ "id": ');
    const expected = await loadPolicies(dir);
    expect(expected.ok).toBe(false);
    const got = await createWorkerLoader()(dir, undefined);
    expect(got).toEqual({ kind: 'failure', errors: (expected as { errors: unknown }).errors });
  });

  test('a set with schema.json and data files comes back whole: the same set, the same decisions as in the process', async () => {
    // The AuthZEN Todo example: roles from data/users.json; the demo policies: a schema.json.
    for (const dir of [path.resolve(import.meta.dirname, '../../examples/authzen-todo'), path.resolve(import.meta.dirname, '../../policies')]) {
      const inWorker = await createWorkerLoader()(dir, undefined);
      const inProcess = await loadInProcess(dir, undefined);
      if (inWorker.kind !== 'loaded' || inProcess.kind !== 'loaded') throw new Error('expected both to load');
      expect(inWorker.compiled.revision).toBe(inProcess.compiled.revision);
      expect(inWorker.compiled.policySet).toEqual(inProcess.compiled.policySet);
    }
    const todo = path.resolve(import.meta.dirname, '../../examples/authzen-todo');
    const inWorker = await createWorkerLoader()(todo, undefined);
    const inProcess = await loadInProcess(todo, undefined);
    if (inWorker.kind !== 'loaded' || inProcess.kind !== 'loaded') throw new Error('expected both to load');
    const users = Object.keys(inProcess.compiled.policySet.data?.users ?? {});
    expect(users.length).toBeGreaterThan(0);
    for (const id of users) {
      for (const action of ['can_read_todos', 'can_create_todo', 'can_delete_user']) {
        const request = { subject: { id }, resource: { type: 'todo', id: 'todo-1' }, action };
        expect(decide(inWorker.compiled, request).allow, `${id} ${action}`).toBe(decide(inProcess.compiled, request).allow);
      }
    }
  });

  test('a good set compiles to the same decisions and revision as in the process', async () => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    const inWorker = await createWorkerLoader()(dir, undefined);
    const inProcess = await loadInProcess(dir, undefined);
    if (inWorker.kind !== 'loaded' || inProcess.kind !== 'loaded') throw new Error('expected both to load');
    expect(inWorker.compiled.revision).toBe(inProcess.compiled.revision);
    expect(inWorker.compiled.policySet.policies).toEqual(inProcess.compiled.policySet.policies);
    expect(Object.isFrozen(inWorker.compiled.policySet.policies[0]?.rules[0])).toBe(true);
    expect(await createWorkerLoader()(dir, inProcess.compiled.revision)).toEqual({ kind: 'unchanged' });
  });

  test.each([
    ['throws', script('throw new Error("boom")'), 'the policy load worker failed', 60_000],
    ['exits', script('process.exit(3)'), 'exited (code 3)', 60_000],
    ['hangs', script('setInterval(() => {}, 1000)'), 'did not answer within 300 ms', 300],
  ])('a worker that %s is a failed reload; the last good set keeps serving', async (_name, entry, message, timeoutMs) => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    const logger = pino({ level: 'silent' });
    const store = new PolicyStore({ dir, load: loadInProcess, reload: createWorkerLoader({ entry, timeoutMs }), logger, watch: false, debounceMs: 0 });
    const first = await store.start();
    const serving = store.current;
    const result = await store.reload('test');
    expect(result).toMatchObject({ result: 'failure', errors: [{ file: '.', message: expect.stringContaining(message) }] });
    expect(store.current).toBe(serving);
    expect(store.describe()).toMatchObject({ revision: (first as { revision: string }).revision, lastError: { errors: [{ message: expect.stringContaining(message) }] } });
    store.close();
  });

  test('the server keeps answering while and after a reload fails', async () => {
    pdp = await startTestPdp({ watch: false });
    await writeFile(path.join(pdp.dir, 'chat.json'), '{ broken');
    expect(await pdp.reload('test')).toMatchObject({ result: 'failure' });
    expect((await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' })).body).toMatchObject({ allow: true });
  });
});
