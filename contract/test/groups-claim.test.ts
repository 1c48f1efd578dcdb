import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { claimPathProblem, groupsFromClaims, readClaimPath } from '../src/groups-claim.js';

describe('groupsFromClaims', () => {
  it.each([
    ['absent', { sub: 'a' }, 'groups', []],
    ['an array of strings', { groups: ['a', 'b'] }, 'groups', ['a', 'b']],
    ['an empty array', { groups: [] }, 'groups', []],
    ['one string', { groups: 'admins' }, 'groups', ['admins']],
    ['an empty string', { groups: '' }, 'groups', []],
    ['a nested path', { realm_access: { roles: ['r1'] } }, 'realm_access.roles', ['r1']],
    ['a nested string', { realm_access: { roles: 'r1' } }, 'realm_access.roles', ['r1']],
    ['a nested path with a missing step', { realm_access: {} }, 'realm_access.roles', []],
    ['a path through a non-object', { realm_access: 'x' }, 'realm_access.roles', []],
    ['a dotted top-level name is a path, not a name', { 'realm_access.roles': ['r1'] }, 'realm_access.roles', []],
  ])('%s', (_case, claims, path, expected) => {
    expect(groupsFromClaims(claims, path)).toEqual(expected);
  });

  it.each([
    ['a number', { groups: 42 }],
    ['null', { groups: null }],
    ['an object', { groups: { admin: true } }],
    ['an array holding a number', { groups: ['a', 1] }],
    ['an array holding null', { groups: ['a', null] }],
    ['an array holding an array', { groups: [['a']] }],
  ])('refuses %s', (_case, claims) => {
    expect(groupsFromClaims(claims, 'groups')).toBeUndefined();
  });

  it('reads own properties only: nothing inherited, nothing from Object.prototype', () => {
    const inherited = Object.create({ groups: ['from-prototype'] }) as Record<string, unknown>;
    expect(groupsFromClaims(inherited, 'groups')).toEqual([]);
    expect(readClaimPath({}, 'toString')).toBeUndefined();
    expect(readClaimPath({ a: {} }, 'a.hasOwnProperty')).toBeUndefined();
  });

  it('a claim named "__proto__" in the token is data, but a path naming it is refused', () => {
    const claims = JSON.parse('{"__proto__":{"groups":["admins"]}}') as Record<string, unknown>;
    expect(readClaimPath(claims, '__proto__.groups')).toEqual(['admins']);
    expect(groupsFromClaims(claims, '__proto__.groups')).toBeUndefined();
    expect(groupsFromClaims({ constructor: ['x'] }, 'constructor')).toBeUndefined();
  });

  it('returns a copy: changing it does not change the claims', () => {
    const claims = { groups: ['a'] };
    groupsFromClaims(claims, 'groups')!.push('b');
    expect(claims.groups).toEqual(['a']);
  });

  it('whatever the claim holds, the answer is refused or a list of strings from it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const groups = groupsFromClaims({ groups: value }, 'groups');
        if (groups === undefined) return;
        expect(groups.every((g) => typeof g === 'string')).toBe(true);
        const given = Array.isArray(value) ? value : typeof value === 'string' && value !== '' ? [value] : [];
        expect(groups).toEqual(given);
      }),
    );
  });
});

describe('claimPathProblem', () => {
  it.each(['groups', 'roles', 'realm_access.roles', 'a.b.c', 'https://example.com/groups'])('accepts %s', (path) => {
    expect(claimPathProblem(path)).toBeUndefined();
  });

  it.each(['', '.', 'a.', '.a', 'a..b', '__proto__', 'a.__proto__', 'constructor.x', 'a.prototype'])('refuses %j', (path) => {
    expect(claimPathProblem(path)).toEqual(expect.any(String));
  });
});
