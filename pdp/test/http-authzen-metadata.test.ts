/**
 * AuthZEN Policy Decision Point metadata (GET /.well-known/authzen-configuration) over real HTTP:
 * from PDP_PUBLIC_URL, or from a loopback Host when the PDP serves without caller tokens, and a
 * 404 naming PDP_PUBLIC_URL otherwise; every endpoint it names is served.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/runtime/config.js';
import { ConfigError } from '../src/common/errors.js';
import { get, post, startTestPdp, type TestPdp } from './http-helpers.js';

const PATH = '/.well-known/authzen-configuration';
const ENDPOINTS = ['access_evaluation_endpoint', 'access_evaluations_endpoint', 'search_subject_endpoint', 'search_resource_endpoint', 'search_action_endpoint'];

/** GET with a Host header of our choosing (fetch does not let one be set). */
function getWithHost(base: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(PATH, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let open: TestPdp;
let named: TestPdp;
let unnamed: TestPdp;
beforeAll(async () => {
  open = await startTestPdp();
  named = await startTestPdp({ clientTokens: ['t1'], publicUrl: 'https://PDP.example.com:443/authz/' });
  unnamed = await startTestPdp({ clientTokens: ['t1'] });
});
afterAll(async () => {
  await Promise.all([open.stop(), named.stop(), unnamed.stop()]);
});

describe('GET /.well-known/authzen-configuration', () => {
  test('PDP_PUBLIC_URL is the identifier and the base of every endpoint; no caller token needed', async () => {
    const res = await get(named.url, PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(res.body).toEqual({
      policy_decision_point: 'https://pdp.example.com/authz',
      access_evaluation_endpoint: 'https://pdp.example.com/authz/access/v1/evaluation',
      access_evaluations_endpoint: 'https://pdp.example.com/authz/access/v1/evaluations',
      search_subject_endpoint: 'https://pdp.example.com/authz/access/v1/search/subject',
      search_resource_endpoint: 'https://pdp.example.com/authz/access/v1/search/resource',
      search_action_endpoint: 'https://pdp.example.com/authz/access/v1/search/action',
    });
  });

  test('without caller tokens and without PDP_PUBLIC_URL: this loopback address, and every endpoint named is served', async () => {
    const res = await get(open.url, PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('vary')).toBe('Host');
    expect(res.body.policy_decision_point).toBe(open.url);
    expect(Object.keys(res.body).sort()).toEqual(['policy_decision_point', ...ENDPOINTS].sort());
    for (const name of ENDPOINTS) {
      const answer = await post(res.body[name], '', {});
      // Served: an empty body is a schema error there, not a missing route.
      expect(answer.status, name).toBe(400);
      expect(answer.body.code, name).toBe('validation_failed');
    }
    const local = await getWithHost(open.url, `localhost:${open.port}`);
    expect(JSON.parse(local.body).policy_decision_point).toBe(`http://localhost:${open.port}`);
  });

  test('a Host that only looks like a loopback one names nothing', async () => {
    for (const host of [`127.0.0.1:${open.port}@evil.example`, `127.0.0.1:${open.port}/x`, '127.0.0.1:99999']) {
      const res = await getWithHost(open.url, host);
      expect(res.status, host).toBe(404);
      expect(res.body).not.toContain('evil');
    }
  });

  test('with caller tokens and no PDP_PUBLIC_URL: a 404 that says what to set', async () => {
    const res = await get(unnamed.url, PATH);
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('PDP_PUBLIC_URL');
  });
});

describe('PDP_PUBLIC_URL', () => {
  test('is written as origin and path without a trailing slash', () => {
    const config = loadConfig({ env: { PDP_PUBLIC_URL: ' https://PDP.Example.com:8443/ ' } });
    expect(config.publicUrl).toBe('https://pdp.example.com:8443');
    expect(loadConfig({ env: {} }).publicUrl).toBeUndefined();
  });

  test.each(['pdp.example.com', 'ftp://pdp.example.com', 'https://pdp.example.com/?tenant=1', 'https://pdp.example.com/#x', 'https://user:pw@pdp.example.com'])('%s is refused, naming the variable', (value) => {
    let err: unknown;
    try {
      loadConfig({ env: { PDP_PUBLIC_URL: value } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['PDP_PUBLIC_URL']);
  });
});
