// policies/schema.json declares the subject's claims; this holds that list against the access
// tokens demo-idp really issues. Every user of demo-idp/users.json signs in through demo-api and
// the IdP's login form (real processes on 127.0.0.1, wired by the launcher's configuration), with
// the PDP refusing requests that do not fit the schema (PDP_SCHEMA_ENFORCE=reject). Each token is
// then asked about in token mode, and its claims as demo-api sends them (userFromClaims, demo-api's
// own rule for what it strips) are held against the declared claims one by one, so a claim
// demo-idp adds or renames fails with its name. The PDP checks a token's claims as its issuer's,
// not the caller's, so only the direct check and demo-api's own calls see the claims at all.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiConfigFromEnv, buildApiConfig, userFromClaims } from 'demo-api';
import { loadPolicies, requestCheckFor, type RequestAttributeCheck } from '@oracle-ai/pdp';
import { call, signIn, stackConfig, startService, stopAll, type Stack } from '../fault/support.js';
import { ROOT } from './launcher.js';

const USERS_FILE = path.join(ROOT, 'demo-idp', 'users.json');
const SCHEMA_FILE = path.join(ROOT, 'policies', 'schema.json');

const usernames = (JSON.parse(readFileSync(USERS_FILE, 'utf8')) as { users: { username: string }[] }).users.map((u) => u.username);
const declared = (JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { claims: { attributes?: Record<string, { type: string }> } }).claims.attributes ?? {};

/** The claims part of a compact JWT; the PDP and demo-api verify it, this only reads it. */
function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A claim's value as the schema's type names it. */
function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

let stack: Stack;
let groupsClaim: string;
let check: RequestAttributeCheck;
const tokens = new Map<string, string>();

beforeAll(async () => {
  stack = await stackConfig();
  const apiDef = stack.service('api');
  groupsClaim = buildApiConfig(apiConfigFromEnv(apiDef.env)).groupsClaim;
  const loaded = await loadPolicies(path.join(ROOT, 'policies'));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  check = requestCheckFor(loaded.policySet)!;
  await startService(stack.service('pdp'), { PDP_SCHEMA_ENFORCE: 'reject', PDP_DECISION_LOG: 'off' });
  await startService(stack.service('idp'), { IDP_USERS_FILE: USERS_FILE });
  await startService(apiDef);
  for (const username of usernames) tokens.set(username, await signIn(stack, username));
});
afterAll(stopAll);

describe("policies/schema.json against demo-idp's access tokens", () => {
  it('users.json has users, and the schema declares claims', () => {
    expect(usernames.length).toBeGreaterThan(0);
    expect(Object.keys(declared).length).toBeGreaterThan(0);
  });

  it.each(usernames)('%s: the PDP in token mode decides with 200 and no schema error', async (username) => {
    for (const type of ['chat', 'analytics', 'admin']) {
      const response = await fetch(`${stack.internal(stack.ports.PDP_PORT)}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.pdpToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: tokens.get(username), resource: { type }, action: 'read' }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      expect(response.status, `${type}: ${JSON.stringify(body)}`).toBe(200);
      expect(typeof body.allow, JSON.stringify(body)).toBe('boolean');
      expect(body).not.toHaveProperty('schemaErrors');
    }
  });

  it.each(usernames)("%s: every claim demo-api sends is declared in policies/schema.json, with the declared type", (username) => {
    const { claims } = userFromClaims(payloadOf(tokens.get(username)!), groupsClaim);
    expect(Object.keys(claims).length, 'the token carries claims besides the registered ones').toBeGreaterThan(0);
    for (const [name, value] of Object.entries(claims)) {
      expect(Object.hasOwn(declared, name), `claim "${name}" of ${username}'s access token is not declared in policies/schema.json`).toBe(true);
      expect(typeOf(value), `claim "${name}" of ${username}'s access token`).toBe(declared[name]!.type);
    }
  });

  it.each(usernames)("%s: the PDP's own schema check finds nothing in those claims (enums and all)", (username) => {
    const { sub, groups, claims } = userFromClaims(payloadOf(tokens.get(username)!), groupsClaim);
    expect(check({ subject: { id: sub, groups, claims }, resource: { type: 'chat' }, action: 'read' })).toEqual([]);
  });

  it.each(usernames)('%s: demo-api, whose every call the PDP would refuse on a mismatch, answers /api/me', async (username) => {
    expect(await call(stack, '/api/me', tokens.get(username)!)).toEqual({ status: 200 });
  });
});
