// Other providers' token shapes (IDP_ACCESS_TOKEN_TYP, IDP_GROUPS_CLAIM, IDP_CLIENT_AUTH_METHOD),
// so relying parties can be tried against something that behaves like Keycloak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';

import { buildIdpConfig, hashPassword, idpConfigFromEnv, IdpError, UserStore, type IdpHandle } from '../src/index.js';
import { CLIENT_ID, CLIENT_SECRET, codeFor, redeem, REDIRECT, startTestIdp } from './flow.js';

/** Redeems a code with client_secret_post: the credentials in the form body, no Authorization header. */
async function redeemPost(issuer: string, code: string, verifier: string, secret = CLIENT_SECRET): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: CLIENT_ID, client_secret: secret }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A demo-idp with `extra` settings for the tests of one describe block. */
function runningIdp(extra: Parameters<typeof startTestIdp>[0] = {}): () => IdpHandle {
  let idp: IdpHandle | undefined;
  beforeAll(async () => {
    idp = await startTestIdp(extra);
  });
  afterAll(async () => idp?.close());
  return () => {
    if (!idp) throw new Error('demo-idp did not start');
    return idp;
  };
}

describe('config of the token shapes', () => {
  const secret = { IDP_CLIENT_SECRET: 's'.repeat(20) };

  it('defaults to typed access tokens, top-level groups and client_secret_basic', () => {
    expect(buildIdpConfig(idpConfigFromEnv(secret))).toMatchObject({ accessTokenTyp: 'at+jwt', groupsClaim: 'groups', clientAuthMethod: 'client_secret_basic' });
  });

  it('reads IDP_ACCESS_TOKEN_TYP, IDP_GROUPS_CLAIM and IDP_CLIENT_AUTH_METHOD', () => {
    const config = buildIdpConfig(idpConfigFromEnv({ ...secret, IDP_ACCESS_TOKEN_TYP: 'JWT', IDP_GROUPS_CLAIM: 'realm_access.roles', IDP_CLIENT_AUTH_METHOD: 'client_secret_post' }));
    expect(config).toMatchObject({ accessTokenTyp: 'JWT', groupsClaim: 'realm_access.roles', clientAuthMethod: 'client_secret_post' });
  });

  it('refuses unknown values and claim paths that are empty or name a prototype, all at once', () => {
    const bad = (env: Record<string, string>) => () => buildIdpConfig(idpConfigFromEnv({ ...secret, ...env }));
    expect(bad({ IDP_ACCESS_TOKEN_TYP: 'jwt', IDP_GROUPS_CLAIM: 'a..b', IDP_CLIENT_AUTH_METHOD: 'private_key_jwt' })).toThrow(
      /IDP_ACCESS_TOKEN_TYP[\s\S]*IDP_GROUPS_CLAIM[\s\S]*IDP_CLIENT_AUTH_METHOD/,
    );
    for (const path of ['__proto__.x', 'realm_access.constructor', 'prototype', '.groups', 'groups.', 'a b']) {
      expect(bad({ IDP_GROUPS_CLAIM: path }), path).toThrow(IdpError);
    }
  });

  it('refuses to start when a user sets, as an extra claim, the claim the groups go into', async () => {
    const users = UserStore.fromJSON({ users: [{ username: 'dora', groups: ['g'], passwordHash: await hashPassword('demo'), claims: { realm_access: 'x' } }] });
    await expect(startTestIdp({ users, groupsClaim: 'realm_access.roles' })).rejects.toThrow(/IDP_GROUPS_CLAIM names realm_access/);
  });
});

describe('a Keycloak-like shape: untyped JWT, realm_access.roles, client_secret_post', () => {
  const idp = runningIdp({ accessTokenTyp: 'JWT', groupsClaim: 'realm_access.roles', clientAuthMethod: 'client_secret_post' });

  it('issues access tokens typed JWT with the groups nested in both tokens', async () => {
    const { code, verifier } = await codeFor(idp(), 'alice');
    const { status, body } = await redeemPost(idp().issuer, code, verifier);
    expect(status, JSON.stringify(body)).toBe(200);
    const accessToken = String(body.access_token);
    expect(decodeProtectedHeader(accessToken).typ).toBe('JWT');
    const access = decodeJwt(accessToken);
    expect(access.realm_access).toEqual({ roles: ['oracle-ai-users'] });
    expect(access).not.toHaveProperty('groups');
    const id = decodeJwt(String(body.id_token));
    expect(id.realm_access).toEqual({ roles: ['oracle-ai-users'] });
    expect(id).not.toHaveProperty('groups');
  });

  it('refuses a wrong secret sent in the form body', async () => {
    const { code, verifier } = await codeFor(idp(), 'alice');
    const { status, body } = await redeemPost(idp().issuer, code, verifier, 'not-the-secret-at-all');
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });

  it('holds the client to client_secret_post: the right secret in a Basic header is refused', async () => {
    const { code, verifier } = await codeFor(idp(), 'alice');
    const { status, body } = await redeem(idp().issuer, code, verifier);
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });
});

describe('access tokens without typ', () => {
  const idp = runningIdp({ accessTokenTyp: 'none' });

  it('carry no typ header, and the groups where they always were', async () => {
    const { code, verifier } = await codeFor(idp(), 'carol');
    const { status, body } = await redeem(idp().issuer, code, verifier);
    expect(status, JSON.stringify(body)).toBe(200);
    const header = decodeProtectedHeader(String(body.access_token));
    expect(header).not.toHaveProperty('typ');
    expect(header.alg).toBe('RS256');
    expect(decodeJwt(String(body.access_token)).groups).toEqual(['oracle-ai-admins']);
  });
});
