/**
 * `pdp serve --bundle` as child processes on 127.0.0.1 (the built CLI: build first): a bundle
 * file replaced by a rename, bundles refused while the last good revision keeps serving, a
 * bundle URL polled by three replicas that converge on a new revision without one mixed
 * decision, /readyz before the first good bundle, and the cache a restart falls back on.
 */
import { createPublicKey } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  build,
  getJson,
  pdp,
  policySet,
  probe,
  removeAll,
  serve,
  startBundleServer,
  tamper,
  tempDir,
  waitFor,
  writeKeyPair,
  writePolicyDir,
  type BundleServer,
  type KeyFiles,
  type Serving,
} from './bundle-helpers.js';

const made: string[] = [];
const running: Serving[] = [];
const servers: BundleServer[] = [];
let work: string;
let key: KeyFiles;
let other: KeyFiles;
/** Signed bundles of set A and set B, and their revisions. */
const bundles = { a: '', b: '' };
const revisions = { a: '', b: '' };
/** Bundles that must be refused: B with a file altered, B signed by another key, B unsigned. */
const refused = { tampered: '', otherKey: '', unsigned: '' };

beforeAll(async () => {
  work = await tempDir();
  made.push(work);
  key = await writeKeyPair(work, 'release');
  other = await writeKeyPair(work, 'other');
  for (const tag of ['a', 'b'] as const) {
    const dir = path.join(work, `set-${tag}`);
    await writePolicyDir(dir, policySet(tag));
    bundles[tag] = path.join(work, `${tag}.json`);
    await build(dir, bundles[tag], key.privatePem);
    revisions[tag] = JSON.parse(await readFile(bundles[tag], 'utf8')).revision;
  }
  refused.tampered = path.join(work, 'tampered.json');
  await tamper(bundles.b, refused.tampered);
  refused.otherKey = path.join(work, 'other-key.json');
  await build(path.join(work, 'set-b'), refused.otherKey, other.privatePem);
  refused.unsigned = path.join(work, 'unsigned.json');
  await build(path.join(work, 'set-b'), refused.unsigned);
}, 60_000);
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => removeAll(made));

/** Each refused bundle, and what its refusal says. */
const REFUSALS = [
  [() => refused.tampered, 'does not match the manifest'],
  [() => refused.otherKey, 'no configured bundle public key verifies the signature'],
  [() => refused.unsigned, 'the bundle is not signed'],
] as const;

const A_RULES = 'one/a-rule,two/a-rule';
const B_RULES = 'one/b-rule,two/b-rule';

/** Copies `from` to `to` by writing a temp file and renaming it over `to`, as a deploy does. */
async function replace(from: string, to: string): Promise<void> {
  await writeFile(`${to}.new`, await readFile(from));
  await rename(`${to}.new`, to);
}

describe('pdp serve --bundle FILE', () => {
  it('reloads when the file is replaced; refuses altered, foreign and unsigned bundles and keeps serving', async () => {
    const live = path.join(work, 'live.json');
    await replace(bundles.a, live);
    const one = await serve(['--bundle', live], { PDP_BUNDLE_PUBLIC_KEY: key.publicPem });
    running.push(one);
    expect(await probe(one.url)).toEqual({ revision: revisions.a, rules: A_RULES });
    const view = (await getJson(one.url, '/v1/policies')).body;
    expect(view.source).toMatchObject({ type: 'bundle-file', location: live });
    expect(Date.parse(view.source.fetchedAt)).toBeGreaterThan(0);
    expect(view.data).toEqual([{ name: 'users', entities: 1 }]);

    await replace(bundles.b, live);
    await waitFor(async () => (await probe(one.url)).revision === revisions.b, 5000);
    expect(await probe(one.url)).toEqual({ revision: revisions.b, rules: B_RULES });
    expect((await getJson(one.url, '/v1/policies')).body.data).toEqual([{ name: 'users', entities: 2 }]);

    for (const [bad, message] of REFUSALS) {
      const name = path.basename(bad());
      const file = bad();
      await replace(bundles.a, live);
      await waitFor(async () => {
        const view = (await getJson(one.url, '/v1/policies')).body;
        return view.lastError === null && view.revision === revisions.a;
      }, 5000);
      expect(await probe(one.url), name).toEqual({ revision: revisions.a, rules: A_RULES });
      await replace(file, live);
      await waitFor(async () => ((await getJson(one.url, '/v1/policies')).body.lastError?.errors[0].message ?? '').includes(message), 5000);
      expect(await probe(one.url), name).toEqual({ revision: revisions.a, rules: A_RULES });
    }
    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    expect(metrics).toMatch(/pdp_bundle_fetch_failures_total\{reason="invalid"\} 3/);
    expect(metrics).toContain(`pdp_bundle_info{revision="${revisions.a}",source="${live}"} 1`);
  }, 60_000);

  it('refuses --policies with --bundle, and bundle settings without a bundle, naming each', async () => {
    const both = await pdp(['serve', '--policies', work, '--bundle', bundles.a], { PDP_BUNDLE_POLL_S: '0' });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('--bundle: cannot be used with --policies');
    expect(both.stderr).toContain('PDP_BUNDLE_POLL_S: must be an integer from 1 to 86400');
    const alone = await pdp(['serve', '--policies', work], { PDP_BUNDLE_PUBLIC_KEY: key.publicPem, PDP_BUNDLE: '' });
    expect(alone.stderr).toContain('PDP_BUNDLE_PUBLIC_KEY: has no effect without PDP_BUNDLE');
  });
});

describe('pdp serve --bundle URL', () => {
  it('three replicas converge on a published bundle within two poll periods, never mixing sets, and all refuse bad ones', async () => {
    const server = await startBundleServer();
    servers.push(server);
    server.publish(await readFile(bundles.a));
    const env = { PDP_BUNDLE: server.url, PDP_BUNDLE_POLL_S: '1', PDP_BUNDLE_PUBLIC_KEY: key.publicPem };
    const replicas = await Promise.all([serve([], env), serve([], env), serve([], env)]);
    running.push(...replicas);
    for (const r of replicas) expect(await probe(r.url)).toEqual({ revision: revisions.a, rules: A_RULES });

    // The probe runs throughout: every answer is one whole set, A's rules with A's revision or B's with B's.
    const seen: { revision: string; rules: string }[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) for (const r of replicas) seen.push(await probe(r.url));
    })();

    const publishedAt = Date.now();
    server.publish(await readFile(bundles.b));
    await waitFor(async () => (await Promise.all(replicas.map((r) => probe(r.url)))).every((d) => d.revision === revisions.b), 2000 + 1500, 25);
    const converged = Date.now() - publishedAt;
    // Polls of an unchanged bundle are answered 304, not downloaded again (checked before the
    // refusals below, whose backoff slows the polls down).
    await waitFor(() => Promise.resolve((server.counts[304] ?? 0) > 0), 5000, 25);

    for (const [bad, message] of REFUSALS) {
      server.publish(await readFile(bad()));
      await waitFor(async () => {
        const views = await Promise.all(replicas.map((r) => getJson(r.url, '/v1/policies')));
        return views.every((v) => (v.body.lastError?.errors[0].message ?? '').includes(message) && v.body.revision === revisions.b);
      }, 4000);
    }
    probing = false;
    await prober;

    expect(converged).toBeLessThan(2 * 1000 + 1500);
    const wholeSets = seen.filter((d) => (d.revision === revisions.a && d.rules === A_RULES) || (d.revision === revisions.b && d.rules === B_RULES));
    expect(seen.length).toBeGreaterThan(30);
    expect(wholeSets).toEqual(seen);
    expect(seen.some((d) => d.revision === revisions.a) && seen.some((d) => d.revision === revisions.b)).toBe(true);
    for (const r of replicas) {
      const view = (await getJson(r.url, '/v1/policies')).body;
      expect(view.source).toMatchObject({ type: 'bundle-url', location: server.url });
      expect(view.lastError.errors[0].message).toContain('the bundle is not signed');
      expect(await probe(r.url)).toEqual({ revision: revisions.b, rules: B_RULES });
    }
  }, 60_000);

  it('verifies with a JWKS URL as the public key, and a key rotated in the JWKS takes effect without a restart', async () => {
    const server = await startBundleServer();
    servers.push(server);
    const jwk = async (file: string, kid: string) => ({ ...(createPublicKey(await readFile(file, 'utf8')).export({ format: 'jwk' }) as object), kid });
    const jwksUrl = server.publishJwks(JSON.stringify({ keys: [await jwk(key.publicPem, 'release')] }));
    server.publish(await readFile(bundles.a));
    const replica = await serve([], { PDP_BUNDLE: server.url, PDP_BUNDLE_POLL_S: '1', PDP_BUNDLE_PUBLIC_KEY: jwksUrl });
    running.push(replica);
    expect(await probe(replica.url)).toEqual({ revision: revisions.a, rules: A_RULES });
    // B signed by the other key: refused until the JWKS lists that key too.
    server.publish(await readFile(refused.otherKey));
    await waitFor(async () => ((await getJson(replica.url, '/v1/policies')).body.lastError?.errors[0].message ?? '').includes('no configured bundle public key'), 6000);
    expect(await probe(replica.url)).toEqual({ revision: revisions.a, rules: A_RULES });
    server.publishJwks(JSON.stringify({ keys: [await jwk(key.publicPem, 'release'), await jwk(other.publicPem, 'next')] }));
    await waitFor(async () => (await probe(replica.url)).revision === revisions.b, 8000);
    expect(await probe(replica.url)).toEqual({ revision: revisions.b, rules: B_RULES });
  }, 60_000);

  it('is not ready until a first good bundle arrives; with a cache, a restart serves while the bundle server is down', async () => {
    const server = await startBundleServer();
    servers.push(server);
    const cache = path.join(work, 'cache', 'bundle.json');
    const env = { PDP_BUNDLE: server.url, PDP_BUNDLE_POLL_S: '1', PDP_BUNDLE_PUBLIC_KEY: key.publicPem, PDP_BUNDLE_CACHE: cache };
    const first = await serve([], env);
    running.push(first);
    expect((await getJson(first.url, '/readyz')).status).toBe(503);
    expect((await getJson(first.url, '/v1/policies')).body.lastError.errors[0].message).toContain('answered HTTP 404');
    server.publish(await readFile(refused.otherKey));
    await waitFor(async () => ((await getJson(first.url, '/v1/policies')).body.lastError?.errors[0].message ?? '').includes('no configured bundle public key'), 6000);
    expect((await getJson(first.url, '/readyz')).status).toBe(503);
    server.publish(await readFile(bundles.a));
    // Backing off after two failures: up to 4 s (with jitter) before the next poll.
    await waitFor(async () => (await getJson(first.url, '/readyz')).status === 200, 8000);
    await first.stop();
    await server.close();
    servers.splice(0);

    const restarted = await serve([], env);
    running.push(restarted);
    expect((await getJson(restarted.url, '/readyz')).status).toBe(200);
    expect(await probe(restarted.url)).toEqual({ revision: revisions.a, rules: A_RULES });
    await waitFor(async () => (await getJson(restarted.url, '/v1/policies')).body.lastError !== null, 4000);
    expect((await getJson(restarted.url, '/v1/policies')).body.lastError.errors[0].message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/bundle\.json failed/);
    expect(await probe(restarted.url)).toEqual({ revision: revisions.a, rules: A_RULES });
  }, 60_000);
});
