import { LRUCache } from 'lru-cache';

import type { IdpConfig } from './config.js';

export type ThrottleSettings = Pick<IdpConfig, 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress' | 'loginLockout' | 'loginWindow'>;

/** Which counter refused an attempt. */
export type ThrottleLimit = 'user' | 'address';

export type Attempt =
  | { throttled: false; /** The password was right: forget the user's failures and this attempt. */ succeeded(): void }
  | { throttled: true; limit: ThrottleLimit; retryAfterSeconds: number };

// Each table is bounded: a flood of made-up user names or addresses evicts the oldest counters
// instead of growing the heap.
const MAX_TRACKED = 10_000;

interface Counter {
  failures: number;
  lastAt: number;
}

class FailureTable {
  readonly #counters: LRUCache<string, Counter>;

  constructor(
    readonly limit: number,
    readonly lockoutMs: number,
    readonly windowMs: number,
  ) {
    // The TTL starts again at every failure: a counter is forgotten a window after its last one.
    this.#counters = new LRUCache({ max: MAX_TRACKED, ttl: windowMs, updateAgeOnGet: false });
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  waitMs(key: string, now: number): number {
    const counter = this.#counters.get(key);
    if (!counter || counter.failures < this.limit) return 0;
    // Each failure past the limit doubles the lockout, up to the window.
    const lockout = Math.min(this.windowMs, this.lockoutMs * 2 ** Math.min(counter.failures - this.limit, 30));
    return Math.max(0, counter.lastAt + lockout - now);
  }

  fail(key: string, now: number): void {
    const failures = (this.#counters.get(key)?.failures ?? 0) + 1;
    this.#counters.set(key, { failures, lastAt: now });
  }

  undo(key: string): void {
    const counter = this.#counters.get(key);
    if (counter && counter.failures > 0) counter.failures -= 1;
  }

  clear(key: string): void {
    this.#counters.delete(key);
  }
}

/**
 * Sign-in throttling per user name and per client address. An attempt counts as a failure from
 * the moment it is let through, before its password is checked, so a burst of parallel guesses
 * cannot all slip in before the first one fails; a right password takes its attempt back.
 */
export class LoginThrottle {
  readonly #users: FailureTable;
  readonly #addresses: FailureTable;

  constructor(settings: ThrottleSettings) {
    const lockoutMs = settings.loginLockout * 1000;
    const windowMs = settings.loginWindow * 1000;
    this.#users = new FailureTable(settings.loginMaxFailuresPerUser, lockoutMs, windowMs);
    this.#addresses = new FailureTable(settings.loginMaxFailuresPerAddress, lockoutMs, windowMs);
  }

  /** Lets an attempt for `user` from `address` through (and counts it), or says how long to wait. */
  begin(user: string, address: string): Attempt {
    const now = Date.now();
    const waits: Array<[ThrottleLimit, number]> = [
      ['user', this.#users.waitMs(user, now)],
      ['address', this.#addresses.waitMs(address, now)],
    ];
    const [limit, waitMs] = waits.reduce((longest, next) => (next[1] > longest[1] ? next : longest));
    if (waitMs > 0) return { throttled: true, limit, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    this.#users.fail(user, now);
    this.#addresses.fail(address, now);
    return {
      throttled: false,
      succeeded: () => {
        // The address keeps its other failures: signing in to one's own account between guesses
        // at someone else's must not reset the address's count.
        this.#users.clear(user);
        this.#addresses.undo(address);
      },
    };
  }
}

/** The address a throttle counts by; IPv4-mapped IPv6 addresses count as the IPv4 address. */
export function clientAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
