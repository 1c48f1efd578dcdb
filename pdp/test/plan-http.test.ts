/**
 * POST /v1/plan on a real server (127.0.0.1, ephemeral port): the three kinds, token mode (a
 * verified token plans for its subject, a refused one plans always_denied naming why), the edge's
 * refusals with JSON pointers, the 422 for a plan the engine cannot express, and the route in the
 * OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ALICE, ADMIN_POLICY, CHAT_POLICY, ROLES, get, makePolicyDir, post, removeDir, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';
import { makeKey, startIssuer, type SigningKey, type TestIssuer } from './token-helpers.js';

const DOCS = {
  id: 'docs',
  resource: 'document',
  rules: [
    { id: 'owners-read', effect: 'allow', actions: ['read'], when: { '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.id' }] } },
    { id: 'no-archived', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'resource.attributes.archived' }, true] } },
    { id: 'by-team', effect: 'allow', actions: ['list'], when: { '==': [{ data: ['teams', { var: 'resource.attributes.team' }, 'open'] }, true] } },
  ],
};

let pdp: TestPdp;
let tokenPdp: TestPdp;
let issuer: TestIssuer;
let key: SigningKey;

const dirs: string[] = [];
async function policyDir(): Promise<string> {
  const dir = await makePolicyDir({ 'chat.json': CHAT_POLICY, 'admin.json': ADMIN_POLICY, 'roles.json': ROLES, 'docs.json': DOCS });
  await mkdir(path.join(dir, 'data'));
  await writeJson(dir, 'data/teams.json', { red: { open: true } });
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  pdp = await startTestPdp({ dir: await policyDir() });
  issuer = await startIssuer();
  key = await makeKey('k1');
  issuer.published = [key];
  tokenPdp = await startTestPdp({ dir: await policyDir(), jwt: { issuer: issuer.issuer, audience: [issuer.audience], jwksUrl: issuer.jwksUrl } });
});
afterAll(async () => {
  await pdp?.stop();
  await tokenPdp?.stop();
  await issuer?.close();
  for (const dir of dirs) await removeDir(dir);
});

describe('POST /v1/plan', () => {
  it('answers each kind, with the revision served', async () => {
    const revision = (await get(pdp.url, '/v1/policies')).body.revision;
    const allowed = await post(pdp.url, '/v1/plan', { subject: ALICE, resourceType: 'chat', action: 'read' });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ kind: 'always_allowed', revision });
    const denied = await post(pdp.url, '/v1/plan', { subject: { id: 'eve' }, resourceType: 'chat', action: 'read' });
    expect(denied.body).toEqual({ kind: 'always_denied', revision, reasons: [] });
    const conditional = await post(pdp.url, '/v1/plan', { subject: { id: 'alice' }, resourceType: 'document', action: 'read' });
    expect(conditional.body).toEqual({
      kind: 'conditional',
      revision,
      condition: { and: [{ '!': { '==': [{ var: 'resource.attributes.archived' }, true] } }, { '==': [{ var: 'resource.attributes.owner' }, 'alice'] }] },
    });
  });

  it('refuses with 422 plan_unsupported what it cannot express, never a wider answer', async () => {
    const res = await post(pdp.url, '/v1/plan', { subject: ALICE, resourceType: 'document', action: 'list' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'plan_unsupported', detail: expect.stringContaining('docs/by-team') });
  });

  it('validates strictly, with pointers', async () => {
    const unknownKey = await post(pdp.url, '/v1/plan', { subject: ALICE, resourceType: 'chat', action: 'read', resource: { type: 'chat' } });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.errors).toContainEqual(expect.objectContaining({ pointer: '/resource' }));
    const missing = await post(pdp.url, '/v1/plan', { subject: ALICE, action: 'read' });
    expect(missing.body.errors).toContainEqual(expect.objectContaining({ pointer: '/resourceType' }));
    const both = await post(pdp.url, '/v1/plan', { subject: ALICE, token: 'x', resourceType: 'chat', action: 'read' });
    expect(both.body.code).toBe('subject_and_token');
    const noTokenMode = await post(pdp.url, '/v1/plan', { token: 'x', resourceType: 'chat', action: 'read' });
    expect(noTokenMode.body.code).toBe('token_mode_not_configured');
  });

  it('plans for a verified token subject; a refused token plans always_denied, naming why', async () => {
    const token = await issuer.sign(key, { sub: 'alice', groups: ['oracle-ai-users'] });
    const ok = await post(tokenPdp.url, '/v1/plan', { token, resourceType: 'document', action: 'read' });
    expect(ok.body.kind).toBe('conditional');
    expect(JSON.stringify(ok.body.condition)).toContain('"alice"');
    const chat = await post(tokenPdp.url, '/v1/plan', { token, resourceType: 'chat', action: 'read' });
    expect(chat.body.kind).toBe('always_allowed');
    const expired = await issuer.sign(key, { sub: 'alice', groups: ['oracle-ai-users'] }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const refused = await post(tokenPdp.url, '/v1/plan', { token: expired, resourceType: 'chat', action: 'read' });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ kind: 'always_denied', reasons: [{ policy: '$token', code: 'token_expired' }] });
  });

  it('is in the OpenAPI document, with its request schema', async () => {
    const doc = (await get(pdp.url, '/openapi.json')).body;
    expect(doc.paths['/v1/plan'].post.operationId).toBe('plan');
    expect(doc.paths['/v1/plan'].post.responses['422']).toBeDefined();
    expect(doc.components.schemas.PlanRequest.required).toEqual(['resourceType', 'action']);
  });
});
