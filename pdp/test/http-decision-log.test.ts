/** The decision log: one line per decision, configurable redaction, and PDP_DECISION_LOG=off. */
import { afterEach, describe, expect, test } from 'vitest';
import { checkRequest, compile, decide as engineDecide, loadPolicies } from '../src/index.js';
import { ALICE, post, startTestPdp, type TestPdp } from './http-helpers.js';
import { makeKey, startIssuer } from './token-helpers.js';

let pdp: TestPdp | undefined;
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
});

const chatRead = { subject: ALICE, resource: { type: 'chat', id: 'room-9' }, action: 'read' };

describe('decision log', () => {
  test('PDP_LOG_REDACT paths censor those fields in decision lines', async () => {
    pdp = await startTestPdp({ logRedact: ['subject', 'resource.id'] });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    const line = pdp.log.lines.find((l) => l.decisionId === body.decisionId);
    expect(line).toMatchObject({ subject: '[redacted]', resource: { type: 'chat', id: '[redacted]' }, action: 'read', effect: 'allow' });
    expect(pdp.log.raw.join('')).not.toContain('room-9');
  });

  test('resource.* and reasons can be censored too', async () => {
    pdp = await startTestPdp({ logRedact: ['resource.*', 'reasons', 'action'] });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    const line = pdp.log.lines.find((l) => l.decisionId === body.decisionId);
    expect(line).toMatchObject({ subject: 'alice', resource: { type: '[redacted]', id: '[redacted]' }, action: '[redacted]', reasons: '[redacted]' });
  });

  test('nested and wildcard paths censor the fields they name, as pino reads them: resource["id"], *.type, reasons.*.rule', async () => {
    pdp = await startTestPdp({ logRedact: ['subject', 'resource["id"]', '*.type', 'reasons.*.rule'] });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    const line = pdp.log.lines.find((l) => l.decisionId === body.decisionId);
    expect(line).toMatchObject({
      subject: '[redacted]',
      resource: { type: '[redacted]', id: '[redacted]' },
      action: 'read',
      reasons: [{ policy: 'chat', rule: '[redacted]', effect: 'allow' }],
      effect: 'allow',
    });
    const all = pdp.log.raw.join('');
    expect(all).not.toContain('alice');
    expect(all).not.toContain('room-9');
    expect(all).not.toContain('members-may-chat');
  });

  test("a decision line's subject is the id itself: a path into it (subject.id) censors the whole field, failing closed", async () => {
    pdp = await startTestPdp({ logRedact: ['subject.id', 'action.name'] });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    expect(pdp.log.lines.find((l) => l.decisionId === body.decisionId)).toMatchObject({ subject: '[redacted]', action: '[redacted]', resource: { type: 'chat', id: 'room-9' } });
    expect(pdp.log.raw.join('')).not.toContain('alice');
  });

  test('a path that names nothing else in a decision line (resource.owner) leaves the rest of the line as it is', async () => {
    pdp = await startTestPdp({ logRedact: ['resource.owner'] });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    expect(pdp.log.lines.find((l) => l.decisionId === body.decisionId)).toMatchObject({ subject: 'alice', resource: { type: 'chat', id: 'room-9' } });
  });

  test('lines look like pino lines (level, time, pid, hostname, name, msg)', async () => {
    pdp = await startTestPdp();
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    const line = pdp.log.lines.find((l) => l.decisionId === body.decisionId) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, pid: process.pid, name: 'pdp', kind: 'decision', msg: 'decision', api: 'decide' });
    expect(Math.abs((line.time as number) - Date.now())).toBeLessThan(5000);
    expect(typeof line.hostname).toBe('string');
  });

  test('decisionLog off (PDP_DECISION_LOG=off): decisions are made, no decision lines', async () => {
    pdp = await startTestPdp({ decisionLog: false });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    expect(body.allow).toBe(true);
    expect(pdp.log.lines.filter((l) => l.msg === 'decision')).toEqual([]);
    expect(pdp.log.lines.some((l) => l.msg === 'policies loaded')).toBe(true);
  });

  test('a log level above info silences decision lines as it silences other info lines', async () => {
    pdp = await startTestPdp({ logLevel: 'warn' });
    await post(pdp.url, '/v1/decide', chatRead);
    expect(pdp.log.lines.filter((l) => l.msg === 'decision')).toEqual([]);
  });
});

/** The decision line of a response's decisionId. */
const lineOf = (p: TestPdp, decisionId: string): Record<string, any> => {
  const line = p.log.lines.find((l) => l.decisionId === decisionId);
  expect(line, `no decision line for ${decisionId}`).toBeDefined();
  return line as Record<string, any>;
};

describe('decision log input (PDP_DECISION_LOG_INPUT)', () => {
  const full = {
    subject: { id: 'alice', groups: ['oracle-ai-users'], claims: { email: 'alice@example.com', account_status: 'active' } },
    resource: { type: 'chat', id: 'room-9', attributes: { ssn: '078-05-1120', topic: 'x' } },
    action: 'read',
    actionProperties: { mode: 'fast' },
    context: { ip: '10.0.0.1' },
  };

  test('on by default: the line carries the request as a /v1/decide body that decides the same again', async () => {
    pdp = await startTestPdp();
    const { body } = await post(pdp.url, '/v1/decide', { ...full, explain: true });
    const { input } = lineOf(pdp, body.decisionId);
    expect(input).toEqual(full);
    expect(checkRequest(input)).toEqual([]);
    // Replayed through the engine against the same directory, it gives the same decision.
    const loaded = await loadPolicies(pdp.dir);
    if (!loaded.ok) throw new Error('policies do not load');
    const again = engineDecide(compile(loaded.policySet), input);
    expect({ allow: again.allow, reasons: again.reasons }).toEqual({ allow: body.allow, reasons: body.reasons });
  });

  test('a request without actionProperties or context has none in its input', async () => {
    pdp = await startTestPdp();
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    expect(lineOf(pdp, body.decisionId).input).toEqual(chatRead);
  });

  test('batch items each carry their own item with the shared subject', async () => {
    pdp = await startTestPdp();
    const items = [
      { resource: { type: 'chat', id: 'a' }, action: 'read' },
      { resource: { type: 'admin', id: 'b' }, action: 'write', context: { n: 1 } },
    ];
    const { body } = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items });
    expect(body.results).toHaveLength(2);
    body.results.forEach((r: { decisionId: string }, i: number) => {
      expect(lineOf(pdp as TestPdp, r.decisionId).input).toEqual({ subject: ALICE, ...items[i] });
    });
  });

  test('an AuthZEN evaluation is logged in the /v1/decide shape', async () => {
    pdp = await startTestPdp();
    const { body } = await post(pdp.url, '/access/v1/evaluation', {
      subject: { type: 'user', id: 'alice', properties: { groups: ['oracle-ai-users'], email: 'a@example.com' } },
      resource: { type: 'chat', id: 'room-1', properties: { topic: 't' } },
      action: { name: 'read', properties: { p: 1 } },
      context: { c: true },
    });
    const { input } = lineOf(pdp, body.context.decisionId);
    expect(input).toEqual({
      subject: { type: 'user', id: 'alice', groups: ['oracle-ai-users'], claims: { groups: ['oracle-ai-users'], email: 'a@example.com' } },
      resource: { type: 'chat', id: 'room-1', attributes: { topic: 't' } },
      action: 'read',
      actionProperties: { p: 1 },
      context: { c: true },
    });
    expect(checkRequest(input)).toEqual([]);
  });

  test('PDP_LOG_REDACT paths censor the same fields under input; a censored value never reaches the output', async () => {
    pdp = await startTestPdp({ logRedact: ['subject.claims.email', 'resource.attributes.ssn', 'context.ip'] });
    const { body } = await post(pdp.url, '/v1/decide', full);
    const line = lineOf(pdp, body.decisionId);
    expect(line.input.subject.claims).toEqual({ email: '[redacted]', account_status: 'active' });
    expect(line.input.resource.attributes).toEqual({ ssn: '[redacted]', topic: 'x' });
    expect(line.input.context).toEqual({ ip: '[redacted]' });
    const all = pdp.log.raw.join('');
    expect(all).toContain('"topic":"x"');
    for (const secret of ['alice@example.com', '078-05-1120', '10.0.0.1']) expect(all).not.toContain(secret);
  });

  test('a path into the action name censors the input action too', async () => {
    pdp = await startTestPdp({ logRedact: ['action.name', 'subject'] });
    const { body } = await post(pdp.url, '/v1/decide', chatRead);
    expect(lineOf(pdp, body.decisionId)).toMatchObject({ action: '[redacted]', subject: '[redacted]', input: { action: '[redacted]', subject: '[redacted]' } });
    expect(pdp.log.raw.join('')).not.toContain('alice');
  });

  test('off: no input in the line', async () => {
    pdp = await startTestPdp({ decisionLogInput: false });
    const { body } = await post(pdp.url, '/v1/decide', full);
    const line = lineOf(pdp, body.decisionId);
    expect(line).not.toHaveProperty('input');
    expect(pdp.log.raw.join('')).not.toContain('alice@example.com');
  });

  test('token mode: the input holds the verified subject, never the token; a refused token has no input', async () => {
    const issuer = await startIssuer();
    try {
      const key = await makeKey('k1');
      issuer.published = [key];
      pdp = await startTestPdp({ jwt: { issuer: issuer.issuer, audience: issuer.audience } });
      const token = await issuer.sign(key, { sub: 'alice', groups: ['oracle-ai-users'], email: 'alice@example.com' });
      const { body } = await post(pdp.url, '/v1/decide', { token, resource: { type: 'chat' }, action: 'read' });
      expect(body.allow).toBe(true);
      const { input } = lineOf(pdp, body.decisionId);
      expect(input.subject).toMatchObject({ id: 'alice', groups: ['oracle-ai-users'], claims: { sub: 'alice', email: 'alice@example.com' } });
      expect(input).not.toHaveProperty('token');
      expect(checkRequest(input)).toEqual([]);
      const refused = await post(pdp.url, '/v1/decide', { token: `${token}x`, resource: { type: 'chat' }, action: 'read' });
      expect(refused.body.allow).toBe(false);
      expect(lineOf(pdp, refused.body.decisionId)).not.toHaveProperty('input');
      const all = pdp.log.raw.join('');
      expect(all).not.toContain(token);
    } finally {
      await issuer.close();
    }
  });
});

describe('decision lines without redaction paths', () => {
  test('are the very line pino writes for the same entry (built by hand on the hot path)', async () => {
    const { createDecisionLog, createLogger } = await import('../src/observability/log.js');
    const capture = (): { lines: string[]; write(s: string): void } => ({ lines: [], write(s) { this.lines.push(s); } });
    const direct = capture();
    const viaPino = capture();
    // A path naming nothing in a decision line keeps pino's own serialisation in use.
    const plain = createDecisionLog({ logger: createLogger({ level: 'info', destination: direct }).logger, enabled: true });
    const pinoLog = createDecisionLog({ logger: createLogger({ level: 'info', destination: viaPino, redact: ['nothing.here'] }).logger, enabled: true });
    const reasons = [Object.freeze({ policy: 'chat', rule: 'r', effect: 'allow' as const }), { policy: 'p', rule: 'q', effect: 'deny' as const, code: 'c', message: 'm "quoted"\n' }];
    const entries = [
      { decisionId: 'abc.1', revision: 'sha256:00', subject: 'al"ice\u2028\\', resource: { type: 'chat', id: 'r\\1' }, action: 'read\t', effect: 'allow' as const, reasons, latencyUs: 12, tokenError: undefined, api: 'decide', schemaErrors: undefined, requestId: 'req-1', input: { subject: { id: 'al"ice', claims: { n: 1.5, deep: [null, true] } }, resource: { type: 'chat' }, action: 'read', actionProperties: undefined, context: { x: 'y' } } },
      { decisionId: 'abc.2', revision: 'sha256:00', subject: undefined, resource: { type: 'chat', id: undefined }, action: 'x'.repeat(120), effect: 'deny' as const, reasons: [], latencyUs: 0, tokenError: 'token_expired', api: 'batch', schemaErrors: [{ pointer: '/subject/claims/x', detail: 'must be string' }], requestId: 'req-2', input: undefined },
    ];
    for (const e of entries) {
      plain.write(e);
      pinoLog.write(e);
    }
    // The built lines of one turn are handed over together at its end.
    expect(direct.lines).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    const withoutTime = (line: string): string => line.replace(/"time":\d+/, '"time":0');
    expect(direct.lines).toHaveLength(1);
    expect(direct.lines.join('').split(/(?<=\n)/).map(withoutTime)).toEqual(viaPino.lines.map(withoutTime));
    expect(viaPino.lines).toHaveLength(2);
  });
});
