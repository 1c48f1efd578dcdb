// Each demo user sees exactly what the demo policies grant (the user list in README.md), through
// the navigation and by typing the URL, against the real demo-idp, pdp, demo-api and demo-web's
// production build.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openSession, screenshotFailures, shoot, type Session } from './support/browser.js';
import { heading, settled, navLinks, signInFromHome, token } from './support/flows.js';
import { startStack, type Stack } from './support/stack.js';

const PAGES = [
  { path: '/chat', link: 'Chat', title: 'Chat' },
  { path: '/analytics', link: 'Analytics', title: 'Analytics' },
  { path: '/admin', link: 'Admin', title: 'Admin: loaded policies' },
] as const;

type PagePath = (typeof PAGES)[number]['path'];

/** Every signed-in user has the Documents link, after the pages: the list holds what the PDP lets them read. */
const navFor = (may: readonly PagePath[]): string[] => [...PAGES.filter((p) => may.includes(p.path)).map((p) => p.link), 'Documents'];

const USERS: { name: string; groups: string[]; may: PagePath[]; hint: Partial<Record<PagePath, string>> }[] = [
  { name: 'alice', groups: ['oracle-ai-users'], may: ['/chat', '/analytics'], hint: { '/admin': 'oracle-ai-admins' } },
  {
    name: 'bob',
    groups: [],
    may: ['/analytics'],
    hint: { '/chat': 'oracle-ai-users', '/admin': 'oracle-ai-admins' },
  },
  { name: 'carol', groups: ['oracle-ai-admins'], may: ['/chat', '/analytics', '/admin'], hint: {} },
];

screenshotFailures();

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe.each(USERS)('$name', (user) => {
  let s: Session;

  beforeAll(async () => {
    s = await openSession(browser, stack.webUrl);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('signs in from the home page and the navigation shows exactly what the PDP allows', async () => {
    await signInFromHome(s.page, stack.webUrl, stack.idpUrl, user.name);
    expect(await navLinks(s.page)).toEqual(navFor(user.may));
    expect(await token(s.page)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await s.page.evaluate(() => localStorage.length), 'nothing in localStorage').toBe(0);
    await shoot(s.page, `${user.name}-home`);
  });

  it('opens every allowed page through the navigation links', async () => {
    for (const target of PAGES.filter((p) => user.may.includes(p.path))) {
      await s.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: target.link }).click();
      await s.page.waitForURL(`${stack.webUrl}${target.path}`);
      expect(await heading(s.page)).toBe(target.title);
      await settled(s.page);
      await shoot(s.page, `${user.name}-nav-${target.link.toLowerCase()}`);
    }
  });

  it.each(PAGES)('typing $path shows the page or, when refused, the Forbidden page', async (target) => {
    await s.page.goto(`${stack.webUrl}${target.path}`);
    if (user.may.includes(target.path)) {
      expect(await heading(s.page)).toBe(target.title);
      expect(new URL(s.page.url()).pathname).toBe(target.path);
      await settled(s.page);
      await expect.poll(() => s.page.locator('main [role="alert"]').count()).toBe(0);
    } else {
      expect(await heading(s.page)).toBe('Access refused');
      const url = new URL(s.page.url());
      expect(url.pathname).toBe('/forbidden');
      expect(url.searchParams.get('from')).toBe(target.path);
      expect(await s.page.getByTestId('refused').textContent()).toContain(target.link);
      expect(await s.page.getByTestId('forbidden-user').textContent()).toBe(user.name);
      const groups = (await s.page.getByTestId('forbidden-groups').textContent())?.trim();
      expect(groups).toBe(user.groups.length > 0 ? user.groups.join(', ') : 'none');
      // The PDP's advice (explain.wouldAllow through demo-api) names the group the policy grants it to.
      const hint = user.hint[target.path];
      if (hint) {
        await settled(s.page);
        expect(await s.page.getByTestId('access-advice').textContent()).toContain(hint);
      }
    }
    // The navigation never offers more than the PDP allows, wherever you are.
    expect(await navLinks(s.page)).toEqual(navFor(user.may));
    await shoot(s.page, `${user.name}-typed-${target.path.slice(1)}`);
  });

  it('content of the allowed pages comes from the API', async () => {
    if (user.may.includes('/analytics')) {
      await s.page.goto(`${stack.webUrl}/analytics`);
      const rows = s.page.locator('main table tbody tr');
      await rows.first().waitFor();
      const count = await rows.count();
      expect(count).toBeGreaterThan(0);
      expect(await s.page.locator('main svg rect.chart-bar').count(), 'one bar per figure').toBe(count);
    }
    if (user.may.includes('/chat')) {
      await s.page.goto(`${stack.webUrl}/chat`);
      expect(await heading(s.page)).toBe('Chat');
      // The conversation has loaded once the "Loading…" status is gone (it shows from the first render).
      await settled(s.page);
      const before = await s.page.locator('main .message').count();
      await s.page.getByLabel('Message').fill(`Hello from ${user.name}`);
      await s.page.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => s.page.locator('main .message').count(), { timeout: 10_000 }).toBe(before + 2);
      expect(await s.page.locator('main .message.from-user').last().textContent()).toContain(`Hello from ${user.name}`);
      const reply = (await s.page.locator('main .message:not(.from-user)').last().textContent())?.trim();
      expect(reply?.length).toBeGreaterThan('Assistant'.length);
      await shoot(s.page, `${user.name}-chat-after-send`);
    }
    if (user.may.includes('/admin')) {
      await s.page.goto(`${stack.webUrl}/admin`);
      const revision = s.page.getByTestId('revision');
      await revision.waitFor();
      expect((await revision.textContent())?.trim()).toMatch(/^sha256:/);
      expect(await s.page.locator('main article.policy').count()).toBeGreaterThan(0);
    }
  });

  it('sent the token only to demo-web’s /api and logged no console error or CSP violation', () => {
    expect(s.bearerRequests.length).toBeGreaterThan(0);
    for (const request of s.bearerRequests) {
      expect(request).toMatch(new RegExp(`^[A-Z]+ ${stack.webUrl.replace(/[.]/g, '\\.')}/api/`));
    }
    expect(s.problems).toEqual([]);
  });
});
