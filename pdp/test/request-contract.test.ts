/**
 * One request contract, three doors: every case of test/cases/requests.json goes to a real
 * server (POST /v1/decide on 127.0.0.1:0), to the built `pdp eval` (stdin), and to the library's
 * checkRequest, and each must give the case's verdict, pointers and words. A surface may differ
 * only where the case says so and why (HTTP edge limits, token verification).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldError } from '../src/common/errors.js';
import { checkRequest } from '../src/index.js';
import { post, startTestPdp, type TestPdp } from './http-helpers.js';

interface Verdict {
  accepted?: boolean;
  /** For an accepted request: the decision HTTP and pdp eval must both reach. */
  allow?: boolean;
  errors?: FieldError[];
  errorCount?: number;
  firstError?: FieldError;
}
interface HttpVerdict {
  status: number;
  code: string;
  errors?: FieldError[];
}
interface Case {
  name: string;
  body?: unknown;
  text?: string;
  generate?: keyof typeof GENERATORS;
  expect: Verdict;
  http?: HttpVerdict;
  eval?: Verdict;
  library?: Verdict;
  difference?: string;
}

const PDP = fileURLToPath(new URL('../bin/pdp.js', import.meta.url));
const data = JSON.parse(readFileSync(new URL('./cases/requests.json', import.meta.url), 'utf8')) as { cases: Case[] };

const request = (extra: Record<string, unknown>) => ({ subject: { id: 'alice' }, resource: { type: 'chat' }, action: 'read', ...extra });

/** Bodies too large to write into the case file. */
const GENERATORS = {
  'long-subject-id': () => JSON.stringify({ ...request({}), subject: { id: 'a'.repeat(1025) } }),
  // 200 emoji are 200 code points but 400 UTF-16 units: the limit counts units (ajv unicode: false).
  'long-astral-group': () => JSON.stringify({ ...request({}), subject: { id: 'alice', groups: ['😀'.repeat(200)] } }),
  'many-bad-groups': () => JSON.stringify({ ...request({}), subject: { id: 'alice', groups: Array.from({ length: 80 }, (_, i) => i) } }),
  'deep-context': () => {
    let context: unknown = 1;
    for (let i = 0; i < 40; i++) context = { a: context };
    return JSON.stringify(request({ context }));
  },
  'huge-context': () => JSON.stringify(request({ context: { blob: 'x'.repeat(200 * 1024) } })),
} as const;

function textOf(c: Case): string {
  if (c.generate !== undefined) return GENERATORS[c.generate]();
  if (c.text !== undefined) return c.text;
  return JSON.stringify(c.body);
}

interface Outcome {
  accepted: boolean;
  errors: FieldError[];
  allow?: boolean;
  reasons?: unknown;
}

interface HttpOutcome extends Outcome {
  status: number;
  code?: string;
}

function runEval(dir: string, text: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [PDP, 'eval', '--policies', dir, '--input', '-'], { timeout: 20_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      if (code === 0) {
        const out = JSON.parse(stdout) as { allow: boolean; reasons: unknown };
        resolve({ accepted: true, errors: [], allow: out.allow, reasons: out.reasons });
        return;
      }
      if (code !== 1) {
        reject(new Error(`pdp eval exited ${String(code)}: ${stderr}`));
        return;
      }
      // `<stdin>:POINTER: message`, one line per error.
      const errors = stderr
        .trimEnd()
        .split('\n')
        .map((line) => {
          const m = /^<stdin>:(.*?): (.*)$/.exec(line);
          if (m === null) throw new Error(`not a FILE:POINTER: message line: ${line}`);
          return { pointer: m[1] as string, detail: m[2] as string };
        });
      resolve({ accepted: false, errors });
    });
    child.stdin?.end(text);
  });
}

async function runHttp(url: string, text: string): Promise<HttpOutcome> {
  const res = await post(url, '/v1/decide', text);
  if (res.status === 200) return { status: 200, accepted: true, errors: [], allow: res.body.allow, reasons: res.body.reasons };
  return { status: res.status, code: res.body?.code, accepted: false, errors: res.body?.errors ?? [] };
}

function libraryOutcome(text: string): Outcome {
  const errors = checkRequest(JSON.parse(text));
  return { accepted: errors.length === 0, errors };
}

/** The verdict one surface must reach. */
function expectVerdict(actual: Outcome, verdict: Verdict, surface: string): void {
  if (verdict.accepted === true) {
    expect(actual.errors, surface).toEqual([]);
    expect(actual.accepted, surface).toBe(true);
    return;
  }
  expect(actual.accepted, surface).toBe(false);
  if (verdict.errors !== undefined) expect(actual.errors, surface).toEqual(verdict.errors);
  if (verdict.errorCount !== undefined) expect(actual.errors, surface).toHaveLength(verdict.errorCount);
  if (verdict.firstError !== undefined) expect(actual.errors[0], surface).toEqual(verdict.firstError);
}

let pdp: TestPdp;
const evals = new Map<string, Outcome>();

beforeAll(async () => {
  pdp = await startTestPdp();
  // A few at a time: each is a node process, and the machine is shared.
  const queue = [...data.cases];
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) evals.set(c.name, await runEval(pdp.dir, textOf(c)));
  };
  await Promise.all([worker(), worker(), worker()]);
}, 120_000);

afterAll(async () => {
  await pdp?.stop();
});

describe('the request contract is the same over HTTP, in pdp eval and in the library', () => {
  it('has at least 30 cases, with unique names, each difference explained', () => {
    expect(data.cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(data.cases.map((c) => c.name)).size).toBe(data.cases.length);
    for (const c of data.cases) {
      const differs = c.http !== undefined || c.eval !== undefined || c.library !== undefined;
      expect(differs, `${c.name}: a surface of its own needs a difference, and a difference a surface`).toBe(c.difference !== undefined);
    }
  });

  for (const c of data.cases) {
    it(c.name, async () => {
      const text = textOf(c);
      const http = await runHttp(pdp.url, text);
      const evaluated = evals.get(c.name) as Outcome;
      const library = libraryOutcome(text);

      expectVerdict(library, c.library ?? c.expect, 'library');
      expectVerdict(evaluated, c.eval ?? c.expect, 'pdp eval');
      if (c.http !== undefined) {
        expect(http.status, 'http status').toBe(c.http.status);
        expect(http.code, 'http code').toBe(c.http.code);
        if (c.http.errors !== undefined) expect(http.errors, 'http errors').toEqual(c.http.errors);
      } else {
        expect(http.status, `http: ${JSON.stringify(http.errors)}`).toBe(c.expect.accepted === true ? 200 : 400);
        if (c.expect.accepted !== true) expect(http.code).toBe('validation_failed');
        expectVerdict(http, c.expect, 'http');
      }
      // Where both decided, they decided alike.
      if (http.accepted && evaluated.accepted) {
        expect(evaluated.allow).toBe(http.allow);
        expect(evaluated.reasons).toEqual(http.reasons);
        if (c.expect.allow !== undefined) expect(http.allow).toBe(c.expect.allow);
      }
    });
  }
});
