// HTTP benchmark of `pdp serve` as deployed: caller authentication on (PDP_CLIENT_TOKENS set,
// the token sent), decision log on (pino's asynchronous destination, stdout opened on /dev/null),
// metrics on. Targets, each loaded by autocannon from this process:
//   bare     - a bare Koa 3 route: reads the body, JSON.parse, answers small JSON through ctx.body
//   decide   - POST /v1/decide (subject mode)
//   noinput  - the same with PDP_DECISION_LOG_INPUT=off (what the decision line's input costs)
//   vDirect, vPino, vSmall, vPlain, vKoa - bench/http-variant.mjs: the parts composed as shipped
//              (decision lines built by the PDP, written in 16 KiB, prom-client's latency histogram,
//              the decision routes served by the app's direct table), then with one part swapped
//              each: lines through pino's serialiser, log writes of 4 KiB, a plain latency
//              histogram, every request through Koa (what each costs)
//   batch    - POST /v1/decide/batch with BATCH_ITEMS items (decisions/s = requests/s x items)
//   authzen  - POST /access/v1/evaluation
// Servers run in child processes. Every round runs each target once (warm-up, then measured), in
// an order shuffled per round (bare and decide back to back, in either order); the medians over rounds are printed with their spread, with each
// server's CPU per request and CPU utilisation (from /proc) beside requests/s: when a server is
// not near 100% of a core, its requests/s is the load generator's limit (or another process's
// share of the core), not the server's, and the least CPU per request is the capacity figure.
//
//   node bench/http.mjs [--quick] [--rounds N] [--duration S] [--warmup S] [--connections N] [--pin]
//                       [--compare DIR] [--targets NAME,NAME,...]
//
// Default: 9 rounds of 1 s warm-up + 3 s per target (about 6 minutes with nine targets); --quick: 3 rounds of
// 2 s (about 1.5 minutes). Nothing here is a test: figures are printed, targets are only reported.
// --compare DIR: also load POST /v1/decide of another pdp build (DIR holds its bin/ and a built
// dist/, e.g. an older checkout), its own checkout's policies and the same settings, as one more target in every round.
// --pin (Linux, needs taskset): servers on CPU 1, this process (autocannon) on CPU 0, so the
// load generator and the server under test do not take turns on one core.
// --targets: only these (bare and decide are always run: the ratio needs them), e.g. for an A/B
// of two builds with more rounds in the same time.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { openSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const BATCH_ITEMS = 10;

// ---- child mode: the bare Koa server ----
if (process.argv[2] === '--serve-bare') {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'POST') {
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
  // Keep running until stopped; exiting on SIGTERM lets `node --cpu-prof` write its profile.
  process.on('SIGTERM', () => process.exit(0));
} else {
  await main();
}

async function main() {
  // Not strict: bench/run.mjs passes the same arguments to every benchmark it runs.
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      pin: { type: 'boolean' },
      compare: { type: 'string' },
      targets: { type: 'string' },
    },
    strict: false,
  });
  const quick = values.quick === true;
  // Many short rounds rather than a few long ones: on a shared machine a burst of other work
  // then spoils one round of one target, and the median leaves it out.
  const duration = Number(values.duration ?? (quick ? 2 : 3));
  const rounds = Number(values.rounds ?? (quick ? 3 : 9));
  const warmup = Number(values.warmup ?? 1);
  const connections = Number(values.connections ?? 50);
  const pin = values.pin === true;
  if (pin) execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const { default: autocannon } = await import('autocannon');

  const callerToken = randomBytes(24).toString('base64url');
  const devnull = openSync('/dev/null', 'w');
  const children = [];
  const start = async (args, env) => {
    const port = await freePort();
    const argv = [...args(port)];
    const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...argv] : argv, {
      env: { ...process.env, ...env },
      stdio: ['ignore', devnull, 'inherit'],
    });
    children.push(child);
    await waitUp(`http://127.0.0.1:${port}/healthz`, child);
    return { url: `http://127.0.0.1:${port}`, pid: child.pid };
  };
  const stopAll = () => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', () => (stopAll(), process.exit(130)));

  try {
    // bare and decide always run: the ratio needs them; --targets names the others wanted.
    const only = typeof values.targets === 'string' ? new Set(['bare', 'decide', ...values.targets.split(',')]) : undefined;
    const want = (name) => only === undefined || only.has(name);
    const bare = await start((port) => [here('http.mjs'), '--serve-bare', String(port)], {});
    const pdpEnv = { PDP_CLIENT_TOKENS: callerToken, PDP_DECISION_LOG: 'on', PDP_LOG_LEVEL: 'info', PDP_WORKERS: '1' };
    const serve = (bin, policies) => (port) => [bin, 'serve', '--policies', policies, '--port', String(port)];
    const pdp = await start(serve(here('../bin/pdp.js'), here('../../policies')), pdpEnv);
    const noInput = want('noinput') ? await start(serve(here('../bin/pdp.js'), here('../../policies')), { ...pdpEnv, PDP_DECISION_LOG_INPUT: 'off' }) : undefined;
    // The same parts composed by bench/http-variant.mjs as shipped (vDirect), and with one swapped
    // each (every other variant differs from vDirect in that part only).
    const variant = (name, log, metrics, serving) =>
      want(name) || ['vPino', 'vSmall', 'vPlain', 'vKoa'].some(want) && name === 'vDirect'
        ? start((port) => [here('http-variant.mjs'), String(port), log, metrics, serving], { ...pdpEnv, PDP_POLICIES: here('../../policies') })
        : undefined;
    const vDirect = await variant('vDirect', 'direct', 'prom', 'table');
    const vPino = await variant('vPino', 'pino', 'prom', 'table');
    const vSmall = await variant('vSmall', 'small', 'prom', 'table');
    const vPlain = await variant('vPlain', 'direct', 'plain', 'table');
    const vKoa = await variant('vKoa', 'direct', 'prom', 'koa');
    // The other build serves its own checkout's policies: an older PDP may not read today's files
    // (schema.json, data/), and the demo's decisions are the same.
    const other = typeof values.compare === 'string'
      ? await start(serve(path.resolve(values.compare, 'bin/pdp.js'), path.resolve(values.compare, '../policies')), pdpEnv)
      : undefined;

    const subject = { id: 'alice', groups: ['oracle-ai-users'] };
    const resource = { type: 'chat', id: 'room-1' };
    const decideBody = JSON.stringify({ subject, resource, action: 'read' });
    const batchBody = JSON.stringify({
      subject,
      items: Array.from({ length: BATCH_ITEMS }, (_, i) => ({ resource: { type: 'chat', id: `room-${i}` }, action: 'read' })),
    });
    const authzenBody = JSON.stringify({
      subject: { type: 'user', id: 'alice', properties: { groups: ['oracle-ai-users'] } },
      resource,
      action: { name: 'read' },
    });
    const allowed = {
      decide: (j) => j.allow === true,
      batch: (j) => Array.isArray(j.results) && j.results.length === BATCH_ITEMS && j.results.every((r) => r.allow === true),
      authzen: (j) => j.decision === true,
    };
    const at = (server, route) => (server === undefined ? undefined : { url: `${server.url}${route}`, pid: server.pid });
    const targets = [
      { name: 'bare', label: 'bare Koa route', ...at(bare, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'decide', label: 'POST /v1/decide', ...at(pdp, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'noinput', label: '/v1/decide, PDP_DECISION_LOG_INPUT=off', ...at(noInput, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'vDirect', label: 'composed as shipped', ...at(vDirect, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'vPino', label: 'composed: lines through pino', ...at(vPino, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'vSmall', label: 'composed: 4 KiB log writes', ...at(vSmall, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'vPlain', label: 'composed: plain histogram', ...at(vPlain, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'vKoa', label: 'composed: all through Koa', ...at(vKoa, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
      { name: 'batch', label: `POST /v1/decide/batch (${BATCH_ITEMS} items)`, ...at(want('batch') ? pdp : undefined, '/v1/decide/batch'), body: batchBody, decisions: BATCH_ITEMS, ok: allowed.batch },
      { name: 'authzen', label: 'POST /access/v1/evaluation', ...at(want('authzen') ? pdp : undefined, '/access/v1/evaluation'), body: authzenBody, decisions: 1, ok: allowed.authzen },
      { name: 'compare', label: `/v1/decide of ${values.compare}`, ...at(other, '/v1/decide'), body: decideBody, decisions: 1, ok: allowed.decide },
    ].filter((t) => t.url !== undefined);
    const has = (name) => targets.some((t) => t.name === name);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${callerToken}` };
    // Each target answers 200 and allows; the PDP refuses a request without the caller token.
    for (const t of targets) {
      const res = await fetch(t.url, { method: 'POST', headers, body: t.body });
      const text = await res.text();
      const json = JSON.parse(text);
      if (res.status !== 200 || !t.ok(json)) throw new Error(`${t.name}: unexpected answer ${res.status} ${text}`);
      t.reply = `${Buffer.byteLength(text)} body bytes, headers ${[...res.headers.keys()].join(' ')}`;
    }
    const unauth = await fetch(`${pdp.url}/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: decideBody });
    if (unauth.status !== 401) throw new Error(`the PDP answered ${unauth.status} without a caller token: caller authentication is not on`);

    const run = (t, seconds) =>
      new Promise((resolve, reject) => {
        autocannon({ url: t.url, method: 'POST', connections, duration: seconds, headers, body: t.body }, (err, result) => (err ? reject(err) : resolve(result)));
      });

    const byName = (name) => targets.find((t) => t.name === name);
    console.log(`node ${process.version}, ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(
      `autocannon: ${connections} connections, no pipelining, ${warmup} s warm-up + ${duration} s per target, ${rounds} rounds, target order shuffled per round (bare and /v1/decide back to back)` +
        (pin ? '; servers pinned to CPU 1, autocannon to CPU 0' : ''),
    );
    console.log('PDP as deployed: caller token required and sent, decision log on (with input; no PDP_LOG_REDACT, so lines built by the PDP, not by pino\'s serialiser; pino\'s asynchronous destination, to /dev/null), metrics on');
    console.log('bare Koa: one Koa middleware that reads the body, JSON.parses it and answers small JSON through ctx.body (Koa\'s');
    console.log('  respond); it leaves out what the PDP is measured for: the X-Request-ID header, the caller-token check, the');
    console.log('  body checks and request validation, the decision, the decision-log line and the metrics. The PDP serves');
    console.log('  its decision routes from its direct table (the same middleware, without a Koa context) and writes their');
    console.log('  200 answers to Node directly (one writeHead); "composed: all through Koa" is the same PDP through Koa.');
    console.log(`  replies: bare ${byName('bare').reply}; /v1/decide ${byName('decide').reply}`);
    console.log('figures: requests/s as autocannon saw them; CPU µs/req = the server process\'s user+system CPU (all threads,');
    console.log('  /proc, 10 ms ticks) over the measured seconds ÷ requests answered; CPU % = that CPU ÷ the measured seconds');
    console.log('  (100% = one core busy). Below about 90% the server was not the limit (the load generator, or another');
    console.log('  process on its core, was), so requests/s understates it, and CPU µs/req is the capacity figure; the least');
    console.log('  over the rounds is the steadiest on a shared machine (other work only ever adds to it).');
    const perRound = [];
    for (let r = 0; r < rounds; r++) {
      // Shuffled, but bare and decide back to back (in either order): the ratio the target is
      // about then compares two runs a few seconds apart, not two ends of a round on a shared machine.
      const pair = shuffle(targets.filter((t) => t.name === 'bare' || t.name === 'decide'));
      const order = shuffle(targets.filter((t) => t.name !== 'bare' && t.name !== 'decide'));
      order.splice(Math.floor(Math.random() * (order.length + 1)), 0, ...pair);
      const row = {};
      for (const t of order) {
        await run(t, warmup);
        const cpu0 = cpuMs(t.pid);
        const res = await run(t, duration);
        const cpu = cpuMs(t.pid) - cpu0;
        if (res.non2xx > 0 || res.errors > 0 || res.timeouts > 0) throw new Error(`${t.name}: ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts`);
        row[t.name] = { rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, cpuUs: (cpu * 1000) / res.requests.total, busy: cpu / (duration * 10) };
      }
      perRound.push(row);
      console.log(
        `round ${r + 1} (${order.map((t) => t.name).join(', ')}): ` +
          targets.map((t) => `${t.name} ${Math.round(row[t.name].rps)} req/s ${row[t.name].busy.toFixed(0)}% CPU`).join(' | ') +
          ` | decide/bare ${(row.decide.rps / row.bare.rps).toFixed(2)}x`,
      );
    }

    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(s.length / 2);
      return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    };
    const m = (name, key) => median(perRound.map((row) => row[name][key]));
    const spread = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
    console.log(`\nmedian of ${rounds} rounds (range over rounds in brackets):`);
    console.log(`  ${'target'.padEnd(34)} ${'decisions/s'.padStart(12)} ${'requests/s'.padStart(11)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU %'.padStart(6)} ${'CPU µs/req'.padStart(11)} ${'least'.padStart(7)}`);
    const least = (name) => Math.min(...perRound.map((row) => row[name].cpuUs));
    for (const t of targets) {
      const rps = perRound.map((row) => row[t.name].rps);
      console.log(
        `  ${t.label.padEnd(34)} ${String(Math.round(m(t.name, 'rps') * t.decisions)).padStart(12)} ${String(Math.round(m(t.name, 'rps'))).padStart(11)} ${String(m(t.name, 'p50')).padStart(7)} ${String(m(t.name, 'p99')).padStart(7)} ${m(t.name, 'busy').toFixed(0).padStart(6)} ${m(t.name, 'cpuUs').toFixed(1).padStart(11)} ${least(t.name).toFixed(1).padStart(7)}   [${spread(rps)} req/s]`,
      );
    }
    const ratios = perRound.map((row) => row.decide.rps / row.bare.rps);
    const ratio = median(ratios);
    const cpuRatio = median(perRound.map((row) => row.bare.cpuUs / row.decide.cpuUs));
    // A throughput ratio says something about the servers only when both were the limit.
    const saturated = m('bare', 'busy') >= 90 && m('decide', 'busy') >= 90;
    console.log(
      `  /v1/decide ÷ bare Koa throughput: ${ratio.toFixed(2)}x (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}; target >= 0.90x: ${ratio >= 0.9 ? 'met' : 'MISSED'})` +
        (saturated ? '' : `\n    not a capacity figure in this run: median CPU % bare ${m('bare', 'busy').toFixed(0)}, /v1/decide ${m('decide', 'busy').toFixed(0)} (below 90: the servers were not the limit); read the CPU-bound ratio below`),
    );
    if (has('compare')) {
      const vs = perRound.map((row) => row.decide.rps / row.compare.rps);
      console.log(`  /v1/decide ÷ /v1/decide of ${values.compare}: ${median(vs).toFixed(2)}x (rounds ${vs.map((x) => x.toFixed(2)).join(', ')})`);
    }
    // Side by side in the same rounds: what one part costs of /v1/decide's throughput.
    // Throughput ratios, and server CPU per request (steadier on a shared machine) next to them.
    const share = (name, slower, faster, what) => {
      if (!has(slower) || !has(faster)) return;
      const xs = perRound.map((row) => row[slower].rps / row[faster].rps);
      const x = median(xs);
      const cpu = median(perRound.map((row) => row[slower].cpuUs / row[faster].cpuUs));
      console.log(
        `  ${name}: ${x.toFixed(3)}x throughput (rounds ${xs.map((v) => v.toFixed(2)).join(', ')}), ${cpu.toFixed(3)}x server CPU per request: ${what} ${((1 - x) * 100).toFixed(1)}% of /v1/decide throughput`,
      );
    };
    share('input on ÷ off (pdp serve)', 'decide', 'noinput', 'the decision line\'s input costs');
    share('pino ÷ direct writer', 'vPino', 'vDirect', 'pino\'s serialiser (against the line built by the PDP) costs');
    share('4 KiB ÷ 16 KiB log writes', 'vSmall', 'vDirect', 'writing the log in 4 KiB instead of 16 KiB costs');
    share('prom-client ÷ plain histogram', 'vDirect', 'vPlain', 'prom-client\'s histogram (against plain numbers) costs');
    share('Koa ÷ direct table', 'vKoa', 'vDirect', 'serving the decision routes through Koa costs');
    console.log(`  bare Koa ÷ /v1/decide server CPU per request (median of rounds): ${cpuRatio.toFixed(2)}x`);
    // Another process's burst only ever adds to a round's CPU per request, so the least over the
    // rounds is the steadiest figure on a shared machine.
    const leastRatio = (a, b, what) => {
      if (has(a) && has(b)) console.log(`    ${what}: ${(least(a) / least(b)).toFixed(3)}x`);
    };
    console.log('  least server CPU per request over the rounds (the "least" column), as ratios:');
    leastRatio('bare', 'decide', `bare Koa ÷ /v1/decide, the CPU-bound ratio (capacity; target >= 0.90x: ${least('bare') / least('decide') >= 0.9 ? 'met' : 'MISSED'})`);
    leastRatio('noinput', 'decide', 'input off ÷ on');
    leastRatio('vDirect', 'vPino', 'direct lines ÷ pino lines');
    leastRatio('vDirect', 'vSmall', '16 KiB ÷ 4 KiB log writes');
    leastRatio('vPlain', 'vDirect', 'plain histogram ÷ prom-client');
    leastRatio('vDirect', 'vKoa', 'direct table ÷ through Koa');
    leastRatio('compare', 'decide', `${values.compare} ÷ this build`);
    console.log(`  load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    stopAll();
  }
}

function shuffle(xs) {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
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
