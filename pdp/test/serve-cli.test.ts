/**
 * `pdp serve` as a child process (the built CLI: run `npm run build` first): start-up line,
 * refusing bad configuration, SIGHUP reload, graceful SIGTERM, and node:cluster workers.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ALICE, CHAT_POLICY, makePolicyDir, post, removeDir, writeJson } from './http-helpers.js';
import { run, stopChildren } from './serve-child.js';

const dirs: string[] = [];
afterEach(async () => {
  await stopChildren();
  for (const d of dirs.splice(0)) await removeDir(d);
});

async function policyDir(): Promise<string> {
  const d = await makePolicyDir();
  dirs.push(d);
  return d;
}

const chatRead = { subject: ALICE, resource: { type: 'chat' }, action: 'read' };

describe('pdp serve', () => {
  test('logs "pdp listening" with its url; flags win over env; SIGHUP reloads; SIGTERM exits 0', async () => {
    const dir = await policyDir();
    // PDP_PORT=1 would fail to bind; the --port flag must win. Watch off: only SIGHUP reloads.
    const c = run(['--policies', dir, '--port', '0'], { PDP_PORT: '1', PDP_WATCH: 'off' });
    const started = await c.waitFor((l) => l.msg === 'pdp listening');
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await post(started.url, '/v1/decide', chatRead)).body.allow).toBe(true);

    await writeJson(dir, 'chat.json', { ...CHAT_POLICY, rules: [CHAT_POLICY.rules[1]] });
    await new Promise((r) => setTimeout(r, 150));
    expect((await post(started.url, '/v1/decide', chatRead)).body.allow).toBe(true); // not watching
    c.child.kill('SIGHUP');
    await c.waitFor((l) => l.msg === 'policies loaded' && l.trigger === 'sighup');
    expect((await post(started.url, '/v1/decide', chatRead)).body.allow).toBe(false);

    c.child.kill('SIGTERM');
    expect(await c.exit).toBe(0);
  });

  test('SIGTERM stops accepting, finishes the request in flight, then exits 0', async () => {
    const dir = await policyDir();
    const c = run(['--policies', dir, '--port', '0']);
    const { url } = await c.waitFor((l) => l.msg === 'pdp listening');
    const u = new URL(url);
    const body = JSON.stringify(chatRead);
    const inFlight = new Promise<{ status: number; connection: string | undefined; json: any }>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/v1/decide', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        c.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 100);
    });
    await c.waitFor((l) => l.msg === 'shutting down: finishing requests in flight');
    // The log line can overtake the listener's close by a hair (it is written off-thread).
    await new Promise((r) => setTimeout(r, 50));
    // A new connection is refused while the old request is still being served.
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(Number(u.port), u.hostname);
      s.on('connect', () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.json.allow).toBe(true);
    expect(res.connection).toBe('close');
    expect(await c.exit).toBe(0);
  });

  test('refuses to start without caller tokens on a non-loopback host (exit 1, names PDP_CLIENT_TOKENS)', async () => {
    const dir = await policyDir();
    const c = run(['--policies', dir, '--host', '0.0.0.0', '--port', '0']);
    expect(await c.exit).toBe(1);
    expect(c.stderr()).toContain('PDP_CLIENT_TOKENS');
    expect(c.stderr()).toContain('refusing to serve without caller authentication');
  });

  test('starts on a non-loopback host when caller tokens are set', async () => {
    const dir = await policyDir();
    const c = run(['--policies', dir, '--host', '0.0.0.0', '--port', '0'], { PDP_CLIENT_TOKENS: 'a-long-client-token-123' });
    const { url } = await c.waitFor((l) => l.msg === 'pdp listening');
    const port = new URL(url).port;
    const res = await post(`http://127.0.0.1:${port}`, '/v1/decide', chatRead, { authorization: 'Bearer a-long-client-token-123' });
    expect(res.status).toBe(200);
    c.child.kill('SIGTERM');
    expect(await c.exit).toBe(0);
  });

  test.each([
    [{ PDP_PORT: 'http' }, [], 'PDP_PORT'],
    [{ PDP_JWT_ISSUER: 'http://idp.example' }, [], 'PDP_JWT_AUDIENCE'],
    [{}, ['--policies', '/nonexistent/policies'], '--policies'],
  ])('an invalid setting stops the start naming it: %o %o', async (env, args, name) => {
    const dir = await policyDir();
    const c = run(['--policies', dir, ...args], env as Record<string, string>);
    expect(await c.exit).toBe(1);
    expect(c.stderr()).toContain(name);
  });

  test('every invalid setting is reported at once, one line each, naming the flag or variable', async () => {
    const dir = await policyDir();
    const c = run(['--policies', dir, '--workers', 'many'], { PDP_PORT: 'http', PDP_MAX_BATCH: '0' });
    expect(await c.exit).toBe(1);
    const lines = c.stderr().trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const name of ['--workers', 'PDP_PORT', 'PDP_MAX_BATCH']) {
      expect(lines.filter((l) => l.startsWith(`pdp serve: invalid configuration: ${name}: `))).toHaveLength(1);
    }
  });

  test('without caller tokens: [::1] and localhost start (bound to loopback); a host that does not resolve is exit 1, not a crash', async () => {
    const dir = await policyDir();
    for (const host of ['[::1]', 'localhost']) {
      const c = run(['--policies', dir, '--host', host, '--port', '0']);
      const { url } = await c.waitFor((l) => l.msg === 'pdp listening');
      expect((await fetch(`${url}/healthz`)).status, host).toBe(200);
      c.child.kill('SIGTERM');
      expect(await c.exit).toBe(0);
    }
    const bad = run(['--policies', dir, '--host', 'no-such-host.invalid', '--port', '0'], { PDP_CLIENT_TOKENS: 'a-long-client-token-123' });
    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toContain('pdp serve: cannot listen');
    expect(bad.stderr()).not.toContain('    at ');
  });

  test('a missing policy directory names the setting that was used: the flag, else PDP_POLICIES', async () => {
    const byFlag = run(['--policies', '/nonexistent/policies', '--port', '0'], { PDP_POLICIES: '/also/missing' });
    expect(await byFlag.exit).toBe(1);
    expect(byFlag.stderr()).toContain('--policies: policy directory /nonexistent/policies does not exist');
    expect(byFlag.stderr()).not.toContain('PDP_POLICIES');
    const byEnv = run(['--port', '0'], { PDP_POLICIES: '/also/missing' });
    expect(await byEnv.exit).toBe(1);
    expect(byEnv.stderr()).toContain('PDP_POLICIES: policy directory /also/missing does not exist');
    expect(byEnv.stderr()).not.toContain('--policies');
  });

  test('PDP_WORKERS=2: two processes share the port, one "pdp listening" line, SIGTERM exits 0', async () => {
    const dir = await policyDir();
    const c = run(['--policies', dir, '--port', '0'], { PDP_WORKERS: '2' });
    const { url } = await c.waitFor((l) => l.msg === 'pdp listening');
    const pids = new Set<number>();
    for (let i = 0; i < 12 && pids.size < 2; i++) {
      // A new connection per request, so the primary's round-robin reaches both workers.
      const res = await fetch(`${url}/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(chatRead) });
      expect(((await res.json()) as { allow: boolean }).allow).toBe(true);
    }
    const decisionPids = c.lines.filter((l) => l.msg === 'decision').map((l) => l.pid as number);
    for (const p of decisionPids) pids.add(p);
    expect(pids.size).toBe(2);
    expect(c.lines.filter((l) => l.msg === 'pdp listening')).toHaveLength(1);
    c.child.kill('SIGTERM');
    expect(await c.exit).toBe(0);
  });
});
