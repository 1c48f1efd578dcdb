// demo-idp down in the middle of a sign-in (real processes on 127.0.0.1): the user got a code
// from the login form, then the IdP went away before demo-api could redeem it. The answer is a
// clear 502 problem (idp_unavailable), not a 500 or a hang; once the IdP is back, signing in
// again works.
import { afterAll, describe, expect, it } from 'vitest';
import { CookieJar, DEMO_PASSWORD, codeFromCallback, jarFetch, loginThroughForm } from 'demo-idp/testing';
import { call, postToken, signIn, stackConfig, startService, stopAll } from './support.js';

afterAll(stopAll);

describe('demo-idp down during sign-in', () => {
  it('redeeming the code is a 502 idp_unavailable problem, and signing in works again once it is back', async () => {
    const stack = await stackConfig();
    const idpDef = stack.service('idp');
    await startService(stack.service('pdp'), { PDP_DECISION_LOG: 'off' });
    let idp = await startService(idpDef);
    await startService(stack.service('api'));
    const api = stack.internal(stack.ports.API_PORT);

    const jar = new CookieJar();
    const authorize = await jarFetch(jar, `${api}/api/authorize`);
    const { authorize_url: authorizeUrl } = (await authorize.json()) as { authorize_url: string };
    const { callback } = await loginThroughForm({ authorizeUrl, redirectUri: `${stack.webOrigin}/auth/callback`, login: 'alice', password: DEMO_PASSWORD, jar });
    const { code, state } = codeFromCallback(callback);

    await idp.stop('SIGTERM');
    const started = performance.now();
    const down = await postToken(stack, jar, { code, state });
    const answeredMs = Math.round(performance.now() - started);

    const restartedAt = performance.now();
    idp = await startService(idpDef);
    const backMs = Math.round(performance.now() - restartedAt);
    const signInStarted = performance.now();
    const token = await signIn(stack, 'alice');
    const signInMs = Math.round(performance.now() - signInStarted);
    const me = await call(stack, '/api/me', token);

    console.log(
      `IdP down at the code exchange: ${down.status} ${String(down.body.code)} (${String(down.body.detail)}) after ${answeredMs} ms; ` +
        `IdP back after ${backMs} ms, a new sign-in took ${signInMs} ms, /api/me ${me.status}`,
    );
    expect(down.status).toBe(502);
    expect(down.type).toBe('application/problem+json');
    expect(down.body).toMatchObject({ status: 502, code: 'idp_unavailable' });
    expect(String(down.body.detail)).toMatch(/identity provider/i);
    expect(answeredMs).toBeLessThan(6_000);
    expect(me.status).toBe(200);
  }, 120_000);
});
