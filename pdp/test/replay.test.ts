/**
 * `pdp replay`: a decision log recorded from a real PDP serving the demo policies, replayed
 * against edits of them. The log is the PDP's own stdout lines (service lines included); a
 * decision line that does not carry its request yet gets the body that was sent, as `input`.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { PLAIN, type CliIo } from '../src/cli/output.js';
import { compile } from '../src/engine/compile.js';
import { loadPolicies } from '../src/policy/loader.js';
import { REDACTED, replayLog } from '../src/policy/replay.js';
import { ALICE, BOB, CAROL, post, startTestPdp } from './http-helpers.js';

const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));

function capture(stdin = ''): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), style: PLAIN, errStyle: PLAIN, readStdin: async () => stdin };
}

const SUSPENDED = { id: 'dave', groups: ['oracle-ai-users'], claims: { account_status: 'suspended' } };
const REQUESTS = [
  { subject: ALICE, resource: { type: 'chat', id: 'room-1' }, action: 'read' },
  { subject: ALICE, resource: { type: 'chat', id: 'room-1' }, action: 'write' },
  { subject: ALICE, resource: { type: 'chat', id: 'room-2' }, action: 'write' },
  { subject: CAROL, resource: { type: 'chat' }, action: 'write' },
  { subject: BOB, resource: { type: 'chat' }, action: 'read' },
  { subject: SUSPENDED, resource: { type: 'chat' }, action: 'read' },
  { subject: ALICE, resource: { type: 'admin' }, action: 'read' },
  { subject: CAROL, resource: { type: 'admin' }, action: 'read' },
  { subject: BOB, resource: { type: 'analytics' }, action: 'read' },
];

let work: string;
/** The recorded log: service lines and one decision line per request. */
let log: string;
let logFile: string;
let lines: Record<string, unknown>[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pdp-replay-'));
  const served = join(work, 'served');
  await cp(POLICIES, served, { recursive: true });
  const pdp = await startTestPdp({ dir: served });
  const sent = new Map<string, unknown>();
  try {
    for (const body of REQUESTS) {
      const res = await post(pdp.url, '/v1/decide', body);
      expect(res.status).toBe(200);
      sent.set((res.body as { decisionId: string }).decisionId, body);
    }
  } finally {
    await pdp.stop();
  }
  const recorded = pdp.log.raw.join('').split('\n').filter((l) => l.trim() !== '');
  lines = recorded.map((text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    if (line.kind === 'decision' && line.input === undefined) line.input = sent.get(line.decisionId as string);
    return line;
  });
  expect(lines.filter((l) => l.kind === 'decision')).toHaveLength(REQUESTS.length);
  expect(lines.some((l) => l.kind !== 'decision')).toBe(true);
  log = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
  logFile = join(work, 'decisions.log');
  await writeFile(logFile, log);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A copy of the demo policies with `edit` applied to one file's JSON. */
async function candidate(name: string, file: string, edit: (doc: { rules: Record<string, unknown>[] }) => void): Promise<string> {
  const dir = join(work, name);
  await cp(POLICIES, dir, { recursive: true });
  const doc = JSON.parse(await readFile(join(dir, file), 'utf8')) as { rules: Record<string, unknown>[] };
  edit(doc);
  await writeFile(join(dir, file), JSON.stringify(doc, null, 2));
  return dir;
}

describe('pdp replay', () => {
  it('the recorded policies change nothing', async () => {
    const io = capture();
    expect(await main(['replay', '--policies', POLICIES, '--log', logFile], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain(`replayed ${REQUESTS.length} of ${REQUESTS.length} decisions`);
    expect(text).toContain(`unchanged: ${REQUESTS.length}`);
    expect(text).toContain('allow → deny (narrowed): 0');
    expect(text).toContain('deny → allow (widened): 0');
  });

  it('a restricting edit reports only allow → deny, by rule and by request, and exits 0', async () => {
    const dir = await candidate('read-only-chat', 'chat.json', (doc) => {
      (doc.rules[0] as { actions: string[] }).actions = ['read'];
    });
    const io = capture();
    expect(await main(['replay', '--policies', dir, '--log', logFile, '--json'], io)).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as Record<string, any>;
    expect(report.ok).toBe(true);
    expect(report.widened.count).toBe(0);
    expect(report.narrowed.count).toBe(3);
    expect(report.narrowed.byRule).toEqual([{ key: '(no rule applies)', count: 3 }]);
    expect(report.narrowed.byRequest).toEqual([
      { key: 'alice chat write', count: 2 },
      { key: 'carol chat write', count: 1 },
    ]);
    expect(report.narrowed.examples[0]).toMatchObject({
      subject: 'alice',
      resource: 'chat/room-1',
      action: 'write',
      recorded: { effect: 'allow', reasons: ['chat/members-may-chat'] },
      candidate: { effect: 'deny', reasons: [] },
    });
    const line = lines[(report.narrowed.examples[0].line as number) - 1] as { decisionId: string };
    expect(report.narrowed.examples[0].decisionId).toBe(line.decisionId);
    expect(report.unchanged).toBe(REQUESTS.length - 3);
  });

  it('a widening edit exits 1 and names the rule that now allows', async () => {
    const dir = await candidate('users-administer', 'admin.json', (doc) => {
      doc.rules.push({ id: 'users-may-look', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['ai-user'] } } });
    });
    const io = capture();
    expect(await main(['replay', '--policies', dir, '--log', logFile], io)).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toContain('deny → allow (widened): 1');
    expect(text).toMatch(/by deciding rule now:\n\s+admin\/users-may-look\s+1/);
    expect(text).toMatch(/line \d+ \(\S+\): alice admin read\n/);
    expect(text).toContain('recorded:  deny (no rule applies)');
    expect(text).toContain('candidate: allow by admin/users-may-look');
    expect(text).toContain('allow → deny (narrowed): 0');
    expect(io.stderr.join('\n')).toContain('1 decision would change from deny to allow (pass --allow-widening if that is intended)');

    const allowed = capture();
    expect(await main(['replay', '--policies', dir, '--log', logFile, '--allow-widening'], allowed)).toBe(0);
    expect(allowed.stdout.join('\n')).toContain('deny → allow (widened, allowed by --allow-widening): 1');
  });

  it('reads the log from stdin with -', async () => {
    const io = capture(log);
    expect(await main(['replay', '--policies', POLICIES, '--log', '-', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ ok: true, decisions: REQUESTS.length, replayed: REQUESTS.length });
  });

  it('counts lines it cannot replay, and redacted inputs as uncertain, without guessing', async () => {
    const decision = lines.find((l) => l.kind === 'decision') as Record<string, unknown>;
    const input = decision.input as { subject: Record<string, unknown> };
    const variants = [
      { ...decision, input: undefined },
      { ...decision, input: { ...input, subject: { ...input.subject, id: REDACTED } } },
      { ...decision, input: REDACTED },
      { ...decision, input: { ...input, action: '' } },
      { ...decision, input: { ...input, subject: undefined, token: 'x' } },
      { ...decision, tokenError: 'expired' },
      { ...decision, effect: 'maybe' },
      'not json at all',
      { level: 30, msg: 'pdp listening' },
    ].map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    const set = await loadPolicies(POLICIES);
    if (!set.ok) throw new Error('demo policies do not load');
    const report = await replayLog(variants, compile(set.policySet));
    expect(report).toMatchObject({ decisions: 7, replayed: 0, uncertain: { count: 2 } });
    expect(report.notReplayable).toMatchObject({ count: 5, by: { no_input: 1, invalid_input: 2, token_refused: 1, invalid_line: 1 } });
    expect(report.notReplayable.examples.map((e) => e.why)).toEqual([
      'no input recorded',
      expect.stringMatching(/^invalid input: \/action /),
      'invalid input: /token is verified only by the HTTP service (pdp serve); send subject instead',
      'refused at its token (expired); no policy was asked',
      'the line has no effect and reasons',
    ]);
  });

  it('a log without decision lines, or an invalid candidate, exits 2', async () => {
    const service = join(work, 'service.log');
    await writeFile(service, `${lines.filter((l) => l.kind !== 'decision').map((l) => JSON.stringify(l)).join('\n')}\n`);
    let io = capture();
    expect(await main(['replay', '--policies', POLICIES, '--log', service], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain(`no decision lines (kind "decision") in ${service}`);
    io = capture();
    expect(await main(['replay', '--policies', join(work, 'nowhere'), '--log', logFile], io)).toBe(2);
    io = capture();
    expect(await main(['replay', '--policies', POLICIES, '--log', join(work, 'nowhere.log')], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('ENOENT');
    io = capture();
    expect(await main(['replay', '--policies', POLICIES], io)).toBe(2);
  });
});
