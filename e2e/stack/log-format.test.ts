// The launcher's log formatter: pino JSON lines become one short readable line each.
import { describe, expect, it } from 'vitest';
import { createPainter, formatLogLine } from '../../scripts/lib/log-format.mjs';

const plain = createPainter(false);
const at = Date.UTC(2026, 0, 2, 3, 4, 5);
const format = (entry: unknown): string => formatLogLine(typeof entry === 'string' ? entry : JSON.stringify(entry), plain);

describe('formatLogLine', () => {
  it.each([
    ['pino bookkeeping is dropped, fields stay', { level: 30, time: at, pid: 1, hostname: 'h', name: 'pdp', msg: 'pdp listening', url: 'http://127.0.0.1:8181' }, '03:04:05 INFO  pdp listening url=http://127.0.0.1:8181'],
    ['levels are named', { level: 40, time: at, msg: 'careful' }, '03:04:05 WARN  careful'],
    ['errors show their message, not the stack', { level: 50, time: at, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'at x' } }, '03:04:05 ERROR failed err=boom'],
    ['request logs read as method, path and status', { level: 30, time: at, msg: 'request completed', req: { method: 'GET', url: '/readyz' }, res: { statusCode: 200 }, responseTime: 3 }, '03:04:05 INFO  request completed GET /readyz -> 200 responseTime=3'],
    [
      'a decision says who, what, the outcome, why and the revision',
      { level: 30, time: at, kind: 'decision', msg: 'decision', decisionId: 'd1', revision: 'sha256:0123456789abcdef', subject: 'alice', resource: { type: 'chat' }, action: 'read', effect: 'allow', reasons: [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }], latencyUs: 12, api: 'decide' },
      '03:04:05 INFO  decision allow alice read chat by chat/members-may-chat revision=sha256:0123456789ab 12µs',
    ],
    [
      'a denial without a matching rule is the default deny',
      { level: 30, time: at, kind: 'decision', msg: 'decision', revision: 'sha256:01', subject: 'bob', resource: { type: 'chat', id: 'r1' }, action: 'read', effect: 'deny', reasons: [], latencyUs: 5 },
      '03:04:05 INFO  decision deny bob read chat/r1 (default deny) revision=sha256:01 5µs',
    ],
    [
      'policy load errors get a line each, as pdp check prints them',
      { level: 50, time: at, msg: 'policy load failed', errors: [{ file: 'chat.json', pointer: '/rules/0/effect', message: 'must be allow or deny' }, { file: 'x.json', pointer: '', message: 'invalid JSON' }] },
      '03:04:05 ERROR policy load failed\n  chat.json:/rules/0/effect: must be allow or deny\n  x.json: invalid JSON',
    ],
    ['long values are cut', { level: 30, time: at, msg: 'm', blob: 'x'.repeat(400) }, `03:04:05 INFO  m blob=${'x'.repeat(159)}…`],
    ['a line that is not JSON passes through', 'oidc-provider WARNING: Unsupported runtime', 'oidc-provider WARNING: Unsupported runtime'],
    ['JSON without a pino level passes through', '{"hello":"world"}', '{"hello":"world"}'],
    ['broken JSON passes through', '{"level":30,', '{"level":30,'],
  ])('%s', (_name, entry, expected) => {
    expect(format(entry)).toBe(expected);
  });

  it('colours only when asked to', () => {
    const coloured = formatLogLine(JSON.stringify({ level: 50, time: at, msg: 'x' }), createPainter(true));
    expect(coloured).toContain('\x1b[31m');
    expect(format({ level: 50, time: at, msg: 'x' })).not.toContain('\x1b[');
  });
});
