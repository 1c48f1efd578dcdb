// The login round trips: deep links, logout, a token that stops being valid, IdP errors, the
// signed-out home, phone width and the security headers of the production server.
import { describe, expect, it } from 'vitest';
import { screenshotFailures, shoot, type Session } from './support/browser.js';
import { heading, settled, isOn, navLinks, signInFromHome, submitIdpLogin, token, waitForApp } from './support/flows.js';
import { stackSuite } from './support/suite.js';

screenshotFailures();

const suite = stackSuite();
const session = (viewport?: { width: number; height: number }) => suite.session(viewport);

/** Paths of every demo-web page the main frame showed, to prove "forbidden" never appeared. */
function trackPaths(s: Session): string[] {
  const seen: string[] = [];
  s.page.on('framenavigated', (frame) => {
    if (frame === s.page.mainFrame() && frame.url().startsWith(suite.stack.webUrl)) seen.push(new URL(frame.url()).pathname);
  });
  return seen;
}

describe('signed out', () => {
  it('the home page explains the demo, lists the demo users and offers "Sign in"', async () => {
    const s = await session();
    const response = await s.page.goto(`${suite.stack.webUrl}/`);
    expect(await heading(s.page)).toContain('policy service');
    // The demo users come from demo-idp through demo-api's /api/demo/users, after the first render.
    await s.page.getByTestId('demo-users').waitFor();
    const text = (await s.page.locator('main').textContent()) ?? '';
    for (const name of ['alice', 'bob', 'carol', 'dave']) expect(text).toContain(name);
    expect(text).toContain('demo');
    expect(await s.page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await s.page.getByRole('navigation').count(), 'no navigation before sign-in').toBe(0);
    await shoot(s.page, 'signed-out-home');

    const headers = response!.headers();
    const csp = headers['content-security-policy'] ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(s.problems).toEqual([]);
  });

  it.each(['/chat', '/analytics', '/admin', '/forbidden'])('opening %s goes to the IdP login, never to "forbidden"', async (path) => {
    const s = await session();
    const seen = trackPaths(s);
    await s.page.goto(`${suite.stack.webUrl}${path}`);
    await s.page.waitForURL((url) => url.origin === suite.stack.idpUrl, { timeout: 15_000 });
    expect(await s.page.locator('input[name="login"]').isVisible()).toBe(true);
    expect(seen.filter((p) => p === '/forbidden' && path !== '/forbidden')).toEqual([]);
    if (path === '/chat') await shoot(s.page, 'idp-login-page');
    expect(s.problems).toEqual([]);
  });

  it('a deep link comes back to itself after login (bob, /analytics?view=table)', async () => {
    const s = await session();
    const seen = trackPaths(s);
    await s.page.goto(`${suite.stack.webUrl}/analytics?view=table`);
    await submitIdpLogin(s.page, suite.stack.idpUrl, 'bob');
    await waitForApp(s.page, suite.stack.webUrl, '/analytics');
    expect(new URL(s.page.url()).search).toBe('?view=table');
    expect(await heading(s.page)).toBe('Analytics');
    expect(seen).not.toContain('/forbidden');
    expect(s.problems).toEqual([]);
  });

  it('a refused deep link comes back to the Forbidden page after login (bob, /chat)', async () => {
    const s = await session();
    await s.page.goto(`${suite.stack.webUrl}/chat`);
    await submitIdpLogin(s.page, suite.stack.idpUrl, 'bob');
    await waitForApp(s.page, suite.stack.webUrl, '/forbidden');
    expect(await heading(s.page)).toBe('Access refused');
    // The PDP's advice, asked for on arrival.
    await expect.poll(() => s.page.getByTestId('access-advice').textContent()).toContain('oracle-ai-users');
    await shoot(s.page, 'bob-forbidden-after-login');
    expect(s.problems).toEqual([]);
  });
});

describe('signed in', () => {
  it('logout ends the IdP session; a protected page afterwards starts a new login', async () => {
    const s = await session();
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'alice');
    const endSession: string[] = [];
    s.context.on('request', (request) => {
      if (request.url().startsWith(suite.stack.idpUrl) && request.isNavigationRequest()) endSession.push(request.url());
    });
    const committed: string[] = [];
    s.page.on('framenavigated', (frame) => {
      if (frame === s.page.mainFrame() && endSession.length > 0) committed.push(new URL(frame.url()).origin);
    });
    await s.page.getByRole('button', { name: 'Log out' }).click();
    // The browser must pass through the IdP (end-session); demo-idp asks to confirm the sign-out.
    await expect.poll(() => endSession.length, { timeout: 15_000 }).toBeGreaterThan(0);
    // Either the IdP shows its sign-out page, or it redirects straight back to the app.
    await expect.poll(() => committed.at(-1), { timeout: 15_000 }).toBeDefined();
    if (isOn(s.page, suite.stack.idpUrl)) {
      const confirm = s.page.getByRole('button', { name: /^(sign out|log out|yes)/i }).first();
      await confirm.waitFor({ timeout: 15_000 });
      await shoot(s.page, 'idp-logout-page');
      await confirm.click();
    }
    await waitForApp(s.page, suite.stack.webUrl, '/');
    await s.page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(await token(s.page)).toBeNull();
    await shoot(s.page, 'after-logout');

    await s.page.goto(`${suite.stack.webUrl}/chat`);
    await s.page.waitForURL((url) => url.origin === suite.stack.idpUrl, { timeout: 15_000 });
    // A new login, not a silent one: the IdP session is gone, so it asks for credentials.
    await s.page.locator('input[name="login"]').waitFor({ timeout: 15_000 });
    await submitIdpLogin(s.page, suite.stack.idpUrl, 'alice');
    await waitForApp(s.page, suite.stack.webUrl, '/chat');
    expect(await heading(s.page)).toBe('Chat');
    expect(s.problems).toEqual([]);
  });

  it('log out, "Stay signed in here" at the IdP, and the next sign-in still asks who you are: bob after alice', async () => {
    const s = await session();
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'alice');
    await s.page.getByRole('button', { name: 'Log out' }).click();
    const stay = s.page.getByRole('button', { name: 'Stay signed in here' });
    await stay.waitFor({ timeout: 15_000 });
    await stay.click();
    await waitForApp(s.page, suite.stack.webUrl, '/');
    await s.page.getByRole('button', { name: 'Sign in' }).click();
    // The IdP still knows alice, yet it shows its form (prompt=login).
    await s.page.locator('input[name="login"]').waitFor({ timeout: 15_000 });
    await submitIdpLogin(s.page, suite.stack.idpUrl, 'bob');
    await waitForApp(s.page, suite.stack.webUrl, '/');
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('Welcome, bob');
    expect(await navLinks(s.page)).toEqual(['Analytics', 'Documents']);
    expect(s.problems).toEqual([]);
  });

  it('a token that stops being valid leads to sign-in and back to the page, not to an error page', async () => {
    const s = await session();
    const seen = trackPaths(s);
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'alice');
    const good = await token(s.page);
    expect(good).toBeTruthy();
    // Break the signature: demo-api's JWT check must refuse it (401), and the app must sign in again.
    const broken = await s.page.evaluate(() => {
      const t = sessionStorage.getItem('demo-web.access_token')!;
      const [h, p, sig] = t.split('.');
      const flipped = `${h}.${p}.${sig!.startsWith('A') ? 'B' : 'A'}${sig!.slice(1)}`;
      sessionStorage.setItem('demo-web.access_token', flipped);
      return flipped;
    });
    const authorizeCalls: string[] = [];
    s.page.on('request', (request) => {
      if (request.url() === `${suite.stack.webUrl}/api/authorize`) authorizeCalls.push(request.url());
    });
    await s.page.goto(`${suite.stack.webUrl}/analytics`);
    // The IdP session may still be alive (then it returns at once) or ask again: both are sign-in.
    await s.page.waitForURL(
      (url) => url.origin === suite.stack.idpUrl || (url.origin === suite.stack.webUrl && url.pathname === '/analytics' && authorizeCalls.length > 0),
      { timeout: 15_000 },
    ).catch(() => undefined);
    if (isOn(s.page, suite.stack.idpUrl) && (await s.page.locator('input[name="login"]').count()) > 0) {
      await submitIdpLogin(s.page, suite.stack.idpUrl, 'alice');
    }
    await waitForApp(s.page, suite.stack.webUrl, '/analytics');
    expect(await heading(s.page)).toBe('Analytics');
    expect(authorizeCalls.length, 'a new login was started').toBeGreaterThan(0);
    const fresh = await token(s.page);
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(broken);
    expect(seen).not.toContain('/forbidden');
    expect(await s.page.locator('main [role="alert"]').count()).toBe(0);
    // The browser reports the refused request itself; nothing else may be logged.
    expect(s.problems.filter((p) => !/status of 401/.test(p.text))).toEqual([]);
  });

  it('a 403 from the API shows the Forbidden page, even when the navigation wrongly offered the page', async () => {
    const s = await session();
    // Make the UI believe bob may chat (as a stale or buggy permission list would): the API,
    // which asks the PDP on every request, must still refuse, and the app must show Forbidden.
    await s.context.route(`${suite.stack.webUrl}/api/me`, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { permissions: Record<string, boolean> };
      await route.fulfill({ response, json: { ...body, permissions: { ...body.permissions, chat: true } } });
    });
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'bob');
    expect(await navLinks(s.page)).toContain('Chat');
    await s.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
    await s.page.waitForURL((url) => url.pathname === '/forbidden', { timeout: 15_000 });
    expect(await heading(s.page)).toBe('Access refused');
    expect(new URL(s.page.url()).searchParams.get('from')).toBe('/chat');
    const text = (await s.page.locator('main').textContent()) ?? '';
    expect(text).toContain('chat · read');
    expect(text).toContain('Decision id');
    // The 403's own advice (demo-api's explained PDP call), not the navigation's.
    await expect.poll(() => s.page.getByTestId('access-advice').textContent()).toContain('oracle-ai-users');
    expect(await token(s.page), 'a 403 keeps the user signed in').toBeTruthy();
    await shoot(s.page, 'bob-forbidden-from-api-403');
    expect(s.problems.filter((p) => !/status of 403/.test(p.text))).toEqual([]);
  });

  it('is usable at phone width (carol: no sideways scrolling, every page reachable)', async () => {
    const s = await session({ width: 375, height: 740 });
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'carol');
    expect(await navLinks(s.page)).toEqual(['Chat', 'Analytics', 'Admin', 'Documents']);
    for (const path of ['/', '/chat', '/analytics', '/admin', '/forbidden?from=%2Fsomething']) {
      await s.page.goto(`${suite.stack.webUrl}${path}`);
      await s.page.locator('main h1').waitFor();
      await settled(s.page);
      const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
      await shoot(s.page, `phone-carol-${path === '/' ? 'home' : path.slice(1).split('?')[0]}`);
    }
    expect(s.problems).toEqual([]);
  });
});

describe('IdP errors', () => {
  it('an error sent back to /auth/callback is shown clearly in our words (never the URL\'s), with a way to try again', async () => {
    const s = await session();
    await s.page.goto(`${suite.stack.webUrl}/auth/callback?error=access_denied&error_description=Your+account+is+locked,+call+555-0100&state=x`);
    expect(await heading(s.page)).toBe('Sign-in cancelled');
    const alert = s.page.getByRole('alert');
    expect(await alert.textContent()).toContain('access_denied');
    expect(await alert.textContent()).toContain('You cancelled the sign-in');
    expect(await s.page.locator('main').textContent()).not.toContain('locked');
    expect(await s.page.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    await shoot(s.page, 'callback-idp-error');
    expect(s.problems).toEqual([]);
  });

  it('a callback whose state this tab did not start is refused by the app, without asking the API, and says so', async () => {
    const s = await session();
    const tokenCalls: string[] = [];
    s.page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/token') tokenCalls.push(request.url());
    });
    await s.page.goto(`${suite.stack.webUrl}/auth/callback?code=forged&state=forged`);
    expect(await heading(s.page)).toBe('Sign-in could not be completed');
    expect(await s.page.getByRole('alert').textContent()).toContain('This sign-in was not started in this browser tab');
    expect(await token(s.page)).toBeNull();
    await shoot(s.page, 'callback-bad-state');
    expect(tokenCalls).toEqual([]);
    expect(s.problems).toEqual([]);
  });
});
