import { spawn } from 'node:child_process';
import { readFileSync, openSync } from 'node:fs';
import { createServer } from 'node:http';
const variant = process.argv[2];
if (process.argv[3]) {
  process.on('SIGTERM', () => process.exit(0));
  const port = Number(process.argv[3]);
  const { default: Koa } = await import('koa');
  const { readRawBody, parseJsonObject } = await import('../dist/http/body.js');
  const { sendJson } = await import('../dist/http/respond.js');
  const readStd = (req) => new Promise((resolve, reject) => { const chunks = []; req.on('data', (c) => chunks.push(c)); req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))); req.on('error', reject); });
  const big = { decisionId: 'abcdefgh-123', allow: true, effect: 'allow', reasons: [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }], revision: 'sha256:888b8f6bf6b6d57ec3750d5c9fa29da24ec1d71fd5b6a656d438e60b8fe3117f' };
  if (variant.startsWith('bare')) {
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.path === '/healthz') { ctx.body = { ok: 1 }; return; }
      if (variant === 'bare') { const b = JSON.parse(await readStd(ctx.req)); ctx.body = { allow: typeof b.action === 'string', effect: 'allow' }; }
      else if (variant === 'bare-mybody') { const b = parseJsonObject(await readRawBody(ctx.req, 100000), 32); ctx.body = { allow: typeof b.action === 'string', effect: 'allow' }; }
      else if (variant === 'bare-bigresp') { const b = JSON.parse(await readStd(ctx.req)); ctx.body = big; }
      else if (variant === 'bare-sendjson') { const b = JSON.parse(await readStd(ctx.req)); sendJson(ctx, big); }
    });
    app.listen(port, '127.0.0.1');
  } else {
    const { startPdpServer } = await import('../dist/index.js');
    const { pino } = await import('pino');
    await startPdpServer({ policiesDir: '../policies', port, decisionLog: variant === 'pdp-log', logLevel: 'info' });
  }
} else {
  const { default: autocannon } = await import('autocannon');
  const variants = process.argv.slice(4).length ? process.argv.slice(4) : ['bare', 'bare-mybody', 'bare-bigresp', 'bare-sendjson', 'pdp-nolog', 'pdp-log'];
  const devnull = openSync('/dev/null', 'w');
  const kids = {};
  let p = 19300;
  for (const v of variants) {
    const port = p++;
    const child = spawn(process.execPath, [new URL(import.meta.url).pathname, v, String(port)], { stdio: ['ignore', devnull, 'inherit'], cwd: new URL('..', import.meta.url).pathname });
    kids[v] = { child, url: `http://127.0.0.1:${port}` };
  }
  await new Promise((r) => setTimeout(r, 2500));
  const body = JSON.stringify({ subject: { id: 'alice', groups: ['oracle-ai-users'] }, resource: { type: 'chat', id: 'room-1' }, action: 'read' });
  const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
  const run = (url, d) => new Promise((res, rej) => autocannon({ url: url + '/v1/decide', method: 'POST', connections: 50, duration: d, headers: { 'content-type': 'application/json' }, body }, (e, r) => (e ? rej(e) : res(r))));
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    for (const v of variants) {
      await run(kids[v].url, 1);
      const c0 = cpu(kids[v].child.pid);
      const r = await run(kids[v].url, 3);
      const us = ((cpu(kids[v].child.pid) - c0) * 1000) / r.requests.total;
      results[v].push({ us, rps: r.requests.average, non2xx: r.non2xx });
    }
  }
  for (const v of variants) {
    const us = results[v].map((x) => x.us).sort((a, b) => a - b);
    console.log(v.padEnd(16), 'cpu/req', us.map((x) => x.toFixed(1)).join(' '), ' rps', results[v].map((x) => Math.round(x.rps)).join(' '), results[v][0].non2xx ? `non2xx ${results[v][0].non2xx}` : '');
  }
  for (const k of Object.values(kids)) k.child.kill();
}
