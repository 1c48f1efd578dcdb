/**
 * Shared by the HTTP, token, reload and serve tests: temporary policy directories, a PDP on an
 * ephemeral loopback port, JSON requests, and a captured log.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPdpServer, type PdpServer, type StartPdpServerOptions } from '../src/runtime/server.js';

export const CHAT_POLICY = {
  id: 'chat',
  description: 'Chat for AI users; never for suspended accounts.',
  resource: 'chat',
  rules: [
    { id: 'members-may-chat', effect: 'allow', actions: ['read', 'write'], subject: { roles: { anyOf: ['ai-user'] } } },
    { id: 'no-suspended', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'subject.claims.account_status' }, 'suspended'] } },
  ],
};

export const ADMIN_POLICY = {
  id: 'admin',
  resource: 'admin',
  rules: [{ id: 'admins-only', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['oracle-ai-admins'] } } }],
};

export const ROLES = {
  roles: {
    'ai-user': { fromGroups: ['oracle-ai-users'] },
    'ai-admin': { fromGroups: ['oracle-ai-admins'], inherits: ['ai-user'] },
  },
};

/** A fresh policy directory (chat, admin, roles) under the OS temp dir. */
export async function makePolicyDir(files: Record<string, unknown> = { 'chat.json': CHAT_POLICY, 'admin.json': ADMIN_POLICY, 'roles.json': ROLES }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pdp-test-'));
  await mkdir(path.join(dir, 'tests'));
  for (const [name, content] of Object.entries(files)) await writeJson(dir, name, content);
  return dir;
}

export async function writeJson(dir: string, name: string, content: unknown): Promise<void> {
  await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Lines written by the PDP's logger, parsed. */
export interface CapturedLog {
  lines: Record<string, unknown>[];
  raw: string[];
  write(chunk: string): boolean;
}

export function captureLog(): CapturedLog {
  const log: CapturedLog = {
    lines: [],
    raw: [],
    write(chunk) {
      log.raw.push(chunk);
      for (const line of chunk.split('\n')) if (line.trim()) log.lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  };
  return log;
}

export interface TestPdp extends PdpServer {
  dir: string;
  log: CapturedLog;
  /** Closes the server and removes the policy directory. */
  stop(): Promise<void>;
}

/** A PDP on 127.0.0.1:0 over a fresh policy directory; logs captured, not printed. */
export async function startTestPdp(options: Partial<StartPdpServerOptions> & { dir?: string } = {}): Promise<TestPdp> {
  const dir = options.dir ?? (await makePolicyDir());
  const log = captureLog();
  const server = await startPdpServer({ host: '127.0.0.1', port: 0, logLevel: 'info', logDestination: log, ...options, policiesDir: dir });
  return {
    ...server,
    dir,
    log,
    async stop() {
      await server.close();
      if (options.dir === undefined) await removeDir(dir);
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** POSTs JSON (or a raw string) and parses the answer. */
export async function post(base: string, urlPath: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const res = await fetch(base + urlPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return toJson(res);
}

export async function get(base: string, urlPath: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
  return toJson(await fetch(base + urlPath, { headers }));
}

async function toJson(res: Response): Promise<JsonResponse> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export const ALICE = { id: 'alice', groups: ['oracle-ai-users'] };
export const BOB = { id: 'bob', groups: [] as string[] };
export const CAROL = { id: 'carol', groups: ['oracle-ai-admins'] };

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => Promise<boolean>, ms = 1000, stepMs = 20): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
