/**
 * Shared by the bundle tests: signing keys on disk, two policy sets whose decisions tell them
 * apart (and tell a mix of them apart too), bundles built with the real `pdp build`, a tiny
 * static bundle server with ETags, and `pdp serve` child processes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/pdp.js', import.meta.url));

export async function tempDir(prefix = 'pdp-bundle-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export interface KeyFiles {
  privatePem: string;
  publicPem: string;
}

/** A key pair as PEM files in `dir`: `ec` (P-256, ES256), `ed25519` (EdDSA) or `rsa` (RS256). */
export async function writeKeyPair(dir: string, name: string, type: 'ec' | 'ed25519' | 'rsa' = 'ec'): Promise<KeyFiles> {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  const privatePem = path.join(dir, `${name}.key.pem`);
  const publicPem = path.join(dir, `${name}.pub.pem`);
  await writeFile(privatePem, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  await writeFile(publicPem, pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  return { privatePem, publicPem };
}

/**
 * Set `tag` (A or B): two policies on resource `doc`, each with one allow rule named after the
 * tag, and a data file. A decision from set A names `one/a-rule` and `two/a-rule`; from B, the
 * b-rules; a mix of the two sets would name one of each.
 */
export function policySet(tag: 'a' | 'b'): Record<string, unknown> {
  const rule = (when: unknown) => ({ id: `${tag}-rule`, effect: 'allow', actions: ['read'], when });
  return {
    'one.json': { id: 'one', resource: 'doc', rules: [rule({ '==': [{ var: 'subject.id' }, 'alice'] })] },
    'two.json': { id: 'two', resource: 'doc', rules: [rule({ '!=': [{ var: 'subject.id' }, 'mallory'] })] },
    'data/users.json': Object.fromEntries((tag === 'a' ? ['alice'] : ['alice', 'bob']).map((u) => [u, { tag }])),
  };
}

export async function writePolicyDir(dir: string, files: Record<string, unknown>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), JSON.stringify(content, null, 2));
  }
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI, run to completion. */
export function pdp(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** `pdp build DIR` into `out` (through a temp file and a rename, as the CLI writes). */
export async function build(dir: string, out: string, key?: string): Promise<void> {
  const r = await pdp(['build', dir, '-o', out, ...(key ? ['--sign', key] : [])]);
  if (r.code !== 0) throw new Error(`pdp build failed: ${r.stderr}`);
}

/** A built bundle with one policy file's text changed after signing (the manifest left as it was). */
export async function tamper(bundleFile: string, out: string): Promise<void> {
  const doc = JSON.parse(await readFile(bundleFile, 'utf8')) as { files: Record<string, string> };
  doc.files['two.json'] = (doc.files['two.json'] as string).replace('mallory', 'nobody');
  await writeFile(`${out}.tmp`, JSON.stringify(doc));
  await rename(`${out}.tmp`, out);
}

/** Serves one document at /bundle.json with a strong ETag and If-None-Match; `publish` swaps it. */
export interface BundleServer {
  url: string;
  publish(body: Buffer | string): void;
  /** Serves `text` at /jwks.json (the URL returned). */
  publishJwks(text: string): string;
  /** Requests answered, by status. */
  counts: Record<number, number>;
  close(): Promise<void>;
}

export async function startBundleServer(): Promise<BundleServer> {
  let body = Buffer.alloc(0);
  let etag: string | undefined;
  let jwks: string | undefined;
  const counts: Record<number, number> = {};
  const server: Server = createServer((req, res) => {
    if (req.url === '/jwks.json' && jwks !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      return;
    }
    const status = req.url !== '/bundle.json' || etag === undefined ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
    counts[status] = (counts[status] ?? 0) + 1;
    if (status !== 200) {
      res.writeHead(status, etag && status === 304 ? { etag } : {}).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bundle.json`,
    counts,
    publishJwks(text) {
      jwks = text;
      return `http://127.0.0.1:${port}/jwks.json`;
    },
    publish(next) {
      body = Buffer.from(next);
      etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Serving {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** `pdp serve` on an ephemeral port; resolves once it logs its URL. */
export async function serve(args: string[], env: Record<string, string> = {}): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'info', '--decision-log', 'off', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pdp serve did not start: ${out}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"pdp listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then(() => reject(new Error(`pdp serve exited: ${out}`)));
  });
  return {
    child,
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function getJson(base: string, urlPath: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${urlPath}`);
  return { status: res.status, body: await res.json() };
}

/** The decision for alice reading a doc, reduced to what tells the sets apart. */
export async function probe(base: string): Promise<{ revision: string; rules: string }> {
  const res = await fetch(`${base}/v1/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject: { id: 'alice' }, resource: { type: 'doc' }, action: 'read' }),
  });
  const d = (await res.json()) as { revision: string; reasons: { policy: string; rule: string }[] };
  return { revision: d.revision, rules: d.reasons.map((r) => `${r.policy}/${r.rule}`).sort().join(',') };
}

export async function removeAll(paths: string[]): Promise<void> {
  for (const p of paths.splice(0)) await rm(p, { recursive: true, force: true });
}

export async function waitFor(check: () => Promise<boolean>, ms: number, stepMs = 50): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
