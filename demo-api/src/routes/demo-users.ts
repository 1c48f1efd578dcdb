import type { Router } from '@koa/router';
import type { DemoUsersResponse, DemoUserView } from '@oracle-ai/contract';

import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import type { ApiState } from '../http/state.js';
import type { PdpClient, PdpSubject } from '../pdp-client.js';
import { discard, readJson } from '../upstream.js';
import { PAGE_ITEMS, permissionsOf } from './app.js';

export const DEMO_USERS_PATH = '/api/demo/users';

/** A demo IdP with more users than this is not a demo: refused rather than fanned out to the PDP. */
const MAX_DEMO_USERS = 50;
/** The IdP reads its users once, at start: asking it again more often than this gains nothing. */
const USERS_TTL_MS = 60_000;

const NAME = /^[\w.@-]{1,64}$/;

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 100 && value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 256);
}

/** demo-idp's `GET /demo/users`, checked whole: a broken answer is refused, never half used. */
function directoryOf(body: unknown): PdpSubject[] {
  const users = (body as { users?: unknown } | null)?.users;
  if (!Array.isArray(users) || users.length > MAX_DEMO_USERS) throw new ApiError('idp_bad_response', 'The demo user list is not a list of at most 50 users.');
  return users.map((raw: unknown) => {
    const { username, groups, claims = {} } = (raw ?? {}) as { username?: unknown; groups?: unknown; claims?: unknown };
    if (typeof username !== 'string' || !NAME.test(username) || !isNameList(groups) || typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new ApiError('idp_bad_response', 'The demo user list holds an entry without a valid username and groups.');
    }
    return { id: username, groups: [...groups], claims: { ...(claims as Record<string, unknown>) } };
  });
}

export interface DemoUsersDeps {
  config: Pick<ApiConfig, 'demoUsersUrl' | 'oidcTimeoutMs'>;
  pdp: PdpClient;
}

/**
 * `GET /api/demo/users`, public like the signed-out home page that shows it: demo-idp's users
 * (names and groups only; demo-idp sends no password hash, and their claims are used for the
 * decisions, not passed on) and which pages the loaded policies open to each, decided now (one
 * PDP batch per user), so a policy edit shows at once. Concurrent requests share one answer
 * being computed: an anonymous caller cannot multiply the calls made upstream.
 */
export function addDemoUserRoutes(router: Router<ApiState>, { config, pdp }: DemoUsersDeps): void {
  let directory: { users: PdpSubject[]; at: number } | undefined;
  let pending: Promise<DemoUsersResponse> | undefined;

  async function users(url: string): Promise<PdpSubject[]> {
    if (directory && Date.now() - directory.at < USERS_TTL_MS) return directory.users;
    let body: unknown;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(config.oidcTimeoutMs), redirect: 'error' });
      if (!response.ok) {
        await discard(response);
        throw new Error(`HTTP ${response.status}`);
      }
      body = await readJson(response);
    } catch (cause) {
      throw new ApiError('idp_unavailable', 'The demo identity provider did not list its users.', {}, { cause });
    }
    directory = { users: directoryOf(body), at: Date.now() };
    return directory.users;
  }

  async function answer(url: string): Promise<DemoUsersResponse> {
    const subjects = await users(url);
    const decided = await Promise.all(subjects.map((subject) => pdp.decideBatch(subject, PAGE_ITEMS)));
    return {
      users: subjects.map((subject, i): DemoUserView => ({ username: subject.id, groups: subject.groups, permissions: permissionsOf(decided[i] ?? []) })),
      revision: decided[0]?.[0]?.revision ?? null,
    };
  }

  router.get(DEMO_USERS_PATH, async (ctx) => {
    const url = config.demoUsersUrl;
    if (!url) throw new ApiError('not_found', 'This demo-api lists no demo users (DEMO_USERS_URL is not set).');
    pending ??= answer(url).finally(() => {
      pending = undefined;
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await pending;
  });
}
