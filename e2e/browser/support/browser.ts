// Debian's chromium driven by playwright-core: never a downloaded browser.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { beforeEach } from 'vitest';
import { ROOT } from './stack.js';

export const SCREENSHOT_DIR = path.join(ROOT, 'test-output', 'e2e');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

let lastPage: Page | undefined;

/**
 * Call once per test file: a failing test leaves a screenshot of the page it last opened,
 * named after the test.
 */
export function screenshotFailures(): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(async ({ task }) => {
      if (lastPage && !lastPage.isClosed()) {
        await shoot(lastPage, `FAILED-${task.suite?.name ?? ''}-${task.name}`).catch(() => undefined);
      }
    });
  });
}

export interface Problem {
  readonly page: string;
  readonly text: string;
}

export interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, uncaught exceptions and CSP violations on demo-web's pages. */
  readonly problems: Problem[];
  /** Every request that carried an Authorization header, as "METHOD URL". */
  readonly bearerRequests: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser profile (no cookies, empty storage) watching for console errors and CSP
 * violations on demo-web's origin.
 */
export async function openSession(
  browser: Browser,
  webUrl: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Session> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1100, height: 800 } });
  // Reported from inside the page: a CSP violation must fail the test even if Chromium words
  // its console message differently.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  const problems: Problem[] = [];
  const bearerRequests: string[] = [];
  const onWeb = () => page.url().startsWith(webUrl);
  page.on('console', (message) => {
    if (message.type() === 'error' && onWeb()) problems.push({ page: page.url(), text: message.text() });
  });
  page.on('pageerror', (error) => {
    if (onWeb()) problems.push({ page: page.url(), text: `uncaught: ${error.message}` });
  });
  context.on('request', (request) => {
    if (request.headers()['authorization']) bearerRequests.push(`${request.method()} ${request.url()}`);
  });
  lastPage = page;
  return { context, page, problems, bearerRequests, close: () => context.close() };
}

/** Saves a full-page screenshot under test-output/e2e/ (name made file-safe). */
export async function shoot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-').replace(/-+/g, '-').slice(0, 120)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
