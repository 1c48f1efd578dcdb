/**
 * The AuthZEN interop "Search" scenario, end to end: the real PDP serves examples/authzen-search
 * (users and records in data/, the scenario's six rules in record.json) and answers every subject,
 * resource and action search of the interop suite (test/interop/search/, copied from the
 * openid/authzen repository, MIT) over HTTP, compared exactly.
 *
 * The suite was written for a draft (1.0 draft 03) of the AuthZEN Authorization API; where the
 * final 1.0 specification differs, the final one is followed:
 * - ids are strings (the final text makes subject and resource ids strings): the scenario's
 *   records.json has numeric ids, examples/authzen-search/data/record.json keys them as strings,
 *   which is what the suite's requests and answers already use;
 * - the expected answers have no `page`: in the final text a response may leave it out only when
 *   it holds the whole result set, which is what this PDP does when the request sends no `page`
 *   and every result fits one page (checked below: every answer here has at most 20 results);
 * - X-Request-ID: the final text requires the PDP to send the caller's id back; checked on every
 *   search.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { post, startTestPdp, type TestPdp } from '../http-helpers.js';
import { SEARCH_PAGE_SIZE } from '../../src/server/authzen-search.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/authzen-search/', import.meta.url));

interface Case {
  request: Record<string, Record<string, string>>;
  expected: { results: Record<string, string>[] };
}
const suite = (kind: string): Case[] => (JSON.parse(readFileSync(new URL(`./search/${kind}-results.json`, import.meta.url), 'utf8')) as { evaluation: Case[] }).evaluation;
const SUITES = { subject: suite('subject'), resource: suite('resource'), action: suite('action') };

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ dir: EXAMPLE, watch: false });
});
afterAll(async () => {
  await pdp.stop();
});

const label = (request: unknown): string => JSON.stringify(request);

describe('AuthZEN interop Search scenario', () => {
  test('the suites are the whole published ones, with empty and non-empty answers', () => {
    expect(SUITES.subject).toHaveLength(60); // 20 records × view, edit, delete
    expect(SUITES.resource).toHaveLength(18); // 6 users × view, edit, delete
    expect(SUITES.action).toHaveLength(120); // 6 users × 20 records
    const sizes = Object.values(SUITES).flatMap((cases) => cases.map((c) => c.expected.results.length));
    expect(Math.min(...sizes)).toBe(0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(SEARCH_PAGE_SIZE);
  });

  for (const kind of ['subject', 'resource', 'action'] as const) {
    test.each(SUITES[kind].map((c, i) => [i, c] as const))(`${kind} search %i`, async (i, { request, expected }) => {
      const id = `search-${kind}-${i}`;
      const res = await post(pdp.url, `/access/v1/search/${kind}`, request, { 'x-request-id': id });
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('x-request-id')).toBe(id);
      expect(res.body, label(request)).toEqual(expected);
    });
  }

  test('every result is what an evaluation of each candidate allows, and nothing it allows is missing', async () => {
    const users = Object.keys(JSON.parse(readFileSync(new URL('data/user.json', `file://${EXAMPLE}`), 'utf8')) as object);
    for (const { request } of SUITES.subject.filter((_, i) => i % 7 === 0)) {
      const search = await post(pdp.url, '/access/v1/search/subject', request);
      const batch = await post(pdp.url, '/access/v1/evaluations', {
        action: request.action,
        resource: request.resource,
        evaluations: users.map((id) => ({ subject: { type: 'user', id } })),
      });
      const allowed = users.filter((_, i) => batch.body.evaluations[i].decision === true);
      expect(search.body.results.map((r: { id: string }) => r.id), label(request)).toEqual(allowed);
    }
  });

  test('paging through a search with a small limit gives the same results, in the same order', async () => {
    const { request, expected } = SUITES.resource.find((c) => c.expected.results.length === 20) as Case;
    const seen: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await post(pdp.url, '/access/v1/search/resource', { ...request, page: token === undefined ? { limit: 7 } : { limit: 7, token } });
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body)[0]).toBe('page');
      expect(res.body.page.count).toBe(res.body.results.length);
      seen.push(...res.body.results);
      token = res.body.page.next_token;
      pages++;
    } while (token !== '' && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected.results);
  });
});
