// HTTP benchmark of `pdp serve` (issue 4). In one run, with autocannon (50 connections, warm-up):
//   bare   - a bare Koa 3 route that reads and parses the same JSON body and returns small JSON
//   subject - POST /v1/decide in subject mode (decision log on, written to /dev/null)
//   token  - POST /v1/decide in token mode with a cached token (RS256, real JWKS on loopback)
// Servers run in child processes so autocannon does not share their event loop. Several rounds,
// alternating targets; ratios are computed per round and the median is printed.
//
//   node bench/http.mjs [--duration S] [--rounds N] [--warmup S] [--pin]
//
// --pin (Linux, needs taskset): servers on CPU 1, this process (autocannon) on CPU 0, so the
// load generator and the server under test do not take turns on one core. Same layout for
// every target; useful on a 2-core machine where unpinned rounds drift by ±10-20%.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// ---- child mode: the bare Koa server ----
if (process.argv[2] === '--serve-bare') {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ctx.path === '/v1/decide') {
      const text = await new Promise((resolve, reject) => {
        const chunks = [];
        ctx.req.on('data', (c) => chunks.push(c));
        ctx.req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        ctx.req.on('error', reject);
      });
      const body = JSON.parse(text);
      ctx.body = { allow: typeof body.action === 'string', effect: 'allow' };
    } else if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
    }
  });
  app.listen(Number(process.argv[3]), '127.0.0.1');
  // Keep running until killed.
} else {
  await main();
}

async function main() {
  // Not strict: bench/run.mjs passes the same arguments to every benchmark it runs.
  const { values } = parseArgs({ options: { duration: { type: 'string' }, rounds: { type: 'string' }, warmup: { type: 'string' }, pin: { type: 'boolean' } }, strict: false });
  const duration = Number(values.duration ?? process.env.BENCH_DURATION ?? 5);
  const rounds = Number(values.rounds ?? process.env.BENCH_ROUNDS ?? 3);
  const warmup = Number(values.warmup ?? 2);
  const pin = values.pin === true;
  if (pin) execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const { default: autocannon } = await import('autocannon');
  const jose = await import('jose');

  // The issuer: JWKS served by this process (asked once; tokens are then cached by the PDP).
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((r) => jwks.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${jwks.address().port}`;
  const audience = 'http://localhost:3000/api';
  const token = await new jose.SignJWT({ sub: 'alice', groups: ['oracle-ai-users'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);

  const devnull = openSync('/dev/null', 'w');
  const children = [];
  const start = async (args, env) => {
    const port = await freePort();
    const argv = [...args(port)];
    const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...argv] : argv, { env: { ...process.env, ...env }, stdio: ['ignore', devnull, 'inherit'] });
    children.push(child);
    await waitUp(`http://127.0.0.1:${port}/healthz`, child);
    return { url: `http://127.0.0.1:${port}`, pid: child.pid };
  };
  const stopAll = () => {
    for (const c of children) c.kill('SIGTERM');
    jwks.close();
  };
  process.on('SIGINT', () => (stopAll(), process.exit(130)));

  try {
    const bare = await start((port) => [here('http.mjs'), '--serve-bare', String(port)], {});
    const pdp = await start((port) => [here('../bin/pdp.js'), 'serve', '--policies', here('../../policies'), '--port', String(port)], {
      PDP_JWT_ISSUER: issuer,
      PDP_JWT_AUDIENCE: audience,
      PDP_JWKS_URL: `${issuer}/jwks`,
      PDP_DECISION_LOG: process.env.PDP_DECISION_LOG ?? 'on',
      PDP_LOG_LEVEL: 'info',
      PDP_CLIENT_TOKENS: '',
    });

    const resource = { type: 'chat', id: 'room-1' };
    const subjectBody = JSON.stringify({ subject: { id: 'alice', groups: ['oracle-ai-users'] }, resource, action: 'read' });
    const tokenBody = JSON.stringify({ token, resource, action: 'read' });
    const targets = [
      { name: 'bare', url: `${bare.url}/v1/decide`, pid: bare.pid, body: subjectBody },
      { name: 'subject', url: `${pdp.url}/v1/decide`, pid: pdp.pid, body: subjectBody },
      { name: 'token', url: `${pdp.url}/v1/decide`, pid: pdp.pid, body: tokenBody },
    ];
    // Sanity: each target answers 200 and the PDP allows.
    for (const t of targets) {
      const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: t.body });
      const json = await res.json();
      if (res.status !== 200 || json.allow !== true) throw new Error(`${t.name}: unexpected answer ${res.status} ${JSON.stringify(json)}`);
    }

    const run = (t, seconds) =>
      new Promise((resolve, reject) => {
        autocannon(
          { url: t.url, method: 'POST', connections: 50, duration: seconds, headers: { 'content-type': 'application/json' }, body: t.body },
          (err, result) => (err ? reject(err) : resolve(result)),
        );
      });

    console.log(`autocannon: 50 connections, ${warmup} s warm-up + ${duration} s per target, ${rounds} rounds${pin ? ', servers pinned to CPU 1, autocannon to CPU 0' : ''}`);
    const perRound = [];
    for (let r = 0; r < rounds; r++) {
      const row = {};
      for (const t of targets) {
        await run(t, warmup);
        const cpu0 = cpuMs(t.pid);
        const res = await run(t, duration);
        const cpu = cpuMs(t.pid) - cpu0;
        if (res.non2xx > 0 || res.errors > 0) throw new Error(`${t.name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        // Server CPU per request: steadier than req/s when other work shares the cores.
        row[t.name] = { rps: res.requests.average, p99: res.latency.p99, p50: res.latency.p50, cpuUs: (cpu * 1000) / res.requests.total };
      }
      perRound.push(row);
      console.log(
        `round ${r + 1}: ` +
          targets.map((t) => `${t.name} ${Math.round(row[t.name].rps)} req/s p99 ${row[t.name].p99} ms ${row[t.name].cpuUs.toFixed(1)} µs CPU/req`).join(' | ') +
          ` | subject/bare ${(row.subject.rps / row.bare.rps).toFixed(2)}x, token/subject ${(row.token.rps / row.subject.rps).toFixed(2)}x`,
      );
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const m = (name, key) => median(perRound.map((r) => r[name][key]));
    const subjectRatio = median(perRound.map((r) => r.subject.rps / r.bare.rps));
    const tokenRatio = median(perRound.map((r) => r.token.rps / r.subject.rps));
    console.log('\nmedian of rounds:');
    for (const t of targets) {
      console.log(`  ${t.name.padEnd(8)} ${String(Math.round(m(t.name, 'rps'))).padStart(7)} req/s   p50 ${m(t.name, 'p50')} ms   p99 ${m(t.name, 'p99')} ms   ${m(t.name, 'cpuUs').toFixed(1)} µs server CPU/req`);
    }
    const cpuRatio = median(perRound.map((r) => r.bare.cpuUs / r.subject.cpuUs));
    const cpuTokenRatio = median(perRound.map((r) => r.subject.cpuUs / r.token.cpuUs));
    const p99 = Math.max(m('subject', 'p99'), m('token', 'p99'));
    const verdict = (ok) => (ok ? 'ok' : 'BELOW TARGET');
    console.log(`  /v1/decide vs bare Koa:   ${subjectRatio.toFixed(2)}x  (target >= 0.85x) ${verdict(subjectRatio >= 0.85)}`);
    console.log(`  token (cached) vs subject: ${tokenRatio.toFixed(2)}x  (target >= 0.80x) ${verdict(tokenRatio >= 0.8)}`);
    console.log(`  same by server CPU per request: subject ${cpuRatio.toFixed(2)}x of bare, token ${cpuTokenRatio.toFixed(2)}x of subject`);
    console.log(`  p99 subject/token:         ${p99} ms (target < 5 ms) ${verdict(p99 < 5)}`);
  } finally {
    stopAll();
  }
}

/** utime + stime of a process, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(url, child) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before it was up`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not up within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
