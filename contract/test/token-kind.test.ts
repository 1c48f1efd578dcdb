import { describe, expect, it } from 'vitest';

import { ACCESS_TOKEN_TYP, normalizeTokenTyp, otherTokenKind } from '../src/index.js';

describe('otherTokenKind', () => {
  it('names the typ of an ID, logout or security event token, with or without application/ and in any case', () => {
    expect(otherTokenKind({ typ: 'logout+jwt' }, {})).toBe('typ_logout+jwt');
    expect(otherTokenKind({ typ: 'application/SECEVENT+JWT' }, {})).toBe('typ_secevent+jwt');
    expect(otherTokenKind({ typ: 'id_token+jwt' }, {})).toBe('typ_id_token+jwt');
  });

  it('names the claims only ID tokens and event tokens carry, whatever the typ', () => {
    expect(otherTokenKind({ typ: 'at+jwt' }, { sub: 'a', nonce: 'n' })).toBe('claim_nonce');
    expect(otherTokenKind({}, { sub: 'a', events: {} })).toBe('claim_events');
  });

  it('finds nothing in an access token, and reads own claims only', () => {
    expect(otherTokenKind({ typ: ACCESS_TOKEN_TYP }, { sub: 'a', groups: [] })).toBeUndefined();
    expect(otherTokenKind({ typ: 'JWT' }, Object.create({ nonce: 'inherited' }) as object)).toBeUndefined();
    expect(otherTokenKind({ typ: 42 }, {})).toBeUndefined();
  });
});

describe('normalizeTokenTyp', () => {
  it('compares typ case-insensitively and without the application/ prefix', () => {
    expect(normalizeTokenTyp('Application/AT+JWT')).toBe('at+jwt');
    expect(normalizeTokenTyp('at+jwt')).toBe('at+jwt');
  });
});
