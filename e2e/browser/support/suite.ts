// One test file's stack and browser, started once for all its tests, and its sessions closed
// with them.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, openSession, type Session } from './browser.js';
import { startStack, type Stack } from './stack.js';

export interface Suite {
  readonly stack: Stack;
  readonly browser: Browser;
  /** A fresh browser profile on the stack's demo-web, closed after the file's tests. */
  session(viewport?: { width: number; height: number }): Promise<Session>;
}

/** Call once at the top of a test file. */
export function stackSuite(): Suite {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const sessions: Session[] = [];

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  return {
    get stack() {
      if (!stack) throw new Error('the stack is not started yet (use it inside a test)');
      return stack;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not launched yet (use it inside a test)');
      return browser;
    },
    async session(viewport) {
      const s = await openSession(this.browser, this.stack.webUrl, viewport ? { viewport } : {});
      sessions.push(s);
      return s;
    },
  };
}
