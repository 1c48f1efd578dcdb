/**
 * The SQL translation against a real Postgres (PGlite: Postgres compiled to WebAssembly, in
 * process, no network): for random policies, subjects and rows, the rows the WHERE clause selects
 * are exactly the rows the JavaScript predicate accepts and exactly the rows the PDP's engine
 * allows one by one. Subjects and rows carry hostile strings (quotes, `'; drop table`, unicode),
 * and a canary table must survive them.
 */
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { checkPolicySources, compile, decide, plan, type Policy } from '@oracle-ai/pdp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planToPredicate, planToSql, type SqlOptions } from '../src/index.js';

const HOSTILE = ["'; drop table canary; --", "o'brien", '"quoted"', 'ünï😀', '\\x', '', 'alice', 'bob', '%', '_'];
const OWNERS = ['alice', 'bob', "o'brien", "'; drop table canary; --", 'ünï😀', ''];
const TAGS = ['red', 'blue', 'ünï😀', "it's", ''];

const columns: SqlOptions['columns'] = {
  'resource.id': { column: 'id', type: 'text' },
  'resource.attributes.owner': { column: 'owner', type: 'text' },
  'resource.attributes.tag': { column: 'tag', type: 'text' },
  'resource.attributes.level': { column: 'level', type: 'number' },
  'resource.attributes.archived': { column: 'archived', type: 'boolean' },
};

// ---------- conditions the translator supports, typed per attribute ----------
const v = (path: string) => ({ var: path });
const text = fc.constantFrom('resource.attributes.owner', 'resource.attributes.tag', 'resource.id').map(v);
const textValue = fc.oneof(fc.constantFrom<unknown>(...HOSTILE, null), fc.constant(v('subject.id')));
const numberValue = fc.oneof(fc.constantFrom<unknown>(-1, 0, 1, 2.5, 3, null), fc.constant(v('subject.claims.level')));
const leafArb = fc.oneof(
  fc.tuple(fc.constantFrom('==', '===', '!=', '!=='), text, textValue).map(([op, a, b]) => ({ [op]: [a, b] })),
  fc.tuple(fc.constantFrom('==', '===', '!=', '!=='), fc.constant(v('resource.attributes.level')), numberValue).map(([op, a, b]) => ({ [op]: [b, a] })),
  fc.tuple(fc.constantFrom('==', '!='), fc.constant(v('resource.attributes.archived')), fc.constantFrom(true, false, null)).map(([op, a, b]) => ({ [op]: [a, b] })),
  fc.tuple(fc.constantFrom('<', '<=', '>', '>='), fc.oneof(fc.constantFrom<unknown>(-1, 0, 2, 3), fc.constant(v('subject.claims.level')))).map(([op, n]) => ({ [op]: [v('resource.attributes.level'), n] })),
  fc.tuple(text, fc.subarray([...OWNERS, null])).map(([a, list]) => ({ in: [a, list] })),
  fc.tuple(fc.constantFrom('r', "'", 'ü', '', 'b'), fc.constantFrom('resource.attributes.owner', 'resource.attributes.tag')).map(([s, p]) => ({ in: [s, v(p)] })),
  fc.constantFrom('resource.attributes.archived', 'resource.attributes.owner', 'resource.attributes.level').map((p) => ({ '!!': v(p) })),
  fc.constantFrom('subject.claims.flag').map((p) => ({ '!!': v(p) })),
);
const { cond: conditionArb } = fc.letrec<{ cond: unknown }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small' },
    leafArb,
    tie('cond').map((c) => ({ '!': c })),
    fc.tuple(fc.constantFrom('and', 'or'), tie('cond'), tie('cond')).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(tie('cond'), tie('cond'), tie('cond')).map(([c, a, b]) => ({ if: [c, a, b] })),
  ),
}));
const rulesArb = fc.array(
  fc.record({ effect: fc.constantFrom<'allow' | 'deny'>('allow', 'allow', 'deny'), when: conditionArb }, { requiredKeys: ['effect'] }),
  { minLength: 1, maxLength: 4 },
);
const subjectArb = fc.record({ id: fc.constantFrom(...OWNERS.filter((o) => o !== '')), claims: fc.record({ level: fc.constantFrom(0, 1, 2, 3), flag: fc.boolean() }) });

// Attributes: each column either a value of its type, null, or absent (NULL in the table).
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof(arb, fc.constant(null)), { nil: undefined });
const rowArb = fc.record({
  owner: maybe(fc.constantFrom(...OWNERS)),
  tag: maybe(fc.constantFrom(...TAGS)),
  level: maybe(fc.constantFrom(-1, 0, 1, 2, 2.5, 3, 10)),
  archived: maybe(fc.boolean()),
});

let db: PGlite;
beforeAll(async () => {
  db = new PGlite();
  await db.exec('CREATE TABLE docs (id text PRIMARY KEY, owner text, tag text, level float8, archived boolean); CREATE TABLE canary (x int);');
  // Postgres starts in WebAssembly: seconds on an idle machine, more on a busy one.
}, 120_000);
afterAll(async () => {
  await db.close();
});

describe('planToSql on Postgres (PGlite)', () => {
  it('selects exactly the rows the predicate accepts and the engine allows', async () => {
    let conditional = 0;
    const property = fc.asyncProperty(rulesArb, subjectArb, fc.array(rowArb, { minLength: 1, maxLength: 25 }), async (rules, subject, rows) => {
      const policy: Policy = { id: 'docs', resource: 'doc', rules: rules.map((r, i) => ({ id: `r${i}`, actions: ['read'], ...r })) };
      const loaded = checkPolicySources({ policies: [{ file: 'docs.json', text: JSON.stringify(policy) }] });
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 2)));
      const compiled = compile(loaded.policySet);
      const p = plan(compiled, { subject, action: 'read', resourceType: 'doc' });
      if (p.kind === 'conditional') conditional++;
      const where = planToSql(p, { columns });
      const predicate = planToPredicate(p);

      await db.exec('DELETE FROM docs');
      const resources = rows.map((row, i) => ({
        id: `doc-${i}${HOSTILE[i % HOSTILE.length]}`,
        attributes: Object.fromEntries(Object.entries(row).filter(([, x]) => x !== undefined)),
      }));
      for (const r of resources) {
        const a = r.attributes as Record<string, unknown>;
        await db.query('INSERT INTO docs VALUES ($1, $2, $3, $4, $5)', [r.id, a.owner ?? null, a.tag ?? null, a.level ?? null, a.archived ?? null]);
      }
      const selected = (await db.query<{ id: string }>(`SELECT id FROM docs WHERE ${where.text} ORDER BY id`, where.values)).rows.map((r) => r.id);
      const byPredicate = resources.filter((r) => predicate(r)).map((r) => r.id).sort(byCodeUnit);
      const byEngine = resources.filter((r) => decide(compiled, { subject, action: 'read', resource: { type: 'doc', ...r } }).allow).map((r) => r.id).sort(byCodeUnit);
      const context = JSON.stringify({ plan: p, where });
      expect(byPredicate, context).toEqual(byEngine);
      expect([...selected].sort(byCodeUnit), context).toEqual(byEngine);
    });
  // Half the cases from a fixed seed, and only those counted: how many conditional plans random
  // cases reach varies from run to run, and a check on it would fail at random. The other half
  // is random, to keep exploring (fast-check prints the seed of a failing case).
    await fc.assert(property, { numRuns: 75, seed: 20261201 });
    const covered = conditional;
    await fc.assert(property, { numRuns: 75 });
    expect(covered).toBeGreaterThan(25);
    // The hostile strings were values, never SQL.
    expect((await db.query('SELECT count(*)::int AS n FROM canary')).rows).toEqual([{ n: 0 }]);
  }, 240_000);
});

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
