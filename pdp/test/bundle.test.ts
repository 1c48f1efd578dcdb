/**
 * Bundles end to end through the built CLI and the one loader: `pdp build` (signed with each
 * algorithm), the same revision as the directory, check/test/eval on a bundle, and every way a
 * bundle is refused (altered file, altered manifest, another key, unsigned, wrong typ, version).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompactSign } from 'jose';
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPublicKeys } from '../src/bundle/keys.js';
import { loadPolicies } from '../src/policy/loader.js';
import { canonicalJson } from '../src/policy/revision.js';
import { signedClaims } from '../src/bundle/format.js';
import { build, pdp, policySet, removeAll, tamper, tempDir, writeKeyPair, writePolicyDir, type KeyFiles } from './bundle-helpers.js';

const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));

const made: string[] = [];
let work: string;
let key: KeyFiles;
let other: KeyFiles;
let signed: string;

beforeAll(async () => {
  work = await tempDir();
  made.push(work);
  key = await writeKeyPair(work, 'release');
  other = await writeKeyPair(work, 'other');
  signed = path.join(work, 'signed.json');
  await build(POLICIES, signed, key.privatePem);
});
afterAll(() => removeAll(made));

async function errorsOf(file: string, publicPem?: string): Promise<string[]> {
  const result = await loadPolicies(file, publicPem === undefined ? {} : { bundleKeys: await readPublicKeys(publicPem) });
  return result.ok ? [] : result.errors.map((e) => `${e.file}:${e.pointer}: ${e.message}`);
}

describe('pdp build', () => {
  it('packs the directory with its revision, a manifest and a signature that verifies', async () => {
    const dirCheck = await pdp(['check', POLICIES, '--json']);
    const bundleCheck = await pdp(['check', signed, '--json']);
    expect(bundleCheck.code).toBe(0);
    expect(JSON.parse(bundleCheck.stdout).revision).toBe(JSON.parse(dirCheck.stdout).revision);

    const doc = JSON.parse(await readFile(signed, 'utf8'));
    expect(doc).toMatchObject({ format: 'pdp-bundle', version: 1, revision: JSON.parse(dirCheck.stdout).revision });
    expect(Date.parse(doc.builtAt)).toBeGreaterThan(Date.now() - 60_000);
    const paths = doc.manifest.map((m: { path: string }) => m.path);
    expect(paths).toEqual(expect.arrayContaining(['chat.json', 'roles.json', 'schema.json', 'tests/chat.json']));
    const chat = await readFile(path.join(POLICIES, 'chat.json'));
    expect(doc.manifest.find((m: { path: string }) => m.path === 'chat.json')).toMatchObject({ size: chat.length });
    expect(await errorsOf(signed, key.publicPem)).toEqual([]);
  });

  it.each(['ed25519', 'rsa'] as const)('signs with a %s key too, and the kid travels in the JWS', async (type) => {
    const k = await writeKeyPair(work, `k-${type}`, type);
    const out = path.join(work, `${type}.json`);
    const r = await pdp(['build', POLICIES, '-o', out, '--sign', k.privatePem, '--kid', `release-${type}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`kid release-${type}`);
    const header = JSON.parse(Buffer.from(JSON.parse(await readFile(out, 'utf8')).signature.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: type === 'rsa' ? 'RS256' : 'EdDSA', kid: `release-${type}`, typ: 'pdp-bundle+jws' });
    expect(await errorsOf(out, k.publicPem)).toEqual([]);
    expect(await errorsOf(out, key.publicPem)).toEqual([expect.stringContaining('no configured bundle public key verifies the signature')]);
  });

  it('takes the private key as a JWK file as well', async () => {
    const jwk = createPrivateKey(await readFile(key.privatePem, 'utf8')).export({ format: 'jwk' });
    const jwkFile = path.join(work, 'release.jwk.json');
    await writeFile(jwkFile, JSON.stringify({ ...jwk, kid: 'from-jwk' }));
    const out = path.join(work, 'jwk.json');
    const r = await pdp(['build', POLICIES, '-o', out, '--sign', jwkFile]);
    expect(r.stdout).toContain('signed ES256, kid from-jwk');
    expect(await errorsOf(out, key.publicPem)).toEqual([]);
  });

  it('refuses an invalid directory, listing every error, and writes nothing', async () => {
    const dir = await tempDir();
    made.push(dir);
    await writePolicyDir(dir, { 'one.json': { id: 'one', resource: 'doc', rules: [{ id: 'r', effect: 'maybe', actions: ['read'] }] }, 'two.json': { id: 'one' } });
    const out = path.join(dir, 'out.json');
    const r = await pdp(['build', dir, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/one\.json:\/rules\/0\/effect/);
    expect(r.stderr).toMatch(/two\.json/);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('-o is required; --kid needs --sign', async () => {
    expect((await pdp(['build', POLICIES])).code).toBe(2);
    expect((await pdp(['build', POLICIES, '-o', path.join(work, 'x.json'), '--kid', 'k'])).code).toBe(2);
  });
});

describe('a bundle is refused when', () => {
  it('a file was altered after signing (even with the signature ignored)', async () => {
    const out = path.join(work, 'tampered.json');
    const expected = ['two.json:: does not match the manifest (size or sha256): the bundle was altered or damaged'];
    // policySet's two.json is not in the demo policies: tamper a bundle that has it.
    const dir = await tempDir();
    made.push(dir);
    await writePolicyDir(dir, policySet('a'));
    const original = path.join(dir, 'a.json');
    await build(dir, original, key.privatePem);
    await tamper(original, out);
    expect(await errorsOf(out, key.publicPem)).toEqual(expected);
    expect(await errorsOf(out)).toEqual(expected);
    const check = await pdp(['check', out]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(expected[0]);
  });

  it('the manifest and the files were altered together (the revision no longer matches)', async () => {
    const doc = JSON.parse(await readFile(signed, 'utf8'));
    doc.files['chat.json'] = doc.files['chat.json'].replace('suspended', 'suspendid');
    const entry = doc.manifest.find((m: { path: string }) => m.path === 'chat.json');
    entry.size = Buffer.byteLength(doc.files['chat.json']);
    entry.sha256 = (await import('node:crypto')).createHash('sha256').update(doc.files['chat.json']).digest('hex');
    const out = path.join(work, 'remanifested.json');
    await writeFile(out, JSON.stringify(doc));
    // With a key: the signed manifest digest no longer fits. Without: the revision does not.
    expect(await errorsOf(out, key.publicPem)).toEqual([expect.stringMatching(/^\.:\/signature: the signature is valid but does not cover this bundle/)]);
    expect(await errorsOf(out)).toEqual([expect.stringMatching(/^\.:\/revision: the files hash to sha256:[0-9a-f]{64}, not to the revision the bundle names/)]);
  });

  it('it is signed by another key, or not signed, while a key is configured', async () => {
    expect(await errorsOf(signed, other.publicPem)).toEqual([expect.stringContaining('.:/signature: no configured bundle public key verifies the signature (kid')]);
    const unsigned = path.join(work, 'unsigned.json');
    await build(POLICIES, unsigned);
    expect(await errorsOf(unsigned, key.publicPem)).toEqual(['.:/signature: the bundle is not signed, and a bundle public key is configured: only signed bundles are accepted']);
    expect(await errorsOf(unsigned)).toEqual([]);
  });

  it('the JWS is not a bundle signature (another typ), or lists an algorithm not accepted', async () => {
    const doc = JSON.parse(await readFile(signed, 'utf8'));
    const payload = new TextEncoder().encode(canonicalJson(signedClaims(doc)));
    const privateKey = createPrivateKey(await readFile(key.privatePem, 'utf8'));
    doc.signature = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(privateKey);
    const out = path.join(work, 'jwt-typ.json');
    await writeFile(out, JSON.stringify(doc));
    expect(await errorsOf(out, key.publicPem)).toEqual([expect.stringContaining('the JWS typ must be "pdp-bundle+jws"')]);
    doc.signature = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'pdp-bundle+jws' })).toString('base64url')}.${Buffer.from(payload).toString('base64url')}.`;
    await writeFile(out, JSON.stringify(doc));
    expect(await errorsOf(out, key.publicPem)).toEqual([expect.stringContaining('algorithm "none" is not accepted')]);
  });

  it('it is another format or version, or not JSON', async () => {
    const out = path.join(work, 'v2.json');
    await writeFile(out, JSON.stringify({ format: 'pdp-bundle', version: 2 }));
    expect(await errorsOf(out)).toEqual([expect.stringContaining('.:/version: unsupported bundle version 2; this pdp reads version 1')]);
    await writeFile(out, '{"format": "opa"}');
    expect(await errorsOf(out)).toEqual(['.:/format: not a policy bundle: "format" must be "pdp-bundle"']);
    await writeFile(out, '{"format": ');
    expect((await errorsOf(out))[0]).toMatch(/^\.:: /);
  });

  it('it carries a path outside the policy layout, or a file the manifest does not list', async () => {
    const doc = JSON.parse(await readFile(signed, 'utf8'));
    doc.manifest.push({ path: '../etc/passwd.json', size: 0, sha256: '0'.repeat(64) });
    doc.files['extra.json'] = '{}';
    const out = path.join(work, 'paths.json');
    await writeFile(out, JSON.stringify(doc));
    expect(await errorsOf(out)).toEqual([
      expect.stringContaining('is not a path a bundle may carry'),
      'extra.json:: in the bundle but not in its manifest',
    ]);
  });
});

describe('check, test and eval take a bundle where they take a directory', () => {
  it('pdp test runs the tests packed in the bundle', async () => {
    const r = await pdp(['test', signed, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, failed: 0 });
    expect(JSON.parse(r.stdout).total).toBeGreaterThan(0);
  });

  it('pdp eval decides against the bundle', async () => {
    const input = path.join(work, 'input.json');
    await writeFile(input, JSON.stringify({ subject: { id: 'alice', groups: ['oracle-ai-users'] }, resource: { type: 'chat' }, action: 'read' }));
    const r = await pdp(['eval', '--policies', signed, '--input', input]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ allow: true, revision: JSON.parse(await readFile(signed, 'utf8')).revision });
  });
});
