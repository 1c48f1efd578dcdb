/**
 * The translators on fixed conditions: the SQL text holds only quoted mapped identifiers and `$n`
 * placeholders (hostile values travel as parameters), what cannot be translated exactly throws,
 * and the predicate reads own properties only and denies where the condition throws.
 */
import { describe, expect, it } from 'vitest';
import { checkCondition, conditionToSql, planToPredicate, planToSql, PdpClientError, type SqlOptions } from '../src/index.js';

const options: SqlOptions = {
  columns: {
    'resource.id': { column: 'id', type: 'text' },
    'resource.attributes.owner': { column: ['d', 'owner'], type: 'text' },
    'resource.attributes.level': { column: 'level', type: 'number' },
    'resource.attributes.archived': { column: 'archived', type: 'boolean' },
    'resource.attributes.weird': { column: 'we"ird', type: 'text' },
  },
};
const owner = { var: 'resource.attributes.owner' };
const HOSTILE = ["'; drop table docs; --", 'o\'brien "x"', '$1', 'ünïcödé 😀 \u202e', '\\', ''];

describe('planToSql', () => {
  it('always kinds are constants', () => {
    expect(planToSql({ kind: 'always_allowed' }, options)).toEqual({ text: 'TRUE', values: [] });
    expect(planToSql({ kind: 'always_denied' }, options)).toEqual({ text: 'FALSE', values: [] });
  });

  it('translates a typical plan, values as parameters only', () => {
    const where = planToSql({ kind: 'conditional', condition: { and: [{ '!': { '==': [{ var: 'resource.attributes.archived' }, true] } }, { '==': [owner, 'alice'] }] } }, options);
    expect(where.text).toBe('((NOT ("archived" IS NOT NULL AND "archived" = $1::boolean)) AND ("d"."owner" IS NOT NULL AND "d"."owner" = $2::text))');
    expect(where.values).toEqual([true, 'alice']);
  });

  it.each(HOSTILE)('never puts a value in the SQL text: %j', (value) => {
    for (const condition of [{ '==': [owner, value] }, { in: [owner, [value, 'x']] }, { in: [value, owner] }, { '!==': [value, { var: 'resource.id' }] }]) {
      const where = conditionToSql(condition, options);
      expect(where.values.flat()).toContain(value);
      // Only quoted identifiers, placeholders, keywords and operators remain.
      const stripped = where.text.replace(/"(?:[^"]|"")*"/g, 'ID').replace(/\$\d+::[a-z0-9[\]]+/g, 'P');
      expect(stripped).toMatch(/^[A-Za-z_ ()=<>!,.0-9']*$/);
      // (A placeholder such as $1 is in the text as itself; longer values must not be.)
      if (value.length > 2) expect(where.text).not.toContain(value);
    }
  });

  it('quotes identifiers from the column map, doubling quotes', () => {
    expect(conditionToSql({ var: 'resource.attributes.weird' }, options).text).toBe(`("we""ird" IS NOT NULL AND "we""ird" <> '')`);
  });

  it('numbers the parameters from firstParameter', () => {
    expect(conditionToSql({ '<': [{ var: 'resource.attributes.level' }, 3] }, { ...options, firstParameter: 4 })).toEqual({ text: '(COALESCE("level", 0) < $4::float8)', values: [3] });
  });

  it.each([
    [{ '==': [{ var: 'resource.attributes.secret' }, 'x'] }, /no column is mapped for resource\.attributes\.secret/],
    [{ '==': [owner, 5] }, /loose equality/],
    [{ '<': [owner, 'b'] }, /number columns only/],
    [{ '==': [{ cat: [owner, 'x'] }, 'ax'] }, /boolean position/],
    [{ '==': [{ var: ['resource.attributes.owner', 'z'] }, 'z'] }, /default/],
    [{ '==': [owner, { var: 'resource.id' }] }, /two columns/],
    [{ method: [owner, 'toString'] }, /not allowed/],
    [{ '==': [{ var: 'subject.id' }, 'x'] }, /resource\.id or resource\.attributes/],
    [{ '==': [{ var: 'resource.attributes.__proto__' }, 'x'] }, /forbidden/],
    [{ '?:': [owner, true, false] }, /JavaScript truthiness/],
    [{ '==': [owner, 'a'], x: 1 }, /exactly one key/],
  ])('refuses %j', (condition, message) => {
    expect(() => conditionToSql(condition, options)).toThrow(PdpClientError);
    expect(() => conditionToSql(condition, options)).toThrow(message);
  });

  it('is exact where strict equality cannot hold, and for in on a non-text column', () => {
    expect(conditionToSql({ '===': [{ var: 'resource.attributes.level' }, 'x'] }, options).text).toBe('FALSE');
    expect(conditionToSql({ in: ['x', { var: 'resource.attributes.level' }] }, options).text).toBe('FALSE');
    expect(conditionToSql({ in: [owner, [null, 1]] }, options).text).toBe('(("d"."owner" IS NULL))');
  });
});

describe('planToPredicate', () => {
  it('runs the condition on own properties only, and denies where it throws', () => {
    const p = planToPredicate({ kind: 'conditional', condition: { '==': [owner, 'alice'] } });
    expect(p({ attributes: { owner: 'alice' } })).toBe(true);
    expect(p({ attributes: { owner: 'bob' } })).toBe(false);
    expect(p({})).toBe(false);
    expect(p({ attributes: { owner: { toString: 1 } as unknown as string } })).toBe(false);
    const inherited = planToPredicate({ kind: 'conditional', condition: { '!!': { var: 'resource.attributes.toString' } } });
    expect(inherited({ attributes: {} })).toBe(false);
    expect(planToPredicate({ kind: 'always_allowed' })({})).toBe(true);
    expect(planToPredicate({ kind: 'always_denied' })({})).toBe(false);
  });

  it('refuses conditions that are no residual', () => {
    expect(() => checkCondition({ data: ['users', 'x'] })).toThrow(/not allowed/);
    expect(() => planToPredicate({ kind: 'conditional', condition: { var: 'context.x' } })).toThrow(PdpClientError);
  });
});
