/** The decision log: one line per decision, configurable redaction, and PDP_DECISION_LOG=off. */
import { afterEach, describe, expect, test } from 'vitest';
import { ALICE, post, startTestPdp, type TestPdp } from './http-helpers.js';

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
