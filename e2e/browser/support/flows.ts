// What a person does in the demo, step by step, through the real IdP pages.
import { expect } from 'vitest';
import { DEMO_PASSWORD } from 'demo-idp/testing';
import type { Page } from 'playwright-core';

const STEP_TIMEOUT_MS = 15_000;

export function isOn(page: Page, origin: string, pathname?: string): boolean {
  const url = new URL(page.url());
  return url.origin === origin && (pathname === undefined || url.pathname === pathname);
}

/** Fills demo-idp's login form (login, password, one submit button). */
export async function submitIdpLogin(page: Page, idpUrl: string, username: string): Promise<void> {
  await page.waitForURL((url) => url.origin === idpUrl, { timeout: STEP_TIMEOUT_MS });
  await page.locator('input[name="login"]').fill(username);
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('form button[type="submit"], form input[type="submit"]').first().click();
}

/** Waits until the browser is back on demo-web, past /auth/callback, on `pathname`. */
export async function waitForApp(page: Page, webUrl: string, pathname: string): Promise<void> {
  await page.waitForURL((url) => url.origin === webUrl && url.pathname === pathname, { timeout: STEP_TIMEOUT_MS });
}

/** From the signed-out home: "Sign in", the IdP's form, and back to the welcome page. */
export async function signInFromHome(page: Page, webUrl: string, idpUrl: string, username: string): Promise<void> {
  await page.goto(`${webUrl}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await submitIdpLogin(page, idpUrl, username);
  await waitForApp(page, webUrl, '/');
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Welcome, ${username}`);
}

export async function navLinks(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.waitFor({ timeout: STEP_TIMEOUT_MS });
  return (await nav.getByRole('link').allTextContents()).map((t) => t.trim());
}

export async function heading(page: Page): Promise<string> {
  const h1 = page.locator('main h1');
  await h1.waitFor({ timeout: STEP_TIMEOUT_MS });
  return ((await h1.textContent()) ?? '').trim();
}

/**
 * Waits until the page has loaded what it shows: the app's one live region (always present)
 * has nothing left to say.
 */
export async function settled(page: Page): Promise<void> {
  // Two frames: a page that just rendered has had the chance to put its "Loading…" there.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toBe('');
}

export async function token(page: Page): Promise<string | null> {
  return page.evaluate(() => sessionStorage.getItem('demo-web.access_token'));
}
