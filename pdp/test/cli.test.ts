/**
 * The built CLI, spawned as a user runs it (`node bin/pdp.js …`; build first with
 * `npm run build -w pdp`): exit codes, output format, no colour when not on a TTY.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PDP = fileURLToPath(new URL('../bin/pdp.js', import.meta.url));
const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const BAD = fileURLToPath(new URL('./bad-policies/every-file-reported/policies', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function pdp(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [PDP, ...args], { timeout: 15_000, env: { ...process.env, NO_COLOR: '' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

const alice = { subject: { id: 'alice', groups: ['oracle-ai-users'] }, resource: { type: 'chat' }, action: 'read' };

let work: string;
beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
    throw new Error('pdp is not built: run `npm run build -w pdp` first');
  }
  work = await mkdtemp(join(tmpdir(), 'pdp-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function copyOfPolicies(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(POLICIES, dir, { recursive: true });
  return dir;
}

describe('pdp (usage)', () => {
  it.each([[['--help']], [['test', '--help']], [['eval', '-h']]])('prints help with %j and exits 0', async (args) => {
    const r = await pdp(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pdp <command>');
  });
  it.each([[[]], [['frobnicate']], [['check']], [['check', '--nope', 'x']], [['eval', '--policies', 'x']], [['test', 'a', 'b']]])(
    'exits 2 with help for a usage error: %j',
    async (args) => {
      const r = await pdp(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage: pdp <command>');
      expect(r.stdout).toBe('');
    },
  );
  it('prints no colour when not on a TTY', async () => {
    const r = await pdp(['test', POLICIES]);
    expect(r.stdout).not.toContain('\u001b[');
  });
});

describe('pdp check', () => {
  it('exits 0 for the demo policies and names the revision', async () => {
    const r = await pdp(['check', POLICIES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 4 policies, 10 rules, 2 roles; revision sha256:[0-9a-f]{64}\n$/);
  });
  it('exits 1 with one FILE:JSON-POINTER: message line per error', async () => {
    const r = await pdp(['check', BAD]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^a\.json:: invalid JSON: .*\(line \d+, column \d+\)$/);
    expect(lines[1]).toBe('b.json:/rules/0/effect: must be one of "allow", "deny"');
    expect(lines[2]).toBe('c.json:/extra: is not a known property');
  });
  it('exits 1 for a deny rule whose var path is misspelt (it would never apply), naming the path it meant', async () => {
    const r = await pdp(['check', fileURLToPath(new URL('./bad-policies/var-path-typo-attributes/policies', import.meta.url))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('chat.json:/rules/0/when/==/0/var: var path "resource.atributes.status": resource has no "atributes"; did you mean "resource.attributes"?\n');
  });
  it('exits 1 when a policy reads a claim the demo schema.json does not declare', async () => {
    const dir = join(work, 'with-schema');
    await cp(POLICIES, dir, { recursive: true });
    const chat = join(dir, 'chat.json');
    await writeFile(chat, (await readFile(chat, 'utf8')).replace('subject.claims.account_status', 'subject.claims.acount_status'));
    const r = await pdp(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('did you mean "subject.claims.account_status"?');
  });
  it('names a missing directory rather than printing a bare "."', async () => {
    const missing = join(tmpdir(), 'pdp-no-such-dir-for-check');
    const r = await pdp(['check', missing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${missing}:: no such directory\n`);
  });
  it('--json gives the errors as data', async () => {
    const r = await pdp(['check', '--json', BAD]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, errors: [{ file: 'a.json', pointer: '' }, { file: 'b.json' }, { file: 'c.json' }] });
  });
});

describe('pdp test', () => {
  it('passes the demo policies with full rule coverage', async () => {
    const r = await pdp(['test', POLICIES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\b(\d+) passed, 0 failed, \1 cases/);
    expect(r.stdout).toContain('rule coverage: 10/10 (100%)');
  });

  it('exits 1 on a failing case, printing expected vs actual, the trace and the rules no case exercised', async () => {
    const dir = await copyOfPolicies('failing');
    await rm(join(dir, 'tests'), { recursive: true });
    await cp(join(POLICIES, 'tests', 'chat.json'), join(dir, 'tests', 'chat.json'));
    await writeFile(
      join(dir, 'tests', 'wrong.json'),
      JSON.stringify({ cases: [{ name: 'bob is wrongly expected to chat', input: { subject: { id: 'bob', groups: [] }, resource: { type: 'chat' }, action: 'read' }, expect: { allow: true, reasons: ['chat/members-may-chat'] } }] }),
    );
    const r = await pdp(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ bob is wrongly expected to chat');
    expect(r.stdout).toContain('allow: expected true, got false');
    expect(r.stdout).toContain('reasons: expected [chat/members-may-chat], got []');
    expect(r.stdout).toContain('decision: deny (no rule allows this request (default deny))');
    expect(r.stdout).toMatch(/chat\/members-may-chat\s+allow\s+actions ✓\s+subject ✗\s+when –\s+not applied/);
    expect(r.stdout).toMatch(/rule coverage: 2\/10 \(20%\)/);
    expect(r.stdout).toMatch(/rules no case exercised:\n\s+admin\/admins-only\n\s+analytics\/signed-in-users-may-read/);
  });

  it('does not pass a case whose expected deny came from an evaluation error (regression)', async () => {
    const dir = await copyOfPolicies('eval-error');
    const input = { subject: { id: 'alice', groups: ['oracle-ai-users'], claims: { account_status: { toString: 1 } } }, resource: { type: 'chat' }, action: 'read' };
    await writeFile(
      join(dir, 'tests', 'error.json'),
      JSON.stringify({
        cases: [
          // The claim is not the string schema.json declares, on purpose: the cases say so.
          { name: 'looks like a suspension', input, expect: { allow: false, reasons: ['chat/no-chat-from-suspended-accounts'], schemaErrors: ['/subject/claims/account_status'] } },
          { name: 'is an evaluation error', input, expect: { allow: false, reasons: ['chat/no-chat-from-suspended-accounts'], codes: ['evaluation_error'], schemaErrors: ['/subject/claims/account_status'] } },
        ],
      }),
    );
    const r = await pdp(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ looks like a suspension');
    expect(r.stdout).toContain('codes: expected none, got [evaluation_error]');
    expect(r.stdout).toContain('✓ is an evaluation error');
    expect(r.stdout).toMatch(/1 failed/);
  });

  it('--json reports cases, failures and coverage as data', async () => {
    const dir = await copyOfPolicies('json');
    await writeFile(
      join(dir, 'tests', 'wrong.json'),
      JSON.stringify({ cases: [{ name: 'wrong', input: alice, expect: { allow: false } }] }),
    );
    const r = await pdp(['test', '--json', dir]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: false, failed: 1, coverage: { rules: 10, exercised: 10, percent: 100, unexercised: [] } });
    expect(report.cases.find((c: { name: string }) => c.name === 'wrong')).toMatchObject({ pass: false, actual: { allow: true, explain: { roles: ['ai-user'] } } });
  });

  it('exits with its own code, quietly, when the reader closes the pipe early (regression: EPIPE crash)', async () => {
    const dir = await copyOfPolicies('epipe');
    const cases = Array.from({ length: 3000 }, (_, i) => ({ name: `bob ${i}`, input: { subject: { id: 'bob', groups: [] }, resource: { type: 'chat' }, action: 'read' }, expect: { allow: false } }));
    await writeFile(join(dir, 'tests', 'many.json'), JSON.stringify({ cases }));
    const child = spawn(process.execPath, [PDP, 'test', '--json', dir], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 2 when the policies are invalid', async () => {
    const r = await pdp(['test', BAD]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('b.json:/rules/0/effect: must be one of');
  });

  it('exits 2 for an invalid test file, naming file and pointer', async () => {
    const dir = await copyOfPolicies('bad-tests');
    await writeFile(
      join(dir, 'tests', 'bad.json'),
      JSON.stringify({
        cases: [
          { name: 'x', input: alice, expect: { allow: true, reasons: ['chat/no-such-rule'] } },
          { name: 'y', input: { ...alice, extra: 1 }, expect: { allow: true } },
          { name: 'z', input: { token: 'a.b.c', resource: alice.resource, action: alice.action }, expect: { allow: false } },
          // The request contract of POST /v1/decide: subject.roles is accepted (and grants nothing).
          { name: 'w', input: { ...alice, subject: { ...alice.subject, roles: ['ai-admin'] } }, expect: { allow: true } },
        ],
      }),
    );
    const r = await pdp(['test', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('tests/bad.json:/cases/0/expect/reasons/0: no rule "chat/no-such-rule" in the policy set');
    expect(r.stdout).toContain('tests/bad.json:/cases/1/input/extra: is not a known property');
    expect(r.stdout).toContain('tests/bad.json:/cases/2/input/token: is verified only by the HTTP service (pdp serve); send subject instead');
    expect(r.stdout).not.toContain('/cases/3/');
  });

  it('exits 2 when there is no test to run', async () => {
    const dir = await copyOfPolicies('no-tests');
    await rm(join(dir, 'tests'), { recursive: true });
    const r = await pdp(['test', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('no test files');
  });
});

describe('pdp eval', () => {
  it('decides a request from a file, with the revision', async () => {
    const input = join(work, 'alice.json');
    await writeFile(input, JSON.stringify(alice));
    const r = await pdp(['eval', '--policies', POLICIES, '--input', input]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      allow: true,
      effect: 'allow',
      reasons: [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }],
      revision: expect.stringMatching(/^sha256:/),
    });
  });
  it('reads stdin with --input - and explains with --explain', async () => {
    const r = await pdp(['eval', '--policies', POLICIES, '--input', '-', '--explain'], JSON.stringify({ ...alice, subject: { id: 'bob', groups: [] } }));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      allow: false,
      reasons: [{ policy: '', rule: '', code: 'default_deny' }],
      explain: {
        roles: [],
        rules: [{ rule: 'members-may-chat', subjectMatched: false }, { rule: 'no-chat-from-suspended-accounts', whenResult: false }],
        wouldAllow: [{ policy: 'chat', rule: 'members-may-chat', groups: ['oracle-ai-users'], roles: [] }],
      },
    });
    expect(r.stderr).toContain('would allow with groups: oracle-ai-users (chat/members-may-chat)');
  });
  it('accepts "explain": true in the input, as the HTTP API does', async () => {
    const r = await pdp(['eval', '--policies', POLICIES, '--input', '-'], JSON.stringify({ ...alice, explain: true }));
    expect(JSON.parse(r.stdout).explain.roles).toEqual(['ai-user']);
  });
  it('exits 1 for an input that is not a decision request, with pointers', async () => {
    const r = await pdp(['eval', '--policies', POLICIES, '--input', '-'], JSON.stringify({ subject: { id: 1 }, resource: {}, action: 'read' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('<stdin>:/subject/id: must be a string');
    expect(r.stderr).toContain('<stdin>:/resource/type: is required');
  });
  it('exits 1 for invalid policies', async () => {
    const r = await pdp(['eval', '--policies', BAD, '--input', '-'], JSON.stringify(alice));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('c.json:/extra');
  });
});

describe('pdp test --min-coverage and coverage per policy', () => {
  async function withoutAnalyticsTests(name: string): Promise<string> {
    const dir = await copyOfPolicies(name);
    await rm(join(dir, 'tests', 'analytics.json'));
    // Three small policies keep the figures readable: the documents policy and its tests go too.
    await rm(join(dir, 'documents.json'));
    await rm(join(dir, 'tests', 'documents.json'));
    return dir;
  }

  it('prints coverage per policy, and exits 1 below the minimum, saying the figure', async () => {
    const dir = await withoutAnalyticsTests('coverage');
    const r = await pdp(['test', dir, '--min-coverage', '80']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rule coverage: 3\/4 \(75%\)\n\s+admin\s+1\/1 \(100%\)\n\s+analytics\s+0\/1 \(0%\)\n\s+chat\s+2\/2 \(100%\)\n/);
    expect(r.stdout).toContain('0 failed');
    expect(r.stderr).toContain('rule coverage 75% is below the minimum of 80%');
  });

  it('passes at or above the minimum; --json carries the minimum and the figures per policy', async () => {
    const dir = await withoutAnalyticsTests('coverage-json');
    expect((await pdp(['test', dir, '--min-coverage', '75%'])).code).toBe(0);
    const r = await pdp(['test', dir, '--json', '--min-coverage', '75.1']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: false, failed: 0, minCoverage: 75.1, coverage: { percent: 75 } });
    expect(report.coverage.byPolicy).toEqual([
      { policy: 'admin', rules: 1, exercised: 1, percent: 100, unexercised: [] },
      { policy: 'analytics', rules: 1, exercised: 0, percent: 0, unexercised: ['analytics/signed-in-users-may-read'] },
      { policy: 'chat', rules: 2, exercised: 2, percent: 100, unexercised: [] },
    ]);
  });

  it.each([['abc'], ['101'], ['-1'], ['']])('refuses --min-coverage %j as a usage error', async (value) => {
    const r = await pdp(['test', POLICIES, `--min-coverage=${value}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--min-coverage must be a percentage from 0 to 100');
  });
});

describe('pdp test --watch', () => {
  it('runs again when a test file changes, and stops on SIGINT with the last run’s exit code', async () => {
    const dir = await copyOfPolicies('watch');
    const child = spawn(process.execPath, [PDP, 'test', dir, '--watch'], { env: { ...process.env, NO_COLOR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (check: () => boolean, what: string): Promise<void> => {
      for (let waited = 0; !check(); waited += 25) {
        if (waited > 10_000) throw new Error(`timed out waiting for ${what}; stdout: ${stdout}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await until(() => stderr.includes('watching'), 'the first run');
      expect(stdout).toMatch(/\d+ passed, 0 failed/);
      // Several writes in a burst: debounced into one run.
      const wrong = { cases: [{ name: 'wrong', input: alice, expect: { allow: false } }] };
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'tests', 'wrong.json'), JSON.stringify(wrong));
      await until(() => stdout.includes('1 failed'), 'the run after the change');
      await new Promise((r) => setTimeout(r, 600));
      expect(stderr.match(/running again/g)).toHaveLength(1);
      child.kill('SIGINT');
      expect(await exited).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('pdp fmt and pdp replay (built)', () => {
  it.each([[['fmt', '--help']], [['replay', '-h']]])('prints help with %j', async (args) => {
    const r = await pdp(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fmt DIR|FILE... [--check]');
    expect(r.stdout).toContain('replay --policies DIR --log FILE|-');
  });
  it('fmt --check passes the demo policies', async () => {
    const r = await pdp(['fmt', '--check', POLICIES]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('the package outside this repository', () => {
  const REPO = fileURLToPath(new URL('../../', import.meta.url));
  const run = (command: string, args: string[], cwd: string): Promise<Run> =>
    new Promise((resolve) => {
      execFile(command, args, { cwd, timeout: 120_000, env: { ...process.env, NO_COLOR: '' } }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });

  it('npm pack, install the tarballs in another directory, and `npx @oracle-ai/pdp test policies` works there, $schema paths included', async () => {
    const project = join(work, 'policy-repo');
    const packs = join(work, 'packs');
    await cp(POLICIES, join(project, 'policies'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'policy-repo', private: true }));
    await mkdir(packs);
    // The contract is a package of its own: its tarball is installed beside pdp's.
    const packed = await run('npm', ['pack', '-w', 'contract', '-w', 'pdp', '--pack-destination', packs, '--json'], REPO);
    expect(packed.code, packed.stderr).toBe(0);
    const tarballs = (JSON.parse(packed.stdout) as { filename: string }[]).map((p) => join(packs, p.filename));
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], project);
    expect(installed.code, installed.stderr).toBe(0);

    // The documented $schema form for a policy repository: a path into the installed package.
    const files = (await readdir(join(project, 'policies'), { recursive: true })).filter((f) => f.endsWith('.json')).map((f) => join(project, 'policies', f));
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const rewritten = text.replace(/"\$schema": "(?:\.\.\/)+pdp\/schemas\/([a-z-]+\.schema\.json)"/, (_m, name: string) => {
        const up = file.includes(`${join('policies', 'tests')}`) ? '../../' : '../';
        return `"$schema": "${up}node_modules/@oracle-ai/pdp/schemas/${name}"`;
      });
      await writeFile(file, rewritten);
      const schema = /"\$schema": "([^"]+)"/.exec(rewritten)?.[1];
      if (schema === undefined) continue;
      expect(schema).toContain('node_modules/@oracle-ai/pdp/schemas/');
      expect(existsSync(join(file, '..', schema)), `${file}: ${schema}`).toBe(true);
    }
    const tested = await run('npx', ['--offline', '@oracle-ai/pdp', 'test', 'policies', '--min-coverage', '100'], project);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toContain('rule coverage: 10/10 (100%)');
    const checked = await run('npx', ['--offline', 'pdp', 'check', 'policies'], project);
    expect(checked.code, checked.stderr).toBe(0);
    expect((await run('npx', ['--offline', 'pdp', 'fmt', '--check', 'policies'], project)).code).toBe(0);
  }, 180_000);
});
