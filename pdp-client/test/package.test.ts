/**
 * The published form of the client: `npm pack` of the contract and pdp-client workspaces, the
 * tarballs installed in a directory outside this repository (so nothing resolves to a workspace),
 * and a script there that imports `@oracle-ai/pdp-client`, asks a real PDP (pdp's startPdpServer
 * on 127.0.0.1, ephemeral port) for a decision and a plan, and translates the plan with planToSql.
 * The tarballs hold the built dist: run the workspace build first (the repository's `npm test`
 * does).
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPdpServer, type PdpServer } from '@oracle-ai/pdp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planToSql } from '../src/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'package-test-token-0123456789abcdef';
/** Owners read their documents, unless archived. */
const OWNERS_READ = {
  id: 'owners-read',
  effect: 'allow',
  actions: ['read'],
  when: { and: [{ '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.id' }] }, { '!': { var: 'resource.attributes.archived' } }] },
};
const DOCS = { id: 'docs', resource: 'document', rules: [OWNERS_READ] };
const COLUMNS = { 'resource.attributes.owner': { column: 'owner', type: 'text' }, 'resource.attributes.archived': { column: 'archived', type: 'boolean' } } as const;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
const run = (command: string, args: string[], cwd: string): Promise<Run> =>
  new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 120_000, env: { ...process.env, NO_COLOR: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });

let work: string;
let pdp: PdpServer;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pdp-client-package-'));
  await mkdir(join(work, 'policies'));
  await writeFile(join(work, 'policies', 'docs.json'), JSON.stringify(DOCS));
  pdp = await startPdpServer({ host: '127.0.0.1', port: 0, policiesDir: join(work, 'policies'), logLevel: 'error', clientTokens: [TOKEN], logDestination: { write: () => true } as never });
});
afterAll(async () => {
  await pdp?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** What the script in the other directory does with the installed package. */
const SCRIPT = `
import { PdpClient, planToSql, planToPredicate, PLAN_OPERATORS } from '@oracle-ai/pdp-client';
const [url, token, columns] = process.argv.slice(2);
const pdp = new PdpClient({ url, clientToken: token });
const subject = { id: 'alice' };
const decision = await pdp.decide({ subject, resource: { type: 'document', attributes: { owner: 'alice' } }, action: 'read' });
const plan = await pdp.plan({ subject, resourceType: 'document', action: 'read' });
const where = planToSql(plan, { columns: JSON.parse(columns) });
const test = planToPredicate(plan);
pdp.close();
console.log(JSON.stringify({ allow: decision.allow, plan, where, mine: test({ attributes: { owner: 'alice' } }), theirs: test({ attributes: { owner: 'bob' } }), operators: Object.isFrozen(PLAN_OPERATORS) && PLAN_OPERATORS.length }));
`;

describe('the package outside this repository', () => {
  it('npm pack contract and pdp-client, install the tarballs elsewhere, import @oracle-ai/pdp-client, decide and planToSql against a real PDP', async () => {
    const project = join(work, 'service');
    const packs = join(work, 'packs');
    await mkdir(project);
    await mkdir(packs);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'service', private: true, type: 'module' }));
    await writeFile(join(project, 'main.js'), SCRIPT);

    const packed = await run('npm', ['pack', '-w', 'contract', '-w', 'pdp-client', '--pack-destination', packs, '--json'], REPO);
    expect(packed.code, packed.stderr).toBe(0);
    const tarballs = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]);
    expect(tarballs.map((t) => t.filename).sort()).toEqual(['oracle-ai-contract-0.1.0.tgz', 'oracle-ai-pdp-client-0.1.0.tgz']);
    for (const t of tarballs) expect(t.files.map((f) => f.path)).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs.map((t) => join(packs, t.filename))], project);
    expect(installed.code, installed.stderr).toBe(0);
    // Installed from the tarballs, not linked to the workspaces.
    for (const name of ['contract', 'pdp-client']) {
      const dir = join(project, 'node_modules', '@oracle-ai', name);
      expect((await lstat(dir)).isSymbolicLink(), name).toBe(false);
      expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).private, name).toBeUndefined();
    }

    const ran = await run(process.execPath, ['main.js', pdp.url, TOKEN, JSON.stringify(COLUMNS)], project);
    expect(ran.code, ran.stderr).toBe(0);
    const out = JSON.parse(ran.stdout) as { allow: boolean; plan: { kind: string }; where: { text: string; values: unknown[] }; mine: boolean; theirs: boolean; operators: number | false };
    expect(out.allow).toBe(true);
    expect(out.plan.kind).toBe('conditional');
    // The installed translator gives what this workspace's gives for the same plan.
    expect(out.where).toEqual(planToSql(out.plan as Parameters<typeof planToSql>[0], { columns: COLUMNS }));
    expect(out.where.values).toContain('alice');
    expect([out.mine, out.theirs]).toEqual([true, false]);
    expect(out.operators).toBeGreaterThan(0);
  }, 180_000);
});
