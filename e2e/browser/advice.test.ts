// The advice a refused user gets, and the home page's user table, come from the loaded policies:
// the PDP's explained deny names the groups, and a live edit of the policy files (a copy the
// stack's PDP serves and watches) changes what the next navigation says, without a restart.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openSession, screenshotFailures, shoot } from './support/browser.js';
import { heading, settled, signInFromHome } from './support/flows.js';
import { ROOT, startStack, type Stack } from './support/stack.js';

screenshotFailures();

const policiesDir = mkdtempSync(path.join(tmpdir(), 'e2e-advice-policies-'));
cpSync(path.join(ROOT, 'policies'), policiesDir, { recursive: true });
const chatFile = path.join(policiesDir, 'chat.json');
const originalChat = readFileSync(chatFile, 'utf8');

interface Rule { id: string; effect: string; actions: string[]; subject?: unknown; when?: unknown; description?: string }

/** Writes chat.json with its rules changed by `edit` (the PDP notices and reloads it). */
function editChat(edit: (rules: Rule[]) => Rule[]): void {
  const policy = JSON.parse(originalChat) as { rules: Rule[] };
  writeFileSync(chatFile, `${JSON.stringify({ ...policy, rules: edit(policy.rules) }, null, 2)}\n`);
}

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ PDP_POLICIES: policiesDir });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(policiesDir, { recursive: true, force: true });
});

/** What demo-api's public user list says alice may open: the sign that a policy edit is live. */
async function aliceMayChat(): Promise<boolean> {
  const body = (await (await fetch(`${stack.webUrl}/api/demo/users`)).json()) as { users: { username: string; permissions: { chat: boolean } }[] };
  return body.users.find((u) => u.username === 'alice')?.permissions.chat === true;
}

/** The home table's rows as text cells. */
async function userRows(page: Page): Promise<string[][]> {
  const table = page.getByTestId('demo-users');
  await table.waitFor({ timeout: 15_000 });
  return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (c) => (c.textContent ?? '').trim())));
}

/** An in-app navigation (no reload): the router's own popstate handling, as the Back button does. */
async function navigateInApp(page: Page, url: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, '', to);
    dispatchEvent(new PopStateEvent('popstate', { state: null }));
  }, url);
}

async function advice(page: Page): Promise<string> {
  await settled(page);
  return ((await page.getByTestId('access-advice').textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('advice computed from the policies', () => {
  it('the signed-out home lists demo-idp\'s users (dave too) and what the policies open to each, and follows a live edit', async () => {
    const s = await openSession(browser, stack.webUrl);
    await s.page.goto(`${stack.webUrl}/`);
    const before = await userRows(s.page);
    expect(before).toEqual([
      ['alice', 'oracle-ai-users', 'Chat, Analytics'],
      ['bob', '(none)', 'Analytics'],
      ['carol', 'oracle-ai-admins', 'Chat, Analytics, Admin'],
      ['dave', 'contractors', 'Analytics'],
    ]);
    // Chat for contractors instead of Oracle AI users.
    editChat((rules) => rules.map((r) => (r.id === 'members-may-chat' ? { ...r, subject: { groups: { anyOf: ['contractors'] } } } : r)));
    await expect.poll(aliceMayChat, { timeout: 20_000 }).toBe(false);
    await s.page.reload();
    await expect.poll(() => userRows(s.page)).toEqual([
      ['alice', 'oracle-ai-users', 'Analytics'],
      ['bob', '(none)', 'Analytics'],
      ['carol', 'oracle-ai-admins', 'Analytics, Admin'],
      ['dave', 'contractors', 'Chat, Analytics'],
    ]);
    await shoot(s.page, 'advice-home-after-edit');
    writeFileSync(chatFile, originalChat);
    await expect.poll(aliceMayChat, { timeout: 20_000 }).toBe(true);
    expect(s.problems).toEqual([]);
  });

  it('bob refused chat is told the group the PDP names; after a live edit the next navigation names the new one, then says none would', async () => {
    const s = await openSession(browser, stack.webUrl);
    await signInFromHome(s.page, stack.webUrl, stack.idpUrl, 'bob');
    await s.page.goto(`${stack.webUrl}/chat`);
    expect(await heading(s.page)).toBe('Access refused');
    const first = await advice(s.page);
    expect(first).toContain('oracle-ai-users');
    expect(first).toMatch(/^Ask an admin to add you to/);
    await shoot(s.page, 'advice-bob-chat');

    // The chat policy now names another group: the next (in-app) navigation says so.
    editChat((rules) => rules.map((r) => (r.id === 'members-may-chat' ? { ...r, subject: { groups: { anyOf: ['chat-testers'] } } } : r)));
    await expect.poll(aliceMayChat, { timeout: 20_000 }).toBe(false);
    await s.page.getByRole('link', { name: 'Analytics' }).first().click();
    await s.page.waitForURL(`${stack.webUrl}/analytics`);
    await navigateInApp(s.page, '/chat');
    await s.page.waitForURL((url) => url.pathname === '/forbidden');
    await expect.poll(() => advice(s.page)).toBe('Ask an admin to add you to the chat-testers group, then sign in again. Quote the decision id and revision above: they name the exact decision in the policy service\'s log.');

    // A deny rule for everyone: no group would open it, and the page says so plainly.
    editChat((rules) => [...rules, { id: 'chat-closed', effect: 'deny', actions: ['*'], when: { '!!': { var: 'subject.id' } } }]);
    await expect.poll(async () => {
      await navigateInApp(s.page, '/analytics');
      await s.page.waitForURL(`${stack.webUrl}/analytics`);
      await navigateInApp(s.page, '/chat');
      await s.page.waitForURL((url) => url.pathname === '/forbidden');
      return advice(s.page);
    }, { timeout: 20_000 }).toMatch(/^No group would open it under the current policies/);
    await shoot(s.page, 'advice-bob-chat-closed');
    writeFileSync(chatFile, originalChat);
    expect(s.problems).toEqual([]);
  });
});
