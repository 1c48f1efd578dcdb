// Bundle benchmark: a policy directory of 10,000 generated policies and a data file of 100,000
// users packed with `pdp build`'s library (signed, ES256), the bundle loaded back (verify,
// check, compile) in the process and through the reload worker, then the time from publishing a
// new bundle on a static HTTP server to all three `pdp serve --bundle URL` replicas serving it
// (PDP_BUNDLE_POLL_S=1, so about half a poll period of it is the wait for the next poll).
// `--quick`: 1,000 policies and 10,000 users. Run through `npm run bench -w pdp` (build first).
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { buildBundle } from '../dist/bundle/build.js';
import { readPublicKeys, readSigningKey } from '../dist/bundle/keys.js';
import { compile, loadPolicies } from '../dist/index.js';
import { createWorkerLoader } from '../dist/store/loaders.js';

const quick = process.argv.includes('--quick');
const POLICIES = quick ? 1_000 : 10_000;
const USERS = quick ? 10_000 : 100_000;
const REPLICAS = 3;
const BIN = fileURLToPath(new URL('../bin/pdp.js', import.meta.url));

const ms = (t0) => `${(performance.now() - t0).toFixed(0)} ms`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The policy directory; `tag` goes into every description, so two tags are two revisions. */
async function writeSet(dir, tag) {
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const writes = [];
  for (let i = 0; i < POLICIES; i++) {
    const policy = {
      id: `policy-${i}`,
      description: `generated policy ${i} (${tag})`,
      resource: `type-${i}`,
      rules: [
        { id: 'members-read', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: [`group-${i % 20}`] } } },
        { id: 'editors-write', effect: 'allow', actions: ['write'], when: { in: ['editor', { data: ['users', { var: 'subject.id' }, 'roles'] }] } },
      ],
    };
    writes.push(writeFile(path.join(dir, `policy-${i}.json`), JSON.stringify(policy)));
  }
  await Promise.all(writes);
  const users = {};
  for (let i = 0; i < USERS; i++) users[`user-${i}`] = { email: `user-${i}@example.com`, roles: i % 2 ? ['editor'] : ['viewer'] };
  await writeFile(path.join(dir, 'data', 'users.json'), JSON.stringify(users));
}

function bundleServer() {
  let body = Buffer.alloc(0);
  let etag = '"none"';
  const server = createServer((req, res) => {
    if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag, 'content-length': body.length }).end(body);
  });
  return {
    server,
    publish(next) {
      body = next;
      etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
    },
  };
}

function serve(env) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--decision-log', 'off'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"pdp listening"/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`pdp serve exited (${code})`)));
  });
}

async function revisionOf(url) {
  const res = await fetch(`${url}/readyz`);
  return res.status === 200 ? (await res.json()).revision : null;
}

const work = await mkdtemp(path.join(tmpdir(), 'pdp-bundle-bench-'));
const children = [];
try {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(path.join(work, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(path.join(work, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  const key = await readSigningKey(path.join(work, 'key.pem'));
  const bundleKeys = await readPublicKeys(path.join(work, 'pub.pem'));

  const texts = {};
  const revisions = {};
  for (const tag of ['a', 'b']) {
    const dir = path.join(work, tag);
    await writeSet(dir, tag);
    const t0 = performance.now();
    const built = await buildBundle(dir, { key });
    if (!built.ok) throw new Error(JSON.stringify(built.errors.slice(0, 3)));
    texts[tag] = Buffer.from(JSON.stringify(built.bundle));
    revisions[tag] = built.bundle.revision;
    await writeFile(path.join(work, `${tag}.json`), texts[tag]);
    if (tag === 'a') console.log(`build (${POLICIES} policies, ${USERS} users, signed ES256): ${ms(t0)}, ${mib(texts[tag].length)}`);
  }
  const file = path.join(work, 'a.json');

  let t0 = performance.now();
  const loaded = await loadPolicies(file, { bundleKeys });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
  const verified = performance.now() - t0;
  compile(loaded.policySet);
  console.log(`load in the process: verify + check ${verified.toFixed(0)} ms, with compile ${ms(t0)}`);

  t0 = performance.now();
  const outcome = await createWorkerLoader()(file, undefined, { bundleKeys });
  if (outcome.kind !== 'loaded') throw new Error(JSON.stringify(outcome));
  console.log(`load through the reload worker (off the event loop, compiled in slices): ${ms(t0)}`);

  const { server, publish } = bundleServer();
  publish(texts.a);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/bundle.json`;
  const env = { PDP_BUNDLE: url, PDP_BUNDLE_POLL_S: '1', PDP_BUNDLE_PUBLIC_KEY: path.join(work, 'pub.pem'), PDP_LOG_LEVEL: 'info' };
  t0 = performance.now();
  const replicas = await Promise.all(Array.from({ length: REPLICAS }, () => serve(env).then((r) => (children.push(r.child), r))));
  console.log(`${REPLICAS} replicas started and ready on the bundle: ${ms(t0)}`);

  const revisionB = revisions.b;
  const publishedAt = performance.now();
  publish(texts.b);
  const inForce = await Promise.all(
    replicas.map(async (r) => {
      while ((await revisionOf(r.url)) !== revisionB) await new Promise((resolve) => setTimeout(resolve, 20));
      return performance.now() - publishedAt;
    }),
  );
  inForce.sort((a, b) => a - b);
  console.log(`publish to in force (poll every 1 s): first replica ${inForce[0].toFixed(0)} ms, last ${inForce.at(-1).toFixed(0)} ms`);
  server.closeAllConnections();
  server.close();
  console.log(`bundle file: ${mib((await stat(file)).size)}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
