/**
 * The closure form of json-logic conditions (logic.ts `compileFast`) must evaluate exactly as
 * json-logic-js does: same value, same truthiness, and a throw where json-logic-js throws. Checked
 * on random expressions over the covered operators (and some it leaves to json-logic-js) and on
 * random resolved values, including the awkward ones for loose equality and `in`.
 */
import fc from 'fast-check';
import jsonLogicModule from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { compileFast, compileLogic, runLogic } from '../src/engine/logic.js';
import { COVERAGE_SEED } from './reference.js';

const jsonLogic = jsonLogicModule as unknown as { apply(logic: unknown, data: unknown): unknown; truthy(v: unknown): boolean };

const SLOTS = 3;

const literal = fc.oneof(
  fc.constantFrom(null, true, false, 0, 1, -1, '', '0', '1', 'a', 'suspended', 'true', 'null', '1,2', 'a,b'),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 3 }),
);
const literalArray = fc.array(literal, { maxLength: 3 });

/** Values a path may resolve to (JSON values, or undefined when absent). */
const value: fc.Arbitrary<unknown> = fc.oneof(
  literal,
  fc.constant(undefined),
  literalArray,
  fc.constant({}),
  fc.constant({ toString: 1 }),
  fc.constant({ indexOf: 'x' }),
  fc.dictionary(fc.constantFrom('a', 'b'), literal, { maxKeys: 2 }),
  fc.array(literalArray, { maxLength: 2 }),
);

const slot = fc.integer({ min: 0, max: SLOTS - 1 }).map(String);
const varNode = fc.oneof(
  slot.map((s) => ({ var: s })),
  fc.tuple(slot, literal).map(([s, d]) => ({ var: [s, d] })),
  fc.tuple(slot, literalArray).map(([s, d]) => ({ var: [s, d] })), // left to json-logic-js
);

const { expr } = fc.letrec<{ expr: unknown }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    varNode,
    literal,
    literalArray,
    fc.tuple(fc.constantFrom('==', '===', '!=', '!==', 'in'), tie('expr'), tie('expr')).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(fc.constantFrom('!', '!!'), tie('expr')).map(([op, a]) => ({ [op]: [a] })),
    fc.tuple(fc.constantFrom('!', '!!'), tie('expr')).map(([op, a]) => ({ [op]: a })),
    fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('expr'), { maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    // Arities and operators the closures leave to json-logic-js.
    fc.tuple(fc.constantFrom('==', 'in', '!'), fc.array(tie('expr'), { maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => ({ '<': [a, b] })),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, c]) => ({ if: [a, b, c] })),
  ),
}));

type Outcome = { threw: true; message: string } | { threw: false; value: unknown };

function outcome(fn: () => unknown): Outcome {
  try {
    return { threw: false, value: fn() };
  } catch (err) {
    return { threw: true, message: (err as Error).message };
  }
}

describe('json-logic closures (compileFast)', () => {
  it('evaluate to what json-logic-js evaluates, throws included', () => {
    let compiled = 0;
    const property = fc.property(expr, fc.array(value, { minLength: SLOTS, maxLength: SLOTS }), (logic, values) => {
      const fast = compileFast(logic);
      if (fast === null) return;
      compiled++;
      const expected = outcome(() => jsonLogic.apply(logic, values));
      const actual = outcome(() => fast(values));
      expect(actual.threw).toBe(expected.threw);
      // A throw's message becomes a deny reason, so it must be the same too.
      if (actual.threw && expected.threw) expect(actual.message).toBe(expected.message);
      if (!actual.threw && !expected.threw) {
        expect(actual.value).toStrictEqual(expected.value);
        expect(jsonLogic.truthy(actual.value)).toBe(jsonLogic.truthy(expected.value));
      }
    });
    fc.assert(property, { numRuns: 1500, seed: COVERAGE_SEED });
    const covered = compiled;
    fc.assert(property, { numRuns: 1500 });
    // The generator must exercise the closures, not only the fallback.
    expect(covered).toBeGreaterThan(500);
  });

  it('cover the shapes policies use, and leave the rest to json-logic-js', () => {
    expect(compileFast({ '==': [{ var: '0' }, 'suspended'] })).not.toBeNull();
    expect(compileFast({ '!!': { var: '0' } })).not.toBeNull();
    expect(compileFast({ in: [{ var: '0' }, ['a', 'b']] })).not.toBeNull();
    expect(compileFast({ and: [{ '==': [{ var: '0' }, 1] }, { '!': [{ var: '1' }] }] })).not.toBeNull();
    expect(compileFast({ '<': [{ var: '0' }, 3] })).toBeNull();
    expect(compileFast({ '==': [{ var: '0' }, 1, 2] })).toBeNull();
    expect(compileFast({ in: [{ var: '0' }, ['a', { var: '1' }]] })).toBeNull();
  });

  it('runLogic gives the same answer through either path', () => {
    const compiled = compileLogic({ '==': [{ var: 'subject.claims.account_status' }, 'suspended'] });
    expect(compiled.fast).not.toBeNull();
    const slow = { ...compiled, fast: null };
    for (const v of ['suspended', 'active', undefined, null, ['suspended'], 0]) {
      expect(runLogic(compiled, [v])).toBe(runLogic(slow, [v]));
    }
    expect(runLogic(compiled, ['suspended'])).toBe(true);
    expect(runLogic(compiled, [['suspended']])).toBe(true); // loose equality, as json-logic-js
    expect(runLogic(compiled, ['active'])).toBe(false);
  });
});
