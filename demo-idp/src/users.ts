import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

import { IdpError } from './errors.js';
import { parsePasswordHash, verifyPassword, type ScryptParams } from './password.js';

/** A demo user as kept in users.json. */
export interface DemoUser {
  username: string;
  name?: string;
  email?: string;
  groups: string[];
  /** Extra claims (for example `account_status`), copied into tokens as they are. */
  claims?: Record<string, string | number | boolean>;
}

interface StoredUser extends DemoUser {
  password: ScryptParams;
}

export interface UsersFile {
  users: Array<DemoUser & { passwordHash: string }>;
}

const MAX_USERNAME = 64;
const USERNAME = new RegExp(`^[a-zA-Z0-9._@-]{1,${MAX_USERNAME}}$`);

/** A user name as typed into the login form, the way the user lookup and the sign-in throttle see it. */
export function normaliseLogin(typed: string): string {
  return typed.trim().slice(0, MAX_USERNAME);
}
// Claims the provider or the token format owns: a users-file entry must not be able to set them.
const RESERVED_CLAIMS = new Set([
  'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'groups', 'preferred_username', 'name', 'email',
  'email_verified', 'scope', 'client_id', 'azp', 'sid', 'auth_time', 'acr', 'amr', 'at_hash', 'c_hash', 'cnf',
  '__proto__', 'constructor', 'prototype',
]);

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 128);
}

/** The users of the demo, checked whole when loaded, answering login attempts. */
export class UserStore {
  readonly #users: Map<string, StoredUser>;
  // Unknown users are checked against this hash too, so the answer takes as long as for a real user.
  readonly #decoy: ScryptParams;

  private constructor(users: Map<string, StoredUser>) {
    this.#users = users;
    const first = users.values().next().value;
    this.#decoy = first
      ? { ...first.password, salt: randomBytes(first.password.salt.length) }
      : { N: 16384, r: 8, p: 1, salt: randomBytes(16), hash: randomBytes(32) };
  }

  static fromFile(file: string): UserStore {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new IdpError('users_invalid', `cannot read users file ${file}: ${(cause as Error).message}`, { cause });
    }
    return UserStore.fromJSON(parsed, file);
  }

  static fromJSON(input: unknown, source = 'users'): UserStore {
    const problems: string[] = [];
    const users = new Map<string, StoredUser>();
    const list = (input as { users?: unknown } | null)?.users;
    if (!Array.isArray(list)) {
      throw new IdpError('users_invalid', `${source}: /users must be an array`);
    }
    list.forEach((raw: unknown, i) => {
      const at = `${source}: /users/${i}`;
      const user = raw as Partial<DemoUser & { passwordHash: unknown }> | null;
      if (!user || typeof user !== 'object') {
        problems.push(`${at} must be an object`);
        return;
      }
      if (typeof user.username !== 'string' || !USERNAME.test(user.username)) {
        problems.push(`${at}/username must match ${USERNAME.source}`);
        return;
      }
      if (users.has(user.username)) problems.push(`${at}/username "${user.username}" is a duplicate`);
      const groups = user.groups ?? [];
      if (!isStringArray(groups)) problems.push(`${at}/groups must be an array of non-empty strings`);
      const password = typeof user.passwordHash === 'string' ? parsePasswordHash(user.passwordHash) : undefined;
      if (!password) problems.push(`${at}/passwordHash must be "scrypt$N$r$p$salt$hash"`);
      for (const key of ['name', 'email'] as const) {
        if (user[key] !== undefined && typeof user[key] !== 'string') problems.push(`${at}/${key} must be a string`);
      }
      const claims = user.claims ?? {};
      if (typeof claims !== 'object' || Array.isArray(claims)) {
        problems.push(`${at}/claims must be an object`);
      } else {
        for (const [key, value] of Object.entries(claims)) {
          if (RESERVED_CLAIMS.has(key)) problems.push(`${at}/claims/${key} is reserved`);
          if (!['string', 'number', 'boolean'].includes(typeof value)) problems.push(`${at}/claims/${key} must be a string, number or boolean`);
        }
      }
      if (password && isStringArray(groups)) {
        users.set(user.username, {
          username: user.username,
          ...(user.name !== undefined ? { name: user.name } : {}),
          ...(user.email !== undefined ? { email: user.email } : {}),
          groups: [...groups],
          claims: { ...claims },
          password,
        });
      }
    });
    if (problems.length) throw new IdpError('users_invalid', problems.join('\n'));
    if (users.size === 0) throw new IdpError('users_invalid', `${source}: no users`);
    return new UserStore(users);
  }

  /** Names of the extra claims any user has, so the provider can release them with `profile`. */
  customClaimNames(): string[] {
    return [...new Set([...this.#users.values()].flatMap((user) => Object.keys(user.claims ?? {})))];
  }

  /**
   * Every user as `GET /demo/users` lists them: the name, the groups and the extra claims (what
   * their tokens carry for the PDP), never the password hash, the name or the email.
   */
  directory(): { username: string; groups: string[]; claims: Record<string, unknown> }[] {
    return [...this.#users.values()].map((user) => ({ username: user.username, groups: [...user.groups], claims: { ...user.claims } }));
  }

  /** The user, without the password hash; undefined when unknown. */
  find(username: string): DemoUser | undefined {
    const user = this.#users.get(username);
    if (!user) return undefined;
    const { password: _password, ...rest } = user;
    return rest;
  }

  /** Checks a login; unknown users and wrong passwords look the same, in answer and in time. */
  async authenticate(username: string, password: string): Promise<DemoUser | undefined> {
    const user = this.#users.get(username);
    const ok = await verifyPassword(password, user?.password ?? this.#decoy);
    return ok && user ? this.find(username) : undefined;
  }
}
