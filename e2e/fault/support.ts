// The fault suite's pieces: the demo's services as separate processes on 127.0.0.1, started
// from the launcher's own configuration (scripts/lib/stack.mjs) so they are wired exactly as
// `npm start` wires them, but each one stoppable on its own; a TCP proxy that can refuse, delay
// or route by readiness, standing in for a Service, a load balancer or a network fault; and a
// load loop that records every answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { CookieJar, DEMO_PASSWORD, codeFromCallback, jarFetch, loginThroughForm } from 'demo-idp/testing';
import { readStackConfig } from '../../scripts/lib/stack.mjs';
import { waitReady } from '../../scripts/lib/ready.mjs';
import { ROOT, freePorts, type Ports } from '../stack/launcher.js';

export type ServiceName = 'idp' | 'pdp' | 'api' | 'web';

interface ServiceDefinition {
  name: ServiceName;
  port: number;
  args: string[];
  readyUrl: string;
  env: Record<string, string>;
}

export interface Stack {
  ports: Ports;
  /** The launcher's definition of each service (arguments, environment, readiness URL). */
  service(name: ServiceName, ports?: Partial<Ports>): ServiceDefinition;
  pdpToken: string;
  webOrigin: string;
  issuer: string;
  internal(port: number): string;
}

/** One configuration for the whole run: fixed secrets, so a service started again matches. */
export async function stackConfig(): Promise<Stack> {
  const ports = await freePorts();
  const secrets = { PDP_CLIENT_TOKEN: `fault-${Math.random().toString(36).slice(2)}-caller-token`, OIDC_CLIENT_SECRET: `fault-${Math.random().toString(36).slice(2)}-client-secret` };
  const configFor = (overrides: Partial<Ports>) => {
    const env = { ...secrets, ...Object.fromEntries(Object.entries({ ...ports, ...overrides }).map(([k, v]) => [k, String(v)])) };
    return readStackConfig(env, ROOT) as { services: ServiceDefinition[]; pdpToken: string; webOrigin: string; issuer: string };
  };
  const base = configFor({});
  return {
    ports,
    pdpToken: base.pdpToken,
    webOrigin: base.webOrigin,
    issuer: base.issuer,
    internal: (port) => `http://127.0.0.1:${port}`,
    service(name, overrides = {}) {
      const found = configFor(overrides).services.find((s) => s.name === name);
      if (found === undefined) throw new Error(`no service ${name}`);
      return found;
    },
  };
}

export interface Running {
  name: string;
  port: number;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Running>();

/** Starts one service as its own process and waits until its readiness URL answers 2xx. */
export async function startService(def: ServiceDefinition, extraEnv: Record<string, string> = {}, timeoutMs = 60_000): Promise<Running> {
  const child = spawn(process.execPath, def.args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...def.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const service: Running = {
    name: def.name,
    port: def.port,
    child,
    output: () => text,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.add(service);
  void exited.then(() => running.delete(service));
  const state = await waitReady(def.readyUrl, { timeoutMs, hasExited: () => child.exitCode !== null || child.signalCode !== null, intervalMs: 25 });
  if (state !== 'ready') throw new Error(`${def.name} did not become ready (${state}):\n${text}`);
  return service;
}

/** SIGKILLs every service still running (for afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
}

export interface TcpProxy {
  port: number;
  /** Where new connections go: the first backend in turn that is up (and ready, when probing). */
  backends: number[];
  /** Delay before anything a backend sends is passed on. */
  delayMs: number;
  /** Refuse new connections and drop the open ones, as a dead host or a firewall would. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1. With `readiness`, it polls that path on each backend every
 * `probeEveryMs` and sends new connections only to those answering 2xx, as a Service's
 * endpoints follow readiness; open connections stay where they are until either side closes.
 */
export async function tcpProxy(options: { backends: number[]; readiness?: string; probeEveryMs?: number; port?: number }): Promise<TcpProxy> {
  const ready = new Set<number>(options.readiness === undefined ? options.backends : []);
  const sockets = new Set<Socket>();
  let next = 0;
  let server: Server | undefined;
  const proxy: TcpProxy = {
    port: options.port ?? 0,
    backends: options.backends,
    delayMs: 0,
    down: async () => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s !== undefined) await new Promise((resolve) => s.close(resolve));
    },
    up: async () => {
      if (server !== undefined) return;
      const s = createServer((client) => {
        const candidates = proxy.backends.filter((b) => options.readiness === undefined || ready.has(b));
        if (candidates.length === 0) {
          client.destroy();
          return;
        }
        const backend = connect(candidates[next++ % candidates.length]!, '127.0.0.1');
        for (const socket of [client, backend]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        }
        client.pipe(backend);
        backend.on('data', (chunk: Buffer) => {
          if (proxy.delayMs === 0) client.write(chunk);
          else setTimeout(() => client.writable && client.write(chunk), proxy.delayMs);
        });
        // An orderly close is passed on as one (after any delayed data); a reset as a reset.
        backend.on('end', () => setTimeout(() => client.end(), proxy.delayMs));
        backend.on('error', () => client.destroy());
        client.on('error', () => backend.destroy());
        backend.on('close', () => setTimeout(() => client.destroy(), proxy.delayMs + 1000).unref());
      });
      await new Promise<void>((resolve) => s.listen(proxy.port, '127.0.0.1', resolve));
      proxy.port = (s.address() as { port: number }).port;
      server = s;
    },
    close: async () => {
      clearInterval(prober);
      await proxy.down();
    },
  };
  const probe = async (): Promise<void> => {
    await Promise.all(
      proxy.backends.map(async (b) => {
        try {
          const r = await fetch(`http://127.0.0.1:${b}${options.readiness}`, { signal: AbortSignal.timeout(500) });
          await r.body?.cancel();
          if (r.ok) ready.add(b);
          else ready.delete(b);
        } catch {
          ready.delete(b);
        }
      }),
    );
  };
  const prober = setInterval(() => options.readiness !== undefined && void probe(), options.probeEveryMs ?? 100);
  if (options.readiness !== undefined) await probe();
  await proxy.up();
  return proxy;
}

/** Signs `login` in through demo-api and the IdP's real login form; returns the access token. */
export async function signIn(stack: Stack, login: string): Promise<string> {
  const api = stack.internal(stack.ports.API_PORT);
  const jar = new CookieJar();
  const authorize = await jarFetch(jar, `${api}/api/authorize`);
  if (authorize.status !== 200) throw new Error(`GET /api/authorize: ${authorize.status} ${await authorize.text()}`);
  const { authorize_url: authorizeUrl } = (await authorize.json()) as { authorize_url: string };
  const { callback } = await loginThroughForm({ authorizeUrl, redirectUri: `${stack.webOrigin}/auth/callback`, login, password: DEMO_PASSWORD, jar });
  const { code, state } = codeFromCallback(callback);
  const token = await postToken(stack, jar, { code, state });
  if (token.status !== 200) throw new Error(`POST /api/token: ${token.status} ${JSON.stringify(token.body)}`);
  return token.body.access_token as string;
}

export async function postToken(stack: Stack, jar: CookieJar, body: unknown): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
  const response = await jarFetch(jar, `${stack.internal(stack.ports.API_PORT)}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

export interface Answer {
  /** ms since the load started: when the request was sent, and when its answer was in */
  at: number;
  done: number;
  status: number;
  code?: string;
  detail?: string;
}

/** GET `path` on demo-api with `token`: the status and, for a problem, its code and detail. */
export async function call(stack: Stack, path: string, token: string): Promise<Omit<Answer, 'at' | 'done'>> {
  try {
    const response = await fetch(`${stack.internal(stack.ports.API_PORT)}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const body = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
    return response.status === 200 ? { status: 200 } : { status: response.status, code: body.code, detail: body.detail };
  } catch (err) {
    return { status: 0, code: String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name) };
  }
}

export interface Load {
  answers: Answer[];
  /** ms since the load started */
  now(): number;
  stop(): Promise<Answer[]>;
}

/** `concurrency` callers sending GET `path` to demo-api back to back until stop(). */
export function load(stack: Stack, path: string, token: string, concurrency: number): Load {
  const started = performance.now();
  const answers: Answer[] = [];
  let stopping = false;
  const now = () => Math.round(performance.now() - started);
  const worker = async () => {
    while (!stopping) {
      const at = now();
      const answer = await call(stack, path, token);
      answers.push({ at, done: now(), ...answer });
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    answers,
    now,
    stop: async () => {
      stopping = true;
      await Promise.all(workers);
      return answers;
    },
  };
}

/** "200: 812, 503 pdp_unavailable: 3" */
export function tally(answers: readonly Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a.status === 200 ? '200' : `${a.status} ${a.code ?? ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${k}: ${v}`).join(', ');
}
