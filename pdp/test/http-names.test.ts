/**
 * Request strings are held to the rule policy names follow: a control or invisible character,
 * or a space at an end, in resource.type, action, subject.id or a group is a 400 naming the
 * field, so `delete\u200b` cannot slip past a `deny delete` rule, nor `contractors\u0000` past
 * a group deny. Look-alike and case variants are legal and simply match nothing (exact matching).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makePolicyDir, post, startTestPdp, type TestPdp } from './http-helpers.js';

const POLICY = {
  id: 'docs',
  resource: 'doc',
  rules: [
    { id: 'staff-all', effect: 'allow', actions: ['*'], subject: { groups: { anyOf: ['staff'] } } },
    { id: 'no-delete', effect: 'deny', actions: ['delete'] },
    { id: 'no-contractors', effect: 'deny', actions: ['*'], subject: { groups: { anyOf: ['contractors'] } } },
  ],
};

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ dir: await makePolicyDir({ 'docs.json': POLICY, 'roles.json': { roles: {} } }) });
});
afterAll(async () => {
  await pdp.stop();
});

const HOSTILE = ['\u200b', '\u0000', ' ', '\u00a0', '\u202e', '\ufeff', '\t'];

describe('hostile characters in request strings', () => {
  test('control: the rules deny delete and contractors', async () => {
    expect((await post(pdp.url, '/v1/decide', { subject: { id: 'a', groups: ['staff'] }, resource: { type: 'doc' }, action: 'read' })).body.allow).toBe(true);
    expect((await post(pdp.url, '/v1/decide', { subject: { id: 'a', groups: ['staff'] }, resource: { type: 'doc' }, action: 'delete' })).body.allow).toBe(false);
    expect((await post(pdp.url, '/v1/decide', { subject: { id: 'a', groups: ['staff', 'contractors'] }, resource: { type: 'doc' }, action: 'read' })).body.allow).toBe(false);
  });

  test.each(HOSTILE.map((c) => [JSON.stringify(c), c]))('action "delete" + %s is a 400 at /action, never an allow', async (_n, c) => {
    const res = await post(pdp.url, '/v1/decide', { subject: { id: 'a', groups: ['staff'] }, resource: { type: 'doc' }, action: `delete${c}` });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/action');
  });

  test.each(HOSTILE.map((c) => [JSON.stringify(c), c]))('group "contractors" + %s is a 400 at its pointer', async (_n, c) => {
    const res = await post(pdp.url, '/v1/decide', { subject: { id: 'a', groups: ['staff', `contractors${c}`] }, resource: { type: 'doc' }, action: 'read' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/subject/groups/1');
  });

  test('resource.type and subject.id too, and on the batch and AuthZEN routes', async () => {
    const bad = 'doc\u200b';
    const cases: [string, unknown, string][] = [
      ['/v1/decide', { subject: { id: 'a', groups: ['staff'] }, resource: { type: bad }, action: 'read' }, '/resource/type'],
      ['/v1/decide', { subject: { id: 'a\u0000', groups: ['staff'] }, resource: { type: 'doc' }, action: 'read' }, '/subject/id'],
      ['/v1/decide/batch', { subject: { id: 'a', groups: ['staff'] }, items: [{ resource: { type: 'doc' }, action: 'delete\u200b' }] }, '/items/0/action'],
      ['/access/v1/evaluation', { subject: { type: 'user', id: 'a', properties: { groups: ['staff'] } }, resource: { type: 'doc', id: '1' }, action: { name: 'delete\u200b' } }, '/action/name'],
      ['/access/v1/evaluation', { subject: { type: 'user', id: 'a', properties: { groups: ['staff', 'contractors '] } }, resource: { type: 'doc', id: '1' }, action: { name: 'read' } }, '/subject/properties/groups/1'],
      ['/access/v1/evaluation', { subject: { type: 'user', id: 'a', properties: { groups: ['staff'] } }, resource: { type: bad, id: '1' }, action: { name: 'read' } }, '/resource/type'],
    ];
    for (const [route, body, pointer] of cases) {
      const res = await post(pdp.url, route, body);
      expect(res.status, `${route} ${pointer}`).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), route).toContain(pointer);
    }
  });

  test('case and look-alike letters are legal characters: they match nothing, so a deny rule never needs them but an allow never grants them', async () => {
    for (const action of ['Delete', 'ｄｅｌｅｔｅ', 'dеlete' /* Cyrillic е */]) {
      const res = await post(pdp.url, '/v1/decide', { subject: { id: 'a', groups: ['staff'] }, resource: { type: 'doc' }, action });
      expect(res.status, action).toBe(200);
    }
  });
});
