import { describe, expect, it } from 'vitest';
import { conditionText, varsOf } from './condition-text';

describe('conditionText', () => {
  it.each([
    [{ '==': [{ var: 'subject.claims.account_status' }, 'suspended'] }, 'subject.claims.account_status = "suspended"'],
    [{ '!=': [{ var: 'resource.owner' }, { var: 'subject.id' }] }, 'resource.owner ≠ subject.id'],
    [{ in: [{ var: 'action.name' }, ['read', 'write']] }, 'action.name in ["read", "write"]'],
    [{ '>=': [{ var: 'context.hour' }, 9] }, 'context.hour ≥ 9'],
    [{ '<': [9, { var: 'context.hour' }, 17] }, '9 < context.hour < 17'],
    [{ '!': { var: 'subject.claims.email_verified' } }, 'not subject.claims.email_verified'],
    [{ '!!': [{ var: 'subject.claims.email' }] }, 'subject.claims.email is truthy'],
    [{ var: ['subject.claims.tier', 'free'] }, 'subject.claims.tier (else "free")'],
    [{ data: ['users', { var: 'subject.id' }, 'team'] }, 'data users[subject.id]["team"]'],
    [{ '+': [1, { '*': [2, 3] }] }, '1 + 2 × 3'],
    [{ '*': [{ '+': [1, 2] }, 3] }, '(1 + 2) × 3'],
    [{ if: [{ var: 'a' }, 'x', { var: 'b' }, 'y', 'z'] }, 'if a then "x" else if b then "y" else "z"'],
    [true, 'true'],
    [null, 'null'],
  ])('%j reads %s', (logic, text) => {
    expect(conditionText(logic)).toBe(text);
  });

  it('puts "or" inside "and" in parentheses, and not the other way round', () => {
    const a = { '==': [{ var: 'a' }, 1] };
    const b = { '==': [{ var: 'b' }, 2] };
    const c = { '==': [{ var: 'c' }, 3] };
    expect(conditionText({ and: [{ or: [a, b] }, c] })).toBe('(a = 1 or b = 2) and c = 3');
    expect(conditionText({ or: [{ and: [a, b] }, c] })).toBe('a = 1 and b = 2 or c = 3');
    expect(conditionText({ '!': { and: [a, b] } })).toBe('not (a = 1 and b = 2)');
  });

  it('writes an operator it does not know as a call, hiding nothing', () => {
    expect(conditionText({ substr: [{ var: 'subject.id' }, 0, 3] })).toBe('substr(subject.id, 0, 3)');
    expect(conditionText({ a: 1, b: 2 })).toBe('{"a":1,"b":2}');
  });

  it('quotes strings, so a value cannot pass for an operator or a name', () => {
    expect(conditionText({ '==': [{ var: 'subject.id' }, 'x" or "1'] })).toBe('subject.id = "x\\" or \\"1"');
  });
});

describe('varsOf', () => {
  it('lists the literal var paths a condition reads, once each, in order', () => {
    expect(varsOf({ and: [{ '==': [{ var: 'subject.claims.a' }, 1] }, { in: [{ var: ['resource.id', 'x'] }, [{ var: 'subject.claims.a' }]] }, { var: '' }] })).toEqual([
      'subject.claims.a',
      'resource.id',
    ]);
    expect(varsOf(true)).toEqual([]);
  });
});
