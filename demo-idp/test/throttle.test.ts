// Password guessing against the real login form over HTTP: the throttle per user name and per
// client address, and what it costs (no scrypt while throttled).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { DEFAULT_USERS_FILE } from '../src/config.js';
import { UserStore, type IdpHandle } from '../src/index.js';
import { DEMO_PASSWORD } from '../src/testing.js';
import { openLoginForm, startTestIdp } from './flow.js';

const THROTTLED = 'Too many failed sign-in attempts.';
const WRONG = 'not-the-password';

let idp: IdpHandle | undefined;
afterEach(async () => {
  await idp?.close();
  idp = undefined;
});

/** An IdP with the given limits and first lockout (seconds), its users' password checks counted. */
async function throttledIdp(limits: { perUser: number; perAddress: number; lockout: number }, extra: Parameters<typeof startTestIdp>[0] = {}) {
  const users = UserStore.fromFile(DEFAULT_USERS_FILE);
  // Every password check (the scrypt) goes through authenticate.
  const checks = vi.spyOn(users, 'authenticate');
  idp = await startTestIdp({ users, loginMaxFailuresPerUser: limits.perUser, loginMaxFailuresPerAddress: limits.perAddress, loginLockout: limits.lockout, loginWindow: 60, ...extra });
  return { idp, checks };
}

/** A 429 login page whose Retry-After is `lockout` seconds, less the (under a second) the test took since the failure. */
async function expectThrottled(response: Response, lockout: number): Promise<void> {
  expect(response.status).toBe(429);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(Math.max(1, lockout - 1));
  expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(lockout);
  const html = await response.text();
  expect(html).toContain(THROTTLED);
  expect(html).toContain('name="password"');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sign-in throttling', { timeout: 30_000 }, () => {
  it('locks a user name after its failures, refuses even the right password without checking it, and lets it in once the lockout has passed', async () => {
    const { idp, checks } = await throttledIdp({ perUser: 3, perAddress: 100, lockout: 2 });
    const form = await openLoginForm(idp.issuer);
    for (let i = 0; i < 3; i += 1) expect((await form.submit('alice', WRONG)).status).toBe(401);
    expect(checks).toHaveBeenCalledTimes(3);

    await expectThrottled(await form.submit('alice', DEMO_PASSWORD), 2);
    // The name as the user lookup sees it: surrounding spaces do not make another account.
    await expectThrottled(await form.submit('  alice ', DEMO_PASSWORD), 2);
    await expectThrottled(await form.submit('alice', WRONG), 2);
    expect(checks, 'no password check while throttled').toHaveBeenCalledTimes(3);

    await sleep(2_100);
    expect((await form.submit('alice', DEMO_PASSWORD)).status).toBe(303);
    expect(checks).toHaveBeenCalledTimes(4);

    // The success cleared the count: the full number of failures again before the next lockout.
    const again = await openLoginForm(idp.issuer);
    for (let i = 0; i < 3; i += 1) expect((await again.submit('alice', WRONG)).status).toBe(401);
    await expectThrottled(await again.submit('alice', WRONG), 2);
  });

  it('doubles the lockout with each failure past the limit', async () => {
    const { idp } = await throttledIdp({ perUser: 2, perAddress: 100, lockout: 2 });
    const form = await openLoginForm(idp.issuer);
    for (let i = 0; i < 2; i += 1) expect((await form.submit('bob', WRONG)).status).toBe(401);
    await expectThrottled(await form.submit('bob', WRONG), 2);
    await sleep(2_100);
    expect((await form.submit('bob', WRONG)).status).toBe(401);
    await expectThrottled(await form.submit('bob', DEMO_PASSWORD), 4);
  });

  it('forgets failures a window after the last one', async () => {
    const { idp } = await throttledIdp({ perUser: 3, perAddress: 100, lockout: 2 }, { loginWindow: 2 });
    const form = await openLoginForm(idp.issuer);
    for (let i = 0; i < 2; i += 1) expect((await form.submit('carol', WRONG)).status).toBe(401);
    await sleep(2_100);
    // Remembered, the second of these would be the third failure in a row and locked.
    for (let i = 0; i < 3; i += 1) expect((await form.submit('carol', WRONG)).status).toBe(401);
    await expectThrottled(await form.submit('carol', WRONG), 2);
  });

  it('leaves other users from the same address alone until the address has failed too often', async () => {
    const { idp, checks } = await throttledIdp({ perUser: 3, perAddress: 5, lockout: 30 });
    const guesses = await openLoginForm(idp.issuer);
    for (let i = 0; i < 3; i += 1) expect((await guesses.submit('alice', WRONG)).status).toBe(401);
    await expectThrottled(await guesses.submit('alice', DEMO_PASSWORD), 30);

    // bob signs in from the same address; his success does not take back alice's failures.
    expect((await (await openLoginForm(idp.issuer)).submit('bob', DEMO_PASSWORD)).status).toBe(303);
    const carol = await openLoginForm(idp.issuer);
    for (let i = 0; i < 2; i += 1) expect((await carol.submit('carol', WRONG)).status).toBe(401);
    const before = checks.mock.calls.length;
    // Five failures from this address: every user name is refused now, known or not.
    await expectThrottled(await carol.submit('carol', DEMO_PASSWORD), 30);
    await expectThrottled(await carol.submit('dave', WRONG), 30);
    expect(checks).toHaveBeenCalledTimes(before);
  });

  it('counts a burst of parallel guesses before any of them is checked', async () => {
    const { idp, checks } = await throttledIdp({ perUser: 3, perAddress: 100, lockout: 30 });
    const form = await openLoginForm(idp.issuer);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => form.submit('carol', WRONG).then((response) => response.status)));
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
    expect(checks).toHaveBeenCalledTimes(3);
  });

  it('logs every refused sign-in with the user name escaped and never the password', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } }));
    const { idp } = await throttledIdp({ perUser: 2, perAddress: 100, lockout: 30 }, { logger });
    const form = await openLoginForm(idp.issuer);
    const forged = 'eve\n{"level":30,"msg":"login","sub":"carol"}\u202e';
    expect((await form.submit('alice', 'secret-guess-1')).status).toBe(401);
    expect((await form.submit('nobody', 'secret-guess-2')).status).toBe(401);
    expect((await form.submit(forged, 'secret-guess-3')).status).toBe(401);
    expect((await form.submit(forged, 'secret-guess-4')).status).toBe(401);
    expect((await form.submit(forged, 'secret-guess-5')).status).toBe(429);
    const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'login refused');
    expect(refused.map((entry) => [entry.login, entry.reason])).toEqual([
      ['alice', 'wrong_password'],
      ['nobody', 'unknown_user'],
      ['eve\\u000a{"level":30,"msg":"login","sub":"carol"}\\u202e', 'unknown_user'],
      ['eve\\u000a{"level":30,"msg":"login","sub":"carol"}\\u202e', 'unknown_user'],
      ['eve\\u000a{"level":30,"msg":"login","sub":"carol"}\\u202e', 'throttled'],
    ]);
    expect(refused[4]).toMatchObject({ limit: 'user', retryAfter: 30, address: '127.0.0.1' });
    for (const entry of refused) expect(entry.reqId).toEqual(expect.any(String));
    expect(lines.join('')).not.toContain('secret-guess');
  });
});
