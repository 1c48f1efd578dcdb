/** The one error model: every code's meaning at each edge comes from the table, and wrapping keeps the cause. */
import { describe, expect, test } from 'vitest';
import { ConfigError, errorTable, exitCodeOf, messageWithCauses, PdpError, toProblem } from '../src/common/errors.js';
import { UsageError } from '../src/cli/args.js';
import { KeySourceError } from '../src/token/reasons.js';
import { InvalidPolicySetError } from '../src/policy/compile.js';

describe('error table', () => {
  test('the CLI exit code and the HTTP status come from the code', () => {
    expect(exitCodeOf(new UsageError('missing command'))).toBe(2);
    expect(exitCodeOf(new ConfigError([{ variable: 'PDP_PORT', message: 'bad' }]))).toBe(1);
    expect(exitCodeOf(new Error('a crash'))).toBe(1);
    for (const err of [new UsageError('x'), new KeySourceError('x'), new InvalidPolicySetError([{ file: 'roles', pointer: '', message: 'x' }]), new ConfigError([])]) {
      expect(err).toBeInstanceOf(PdpError);
      expect(err.status).toBe(errorTable[err.code].status);
    }
    expect(new PdpError('payload_too_large').status).toBe(413);
  });

  test('a problem shows a request error as it is, and never the message of a process-level error', () => {
    expect(toProblem(new PdpError('not_ready', 'not yet'), '/readyz')).toMatchObject({ status: 503, code: 'not_ready', detail: 'not yet', instance: '/readyz' });
    const hidden = toProblem(new ConfigError([{ variable: 'PDP_CLIENT_TOKENS', message: 'secret-ish detail' }]));
    expect(hidden).toMatchObject({ status: 500, code: 'internal' });
    expect(JSON.stringify(hidden)).not.toContain('secret-ish');
  });

  test('wrapping keeps the cause, and the chain is written out for people', () => {
    const inner = new KeySourceError('HTTP 500');
    const outer = new KeySourceError('JWKS fetch from http://idp/jwks failed', { cause: inner });
    expect(outer.cause).toBe(inner);
    expect(outer.message).toBe('JWKS fetch from http://idp/jwks failed');
    expect(messageWithCauses(outer)).toBe('JWKS fetch from http://idp/jwks failed: HTTP 500');
  });
});
