import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';

import { authenticate, beginLogin, get, post, postToken, startStack, type Stack } from './support/stack.js';

const lines: string[] = [];
let stack: Stack;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  stack = await startStack({}, { logger: pino({ level: 'trace' }, sink) });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

describe('logs', () => {
  it('carry no token, code, state, cookie or secret, through success and failure', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    const response = await postToken(stack.api, { code, state }, txnCookie);
    const { access_token: token } = (await response.json()) as { access_token: string };
    await postToken(stack.api, { code, state }, txnCookie);
    await get(stack.api, '/api/me', token);
    await get(stack.api, '/api/admin/policies', token);
    await post(stack.api, '/api/chat', token, { message: 'my secret message' });
    await get(stack.api, '/api/me', `${token}x`);
    await get(stack.api, `/api/chat?code=${code}`, token);

    const log = lines.join('');
    expect(log).toContain('"msg":"demo-api listening"');
    expect(log).toContain('"msg":"request"');
    expect(log).toContain('"msg":"denied by the PDP"');
    expect(log).toContain('"authFailure":"ERR_JWS_SIGNATURE_VERIFICATION_FAILED"');
    for (const secret of [token, token.split('.')[2]!, code, state, txnCookie, stack.clientSecret, stack.pdpToken, 'my secret message']) {
      expect(log).not.toContain(secret);
    }
  });
});
