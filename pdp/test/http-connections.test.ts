/** A flood of idle connections cannot take every socket of the PDP: PDP_MAX_CONNECTIONS caps them. */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ALICE, post, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ maxConnections: 2 });
});
afterAll(async () => {
  await pdp.stop();
});

const open = (): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(pdp.port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });

test('connections beyond the cap are closed as they arrive; once the others go it decides again', async () => {
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
  const res = await post(pdp.url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' });
  expect(res.status).toBe(200);
});
