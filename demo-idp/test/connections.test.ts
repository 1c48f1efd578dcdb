// A flood of idle connections cannot take every socket of the IdP: IDP_MAX_CONNECTIONS caps them.
import { afterEach, expect, it } from 'vitest';
import type { IdpHandle } from '../src/index.js';
import { probeConnectionCap } from '../src/testing.js';
import { startTestIdp } from './flow.js';

let idp: IdpHandle | undefined;
afterEach(async () => {
  await idp?.close();
  idp = undefined;
});

it('caps the connections open at once; more are closed as they arrive, and it serves again once they go', async () => {
  idp = await startTestIdp({ maxConnections: 2 });
  expect(await probeConnectionCap(idp.issuer, 2)).toEqual({ extraClosed: true, heldOpen: true });
  expect((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status).toBe(200);
});
