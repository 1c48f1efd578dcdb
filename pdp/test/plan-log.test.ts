/**
 * POST /v1/plan and the decision log, over real HTTP (127.0.0.1, ephemeral ports): one line per
 * plan (`kind: "plan"`, the plan's kind and revision), with the decision lines' redaction and
 * input rules, never a token or a condition; `pdp replay` passes over plan lines. And
 * PDP_SCHEMA_ENFORCE for a plan's subject claims, context, action properties and resource type:
 * reject refuses with pointers, warn plans and the line names each attribute.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { loadPolicies } from '../src/policy/loader.js';
import { replayLog } from '../src/policy/replay.js';
import { eventually, makePolicyDir, post, removeDir, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';
import { makeKey, startIssuer, type SigningKey, type TestIssuer } from './token-helpers.js';

const DOCS = {
  id: 'docs',
  resource: 'document',
  rules: [
    { id: 'owners-read', effect: 'allow', actions: ['read'], when: { '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.claims.email' }] } },
    { id: 'staff-list', effect: 'allow', actions: ['list'], when: { '==': [{ var: 'subject.claims.status' }, 'staff'] } },
    { id: 'by-team', effect: 'allow', actions: ['share'], when: { '==': [{ data: ['teams', { var: 'resource.attributes.team' }, 'open'] }, true] } },
  ],
};
const SCHEMA = {
  resources: { document: { attributes: { owner: { type: 'string' }, team: { type: 'string' } } } },
  claims: { attributes: { email: { type: 'string' }, status: { type: 'string', enum: ['staff', 'guest'] } } },
  context: { attributes: { office: { type: 'boolean' } } },
  actionProperties: { attributes: { method: { type: 'string' } } },
};

const dirs: string[] = [];
async function policyDir(): Promise<string> {
  const dir = await makePolicyDir({ 'docs.json': DOCS, 'schema.json': SCHEMA });
  await mkdir(path.join(dir, 'data'));
  await writeJson(dir, 'data/teams.json', { red: { open: true } });
  dirs.push(dir);
  return dir;
}

const ALICE = { id: 'alice', claims: { email: 'alice@example.com', status: 'staff' } };

const pdps: Record<'redacting' | 'noInput' | 'reject' | 'off' | 'token', TestPdp> = {} as never;
let issuer: TestIssuer;
let key: SigningKey;
beforeAll(async () => {
  issuer = await startIssuer();
  key = await makeKey('k1');
  issuer.published = [key];
  pdps.redacting = await startTestPdp({ dir: await policyDir(), watch: false, decisionLog: true, logRedact: ['subject.claims.email'] });
  pdps.noInput = await startTestPdp({ dir: await policyDir(), watch: false, decisionLog: true, decisionLogInput: false });
  pdps.reject = await startTestPdp({ dir: await policyDir(), watch: false, decisionLog: true, schemaEnforce: 'reject' });
  pdps.off = await startTestPdp({ dir: await policyDir(), watch: false, decisionLog: false });
  pdps.token = await startTestPdp({ dir: await policyDir(), watch: false, decisionLog: true, jwt: { issuer: issuer.issuer, audience: [issuer.audience], jwksUrl: issuer.jwksUrl } });
});
afterAll(async () => {
  for (const pdp of Object.values(pdps)) await pdp?.stop();
  await issuer?.close();
  for (const dir of dirs) await removeDir(dir);
});

let seq = 0;
/** POSTs a plan and returns the answer and the plan's log line (found by its request id). */
async function planned(pdp: TestPdp, body: unknown): Promise<{ status: number; body: any; line: Record<string, unknown>; raw: string }> {
  const id = `plan-log-${++seq}`;
  const res = await post(pdp.url, '/v1/plan', body, { 'x-request-id': id });
  let line: Record<string, unknown> | undefined;
  await eventually(async () => (line = pdp.log.lines.find((l) => l.requestId === id)) !== undefined);
  return { status: res.status, body: res.body, line: line as Record<string, unknown>, raw: pdp.log.raw.join('').split('\n').find((l) => l.includes(`"${id}"`)) as string };
}

describe('the plan line of the decision log', () => {
  it('says it is a plan, its kind and revision, with the request (redacted as decision lines are), never the condition', async () => {
    const { status, body, line, raw } = await planned(pdps.redacting, { subject: ALICE, resourceType: 'document', action: 'read', context: { office: true } });
    expect(status).toBe(200);
    expect(body.kind).toBe('conditional');
    // As in a decision line, a path into the subject censors the line's subject id as well.
    expect(line).toMatchObject({ kind: 'plan', msg: 'plan', plan: 'conditional', revision: body.revision, subject: '[redacted]', resourceType: 'document', action: 'read', api: 'plan' });
    expect(line.latencyUs).toEqual(expect.any(Number));
    expect(line.input).toEqual({ subject: { id: 'alice', claims: { email: '[redacted]', status: 'staff' } }, resourceType: 'document', action: 'read', context: { office: true } });
    // The condition holds the email folded in, which the redaction path does not reach there.
    expect(JSON.stringify(body.condition)).toContain('alice@example.com');
    expect(raw).not.toContain('alice@example.com');
    expect(line.condition).toBeUndefined();
  });

  it('always_denied names its reasons; a 422 is a line too, naming the rule', async () => {
    const denied = await planned(pdps.redacting, { subject: { id: 'bob', claims: { status: 'guest' } }, resourceType: 'document', action: 'list' });
    expect(denied.body.kind).toBe('always_denied');
    expect(denied.line).toMatchObject({ kind: 'plan', plan: 'always_denied', reasons: [] });
    const refused = await planned(pdps.redacting, { subject: ALICE, resourceType: 'document', action: 'share' });
    expect(refused.status).toBe(422);
    expect(refused.line).toMatchObject({ kind: 'plan', plan: 'unsupported', rule: 'docs/by-team' });
  });

  it('has no input with PDP_DECISION_LOG_INPUT=off, and there is no line with the decision log off', async () => {
    const { line } = await planned(pdps.noInput, { subject: ALICE, resourceType: 'document', action: 'list' });
    expect(line).toMatchObject({ kind: 'plan', plan: 'always_allowed' });
    expect(line.input).toBeUndefined();
    const quiet = await post(pdps.off.url, '/v1/plan', { subject: ALICE, resourceType: 'document', action: 'list' }, { 'x-request-id': 'quiet-plan' });
    expect(quiet.status).toBe(200);
    await post(pdps.off.url, '/v1/decide', { subject: ALICE, resource: { type: 'document' }, action: 'list' });
    expect(pdps.off.log.lines.filter((l) => l.kind === 'plan' || l.kind === 'decision')).toEqual([]);
  });

  it('for a token: the verified subject, never the token; a refused token is its tokenError', async () => {
    const token = await issuer.sign(key, { sub: 'alice', email: 'alice@example.com', status: 'staff' });
    const ok = await planned(pdps.token, { token, resourceType: 'document', action: 'list' });
    expect(ok.line).toMatchObject({ plan: 'always_allowed', subject: 'alice', input: { subject: { id: 'alice' } } });
    expect(ok.raw).not.toContain(token);
    const expired = await issuer.sign(key, { sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const refused = await planned(pdps.token, { token: expired, resourceType: 'document', action: 'list' });
    expect(refused.line).toMatchObject({ plan: 'always_denied', tokenError: 'token_expired', reasons: [{ policy: '$token', code: 'token_expired' }] });
    expect(refused.line.subject).toBeUndefined();
    expect(refused.line.input).toBeUndefined();
    expect(refused.raw).not.toContain(expired);
  });

  it('pdp replay reads the decision lines and passes over plan lines', async () => {
    const pdp = pdps.noInput;
    await planned(pdp, { subject: ALICE, resourceType: 'document', action: 'read' });
    const decided = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'document', attributes: { owner: 'alice@example.com' } }, action: 'read' });
    expect(decided.body.allow).toBe(true);
    await eventually(async () => pdp.log.lines.some((l) => l.decisionId === decided.body.decisionId));
    const lines = pdp.log.raw.join('').split('\n').filter((l) => l !== '');
    const plans = lines.filter((l) => (JSON.parse(l) as { kind?: string }).kind === 'plan').length;
    const decisions = lines.filter((l) => (JSON.parse(l) as { kind?: string }).kind === 'decision').length;
    expect(plans).toBeGreaterThan(0);
    expect(decisions).toBeGreaterThan(0);
    const loaded = await loadPolicies(pdp.dir);
    if (!loaded.ok) throw new Error('the policies load');
    const report = await replayLog(lines, compile(loaded.policySet));
    expect(report.decisions).toBe(decisions);
    // Input is off on this PDP: every decision line is not replayable for that reason alone.
    expect(report.notReplayable.by).toEqual({ no_input: decisions, token_refused: 0, invalid_input: 0, invalid_line: 0 });
  });
});

describe('PDP_SCHEMA_ENFORCE for a plan', () => {
  const wrong = { subject: { id: 'alice', claims: { status: 'Staff', emial: 'a' } }, resourceType: 'document', action: 'list', context: { office: 'yes' }, actionProperties: { method: 7 } };

  it('reject: 400 schema_mismatch with a pointer to each attribute, and no plan line', async () => {
    const res = await post(pdps.reject.url, '/v1/plan', wrong, { 'x-request-id': 'rejected-plan' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('schema_mismatch');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/actionProperties/method', '/context/office', '/subject/claims/emial', '/subject/claims/status']);
    const type = await post(pdps.reject.url, '/v1/plan', { subject: ALICE, resourceType: 'documnet', action: 'list' });
    expect(type.status).toBe(400);
    expect(type.body.errors).toEqual([{ pointer: '/resourceType', detail: expect.stringContaining('is not a resource type declared in schema.json') }]);
    const fits = await post(pdps.reject.url, '/v1/plan', { subject: ALICE, resourceType: 'document', action: 'list' });
    expect(fits.body.kind).toBe('always_allowed');
    expect(pdps.reject.log.lines.some((l) => l.requestId === 'rejected-plan' && l.kind === 'plan')).toBe(false);
  });

  it('warn (the default): the plan is made, and the plan and its line name each attribute', async () => {
    const { status, body, line } = await planned(pdps.redacting, wrong);
    expect(status).toBe(200);
    expect(body.kind).toBe('always_denied');
    const pointers = ['/actionProperties/method', '/context/office', '/subject/claims/emial', '/subject/claims/status'];
    expect((line.schemaErrors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(pointers);
    expect((body.schemaErrors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(pointers);
    const fits = await planned(pdps.redacting, { subject: ALICE, resourceType: 'document', action: 'list' });
    expect(fits.line.schemaErrors).toBeUndefined();
    expect(fits.body).not.toHaveProperty('schemaErrors');
  });
});
