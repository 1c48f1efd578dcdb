/**
 * `pdp check BUNDLE --public-key KEY` through the built CLI: the key file read as
 * PDP_BUNDLE_PUBLIC_KEY is (PEM, JWK, JWK Set), and a bundle that is unsigned or signed by
 * another key refused with exactly the errors `pdp serve --bundle` reports for it.
 */
import { createPublicKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, getJson, pdp, policySet, removeAll, serve, tempDir, waitFor, writeKeyPair, writePolicyDir, type KeyFiles } from './bundle-helpers.js';

const made: string[] = [];
let work: string;
let dir: string;
let key: KeyFiles;
const bundles = { signed: '', unsigned: '', otherKey: '' };

beforeAll(async () => {
  work = await tempDir();
  made.push(work);
  key = await writeKeyPair(work, 'release');
  const other = await writeKeyPair(work, 'other');
  dir = path.join(work, 'set');
  await writePolicyDir(dir, policySet('a'));
  bundles.signed = path.join(work, 'signed.json');
  bundles.unsigned = path.join(work, 'unsigned.json');
  bundles.otherKey = path.join(work, 'other-key.json');
  await build(dir, bundles.signed, key.privatePem);
  await build(dir, bundles.unsigned);
  await build(dir, bundles.otherKey, other.privatePem);
}, 60_000);
afterAll(() => removeAll(made));

/** `pdp check --json` with the key: exit code and the errors (or the revision). */
async function checkJson(bundle: string, keyFile: string): Promise<{ code: number; body: { ok: boolean; errors?: unknown[]; revision?: string } }> {
  const r = await pdp(['check', bundle, '--json', '--public-key', keyFile]);
  return { code: r.code, body: JSON.parse(r.stdout) };
}

describe('pdp check BUNDLE --public-key KEY', () => {
  it('passes a bundle signed with the key, given as PEM, as a JWK or in a JWK Set', async () => {
    const jwk = createPublicKey(await readFile(key.publicPem, 'utf8')).export({ format: 'jwk' });
    const jwkFile = path.join(work, 'release.jwk.json');
    const jwksFile = path.join(work, 'release.jwks.json');
    await writeFile(jwkFile, JSON.stringify(jwk));
    await writeFile(jwksFile, JSON.stringify({ keys: [jwk] }));
    const revision = JSON.parse((await pdp(['check', dir, '--json'])).stdout).revision as string;
    for (const keyFile of [key.publicPem, jwkFile, jwksFile]) {
      expect(await checkJson(bundles.signed, keyFile), keyFile).toMatchObject({ code: 0, body: { ok: true, revision } });
    }
    const text = await pdp(['check', bundles.signed, '--public-key', key.publicPem]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`revision ${revision}`);
  });

  it.each([
    ['unsigned', 'the bundle is not signed, and a bundle public key is configured'],
    ['otherKey', 'no configured bundle public key verifies the signature (kid'],
  ] as const)('refuses the %s bundle (exit 1) with the errors pdp serve reports for it', async (name, message) => {
    const bundle = bundles[name];
    const text = await pdp(['check', bundle, '--public-key', key.publicPem]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${bundle}:/signature: ${message}`);
    const { code, body } = await checkJson(bundle, key.publicPem);
    expect(code).toBe(1);

    const server = await serve(['--bundle', bundle], { PDP_BUNDLE_PUBLIC_KEY: key.publicPem });
    try {
      await waitFor(async () => (await getJson(server.url, '/v1/policies')).body.lastError !== null, 10_000);
      expect((await getJson(server.url, '/v1/policies')).body.lastError.errors).toEqual(body.errors);
    } finally {
      await server.stop();
    }
    // Without the key only integrity is checked, as before.
    expect((await pdp(['check', bundle])).code).toBe(0);
  }, 60_000);

  it('a key file that holds no usable key is an error naming it (exit 1), in text and JSON', async () => {
    const notKey = path.join(work, 'not-a-key.json');
    await writeFile(notKey, JSON.stringify({ hello: 'world' }));
    const text = await pdp(['check', bundles.signed, '--public-key', notKey]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${notKey}:: cannot be used as a bundle public key: ${notKey}: key 1 is not a JWK`);
    const missing = path.join(work, 'missing.pem');
    const { code, body } = await checkJson(bundles.signed, missing);
    expect(code).toBe(1);
    expect(body).toEqual({ ok: false, errors: [{ file: missing, pointer: '', message: expect.stringMatching(/^cannot be used as a bundle public key: .*ENOENT/) }] });
  });

  it('--public-key with a policy directory is a usage error (exit 2): a directory has no signature', async () => {
    const r = await pdp(['check', dir, '--public-key', key.publicPem]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--public-key verifies a bundle');
  });
});
