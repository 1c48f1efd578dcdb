// Every page of demo-web, and demo-idp's login and sign-out pages, pass axe-core with the CSP
// they are served with; and what axe cannot see: the focus after a navigation, a send, an
// error, and the one live region the app announces through.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from 'demo-idp/testing';
import { axeViolations } from './support/axe.js';
import { screenshotFailures } from './support/browser.js';
import { heading, settled, signInFromHome, submitIdpLogin, waitForApp } from './support/flows.js';
import { stackSuite } from './support/suite.js';

screenshotFailures();

const suite = stackSuite();
const session = () => suite.session();

/** What has the focus: its tag and text, e.g. "H1 Chat". */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName} ${(el.textContent ?? '').trim()}`.trim() : '';
  });
}

async function expectNoViolations(page: Page, what: string): Promise<void> {
  expect(await axeViolations(page), what).toEqual([]);
}

describe('signed out', () => {
  it('the home, not-found and callback pages pass axe, with the CSP as served', async () => {
    const s = await session();
    const response = await s.page.goto(`${suite.stack.webUrl}/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await heading(s.page);
    await expectNoViolations(s.page, 'signed-out home');
    // The CSP really is in force while axe runs: an inline script is still refused.
    const inline = await s.page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.head.append(script);
      return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    expect(inline, 'an inline script ran: the CSP was not in force').toBe(false);
    await expect.poll(() => s.problems.map((p) => p.text)).toContain('CSP violation: script-src-elem blocked inline');
    s.problems.length = 0;
    // And axe does find what it should: an image without a text alternative.
    await s.page.evaluate(() => document.querySelector('main')!.append(Object.assign(document.createElement('img'), { src: '/favicon.ico' })));
    expect((await axeViolations(s.page)).map((v) => v.split(' ')[0])).toEqual(['image-alt']);

    await s.page.goto(`${suite.stack.webUrl}/no-such-page`);
    expect(await heading(s.page)).toBe('Page not found');
    expect(await s.page.title()).toContain('Page not found');
    await expectNoViolations(s.page, 'not found');

    await s.page.goto(`${suite.stack.webUrl}/auth/callback?error=access_denied&state=x`);
    expect(await heading(s.page)).toBe('Sign-in cancelled');
    await expectNoViolations(s.page, 'callback error');
    expect(s.problems).toEqual([]);
  });

  it('the skip link is the first stop of the keyboard and moves the focus to main', async () => {
    const s = await session();
    await s.page.goto(`${suite.stack.webUrl}/`);
    await heading(s.page);
    await s.page.keyboard.press('Tab');
    expect(await focused(s.page)).toBe('A Skip to main content');
    await s.page.keyboard.press('Enter');
    expect(await s.page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(new URL(s.page.url()).pathname, 'no reload to /#main').toBe('/');
  });

  it('"Sign in" keeps the focus while the app leaves, and the live region, there from the start, says so', async () => {
    const s = await session();
    await s.page.goto(`${suite.stack.webUrl}/`);
    await heading(s.page);
    expect(await s.page.getByTestId('status').textContent(), 'the live region exists, empty').toBe('');
    // Hold the answer so the "leaving" state can be looked at.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await s.page.route(`${suite.stack.webUrl}/api/authorize`, async (route) => {
      await held;
      await route.continue();
    });
    const button = s.page.getByRole('button', { name: 'Sign in' });
    await button.focus();
    await s.page.keyboard.press('Enter');
    await expect.poll(() => s.page.getByTestId('status').textContent()).toBe('Taking you to the sign-in page…');
    expect(await button.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(s.page)).toBe('BUTTON Sign in');
    release();
    await s.page.waitForURL((url) => url.origin === suite.stack.idpUrl, { timeout: 15_000 });
  });
});

describe('demo-idp', () => {
  it('the login page passes axe, and a wrong password is tied to the fields, before them, and in the title', async () => {
    const s = await session();
    await s.page.goto(`${suite.stack.webUrl}/chat`);
    await s.page.waitForURL((url) => url.origin === suite.stack.idpUrl, { timeout: 15_000 });
    await s.page.locator('input[name="login"]').waitFor();
    await expectNoViolations(s.page, 'IdP login');
    expect(await s.page.locator('input[name="login"]').getAttribute('autocomplete')).toBe('username');
    expect(await s.page.locator('input[name="password"]').getAttribute('autocomplete')).toBe('current-password');

    await s.page.locator('input[name="login"]').fill('alice');
    await s.page.locator('input[name="password"]').fill(`${DEMO_PASSWORD}-wrong`);
    await s.page.locator('form button[type="submit"]').click();
    const error = s.page.getByRole('alert');
    await error.waitFor();
    expect(await s.page.title()).toMatch(/^Sign-in failed/);
    const errorId = await error.getAttribute('id');
    for (const name of ['login', 'password']) {
      const field = s.page.locator(`input[name="${name}"]`);
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      expect(await field.getAttribute('aria-describedby')).toBe(errorId);
    }
    const errorFirst = await s.page.evaluate(
      (id) => Boolean(document.getElementById(id!)!.compareDocumentPosition(document.getElementById('login')!) & Node.DOCUMENT_POSITION_FOLLOWING),
      errorId,
    );
    expect(errorFirst, 'the error comes before the fields').toBe(true);
    await expectNoViolations(s.page, 'IdP login with an error');

    await submitIdpLogin(s.page, suite.stack.idpUrl, 'alice');
    await waitForApp(s.page, suite.stack.webUrl, '/chat');
  });
});

describe('signed in', () => {
  it.each([
    { user: 'bob', paths: ['/', '/analytics', '/chat', '/admin', '/no-such-page'] },
    { user: 'carol', paths: ['/', '/chat', '/analytics', '/admin', '/forbidden?from=%2Fsomething'] },
  ])('every page $user opens passes axe', async ({ user, paths }) => {
    const s = await session();
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, user);
    for (const path of paths) {
      await s.page.goto(`${suite.stack.webUrl}${path}`);
      await heading(s.page);
      await settled(s.page);
      await expectNoViolations(s.page, `${user} ${path}`);
    }
    expect(s.problems).toEqual([]);
  });

  it('a navigation moves the focus to the new page\'s heading; sending a message leaves it in the message field', async () => {
    const s = await session();
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'alice');
    const nav = s.page.getByRole('navigation', { name: 'Main' });
    for (const [link, title] of [['Analytics', 'Analytics'], ['Chat', 'Chat']] as const) {
      await nav.getByRole('link', { name: link }).click();
      await s.page.waitForURL(`${suite.stack.webUrl}/${link.toLowerCase()}`);
      await expect.poll(() => focused(s.page)).toBe(`H1 ${title}`);
    }
    await settled(s.page);
    const field = s.page.getByLabel('Message');
    const send = s.page.getByRole('button', { name: 'Send' });
    expect(await send.getAttribute('aria-disabled'), 'nothing to send yet').toBe('true');
    await field.fill('Hello by keyboard');
    await field.press('Enter');
    await expect.poll(() => s.page.locator('main .message.from-user').count()).toBe(1);
    expect(await s.page.evaluate(() => document.activeElement?.id)).toBe('chat-message');
    await field.fill('Hello by click');
    await send.click();
    await expect.poll(() => s.page.locator('main .message.from-user').count()).toBe(2);
    expect(await s.page.evaluate(() => document.activeElement?.id), 'back in the field after a click on Send').toBe('chat-message');
    expect(await s.page.evaluate(() => document.activeElement === document.body)).toBe(false);
    expect(s.problems).toEqual([]);
  });

  it('the sign-out confirmation passes axe and offers a plain choice', async () => {
    const s = await session();
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'alice');
    await s.page.getByRole('button', { name: 'Log out' }).click();
    await s.page.waitForURL((url) => url.origin === suite.stack.idpUrl, { timeout: 15_000 });
    await s.page.getByRole('button', { name: 'Sign out of the sign-in server' }).waitFor();
    await expectNoViolations(s.page, 'IdP sign-out');
  });
});
