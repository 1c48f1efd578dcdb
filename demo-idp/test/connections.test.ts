// A flood of idle connections cannot take every socket of the IdP: IDP_MAX_CONNECTIONS caps them.
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { IdpHandle } from '../src/index.js';
import { startTestIdp } from './flow.js';

let idp: IdpHandle | undefined;
afterEach(async () => {
  await idp?.close();
  idp = undefined;
});

it('caps the connections open at once; more are closed as they arrive, and it serves again once they go', async () => {
  idp = await startTestIdp({ maxConnections: 2 });
  const { hostname, port } = new URL(idp.issuer);
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(socket));
      socket.on('error', reject);
    });
  const held = [await open(), await open()];
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await open();
    const closed = await new Promise<boolean>((resolve) => {
      third.on('close', () => resolve(true));
      third.on('error', () => undefined);
      setTimeout(() => resolve(false), 2_000);
    });
    third.destroy();
    expect(closed).toBe(true);
    expect(held.every((socket) => !socket.destroyed)).toBe(true);
  } finally {
    for (const socket of held) socket.destroy();
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status).toBe(200);
});
