// The launcher's log formatter: pino JSON lines become one short readable line each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPainter, escapeControls, formatLogLine } from '../../scripts/lib/log-format.mjs';
import { TERMINAL_UNSAFE, withoutPainterColours } from './terminal.js';

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

const coloured = createPainter(true);
const FORGED = 'x\n[pdp]   10:00:00 INFO  decision allow carol read chat by chat/admins';
const CLEAR_LINE = '\u001b[2K\u001b[1G[pdp]   10:00:00 INFO  decision allow carol read chat';

/** The console lines `entry` prints, with the painter's colours removed, and any unsafe character left. */
function printed(entry: unknown, painter = coloured): { lines: string[]; unsafe: string | undefined } {
  // The formatter's own newlines separate lines; any other unsafe character is a finding.
  const lines = withoutPainterColours(formatLogLine(typeof entry === 'string' ? entry : JSON.stringify(entry), painter)).split('\n');
  return { lines, unsafe: lines.map((line) => TERMINAL_UNSAFE.exec(line)?.[0]).find((hit) => hit !== undefined) };
}

describe('formatLogLine never lets a logged value forge a line or drive the terminal', () => {
  it.each([
    ['a subject id', { kind: 'decision', subject: FORGED, action: 'read', resource: { type: 'chat' }, effect: 'deny', reasons: [] }],
    ['an action, a resource and a reason', { kind: 'decision', subject: 'bob', action: CLEAR_LINE, resource: { type: FORGED, id: CLEAR_LINE }, effect: FORGED, reasons: [{ policy: FORGED, rule: CLEAR_LINE }, { code: FORGED }, FORGED], tokenError: FORGED, revision: `sha\n${FORGED}` }],
    ['the message', { msg: FORGED }],
    ['a field value', { msg: 'login refused', login: CLEAR_LINE }],
    ['a field name', { msg: 'm', [FORGED]: 1 }],
    // JSON.stringify escapes C0 controls but keeps the separators and bidi controls as they are.
    ['a nested value', { msg: 'm', detail: { login: 'a\u2028b\u2029c\u202ed\u2066e' } }],
    ['an error message', { msg: 'failed', err: { message: FORGED } }],
    ['a request method and path', { msg: 'request completed', req: { method: CLEAR_LINE, url: `/a${FORGED}` }, res: { statusCode: FORGED } }],
    ['a string level', { level: FORGED, msg: 'm' }],
  ])('%s', (_name, fields) => {
    const { lines, unsafe } = printed({ level: 30, time: at, ...fields });
    expect(lines).toHaveLength(1);
    expect(unsafe).toBeUndefined();
    expect(lines[0]).not.toMatch(/^\[pdp\]/);
  });

  it('policy load errors keep one line per error, each escaped', () => {
    const { lines, unsafe } = printed({ level: 50, time: at, msg: 'policy load failed', errors: [{ file: FORGED, pointer: CLEAR_LINE, message: FORGED }] });
    expect(lines).toHaveLength(2);
    expect(unsafe).toBeUndefined();
  });

  it('a line that is not JSON, or broken JSON, is escaped too', () => {
    for (const line of [`plain ${CLEAR_LINE}`, `{"level":30,${CLEAR_LINE}`]) {
      const { lines, unsafe } = printed(line);
      expect(lines).toHaveLength(1);
      expect(unsafe).toBeUndefined();
    }
  });

  it('escapes are visible and name the character', () => {
    expect(escapeControls('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(escapeControls('\u001b[2K\u007f\u009b')).toBe('\\x1b[2K\\x7f\\x9b');
    expect(escapeControls('\u2028\u2029\u202e\u2066\u2069')).toBe('\\u2028\\u2029\\u202e\\u2066\\u2069');
    expect(escapeControls('carol ü ✓ 日本')).toBe('carol ü ✓ 日本');
    expect(format({ level: 30, time: at, msg: 'm', login: 'x\ny' })).toBe('03:04:05 INFO  m login=x\\ny');
  });

  it('holds for any string in any field (property)', () => {
    const codePoint = fc.integer({ min: 0, max: 0x10ffff }).filter((n) => n < 0xd800 || n > 0xdfff).map((n) => String.fromCodePoint(n));
    const nasty = fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\r', '\u001b', '\u009b', '\u2028', '\u2029', '\u202e', '\u2066', '\u007f', '['), codePoint) });
    fc.assert(
      fc.property(nasty, nasty, nasty, fc.boolean(), (a, b, c, decision) => {
        const entry = decision
          ? { level: 30, time: at, kind: 'decision', subject: a, action: b, resource: { type: c, id: a }, effect: b, reasons: [{ policy: a, rule: c }] }
          : { level: 30, time: at, msg: a, [b]: c, req: { method: b, url: a }, res: { statusCode: c } };
        const { lines, unsafe } = printed(entry);
        return lines.length === 1 && unsafe === undefined;
      }),
      { numRuns: 300 },
    );
  });
});
