// The admin page as carol sees it: every rule written out readably, the schema's attributes,
// and the playground asking the real PDP (through demo-api) with its explained trace.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations } from './support/axe.js';
import { screenshotFailures, shoot } from './support/browser.js';
import { heading, settled, signInFromHome } from './support/flows.js';
import { stackSuite } from './support/suite.js';

screenshotFailures();

const suite = stackSuite();

/** The trace table's rows, each as its cells' text. */
async function traceCells(page: Page): Promise<string[][]> {
  return page.getByTestId('trace').locator('tbody tr').evaluateAll((rows) =>
    rows.map((row) => Array.from(row.querySelectorAll('th, td')).map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())),
  );
}

describe('the admin page (carol)', () => {
  it('shows each rule readably, the declared attributes, and the playground\'s explained answers', async () => {
    const s = await suite.session();
    await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, 'carol');
    await s.page.goto(`${suite.stack.webUrl}/admin`);
    expect(await heading(s.page)).toBe('Admin: loaded policies');
    await settled(s.page);

    const rules = await s.page.getByTestId('rule').allTextContents();
    const suspended = rules.map((r) => r.replace(/\s+/g, ' ')).find((r) => r.includes('no-chat-from-suspended-accounts'));
    expect(suspended).toContain('deny');
    expect(suspended).toContain('subject.claims.account_status = "suspended"');
    expect(rules.map((r) => r.replace(/\s+/g, ' ')).find((r) => r.includes('members-may-chat'))).toContain('roles: any of ai-user');
    expect(await s.page.getByTestId('attributes').textContent()).toContain('subject.claims.account_status');

    // bob, chat, read: no rule lets him in.
    await s.page.getByLabel('Demo user').selectOption('bob');
    await s.page.getByLabel('Resource type').selectOption('chat');
    await s.page.getByLabel('Action').fill('read');
    await s.page.getByRole('button', { name: 'Decide' }).click();
    await expect.poll(() => s.page.getByTestId('verdict').textContent()).toMatch(/deny\s+bob may not read chat/);
    const bob = await traceCells(s.page);
    expect(bob.find((cells) => cells[0]!.startsWith('chat/members-may-chat'))).toEqual(['chat/members-may-chat allow', '✓ match', '✗ roles: any of ai-user', 'none', 'no']);

    // alice with a suspended account: the deny rule's condition holds, on the value it read.
    await s.page.getByLabel('Demo user').selectOption('alice');
    await s.page.getByLabel('Claims').fill('{"account_status": "suspended"}');
    await s.page.getByRole('button', { name: 'Decide' }).click();
    await expect.poll(() => s.page.getByTestId('verdict').textContent()).toMatch(/deny\s+alice may not read chat/);
    const alice = await traceCells(s.page);
    expect(alice.find((cells) => cells[0]!.startsWith('chat/no-chat-from-suspended-accounts'))).toEqual([
      'chat/no-chat-from-suspended-accounts deny',
      '✓ match',
      '✓ anyone',
      '✓ true: subject.claims.account_status = "suspended" read: subject.claims.account_status = "suspended"',
      'yes',
    ]);
    await shoot(s.page, 'carol-admin-playground');
    expect(await axeViolations(s.page), 'admin page with an answer').toEqual([]);

    // A field that is not JSON is refused on the page, tied to the field.
    await s.page.getByLabel('Claims').fill('{not json');
    await s.page.getByRole('button', { name: 'Decide' }).click();
    await expect.poll(() => s.page.getByRole('alert').textContent()).toContain('Claims must be a JSON object');
    expect(await s.page.getByLabel('Claims').getAttribute('aria-invalid')).toBe('true');

    // What demo-api refuses comes back with its pointer.
    await s.page.getByLabel('Claims').fill('');
    await s.page.getByLabel('Action').fill('');
    await s.page.getByRole('button', { name: 'Decide' }).click();
    await expect.poll(() => s.page.getByRole('alert').textContent()).toContain('/action');
    expect(await s.page.getByLabel('Action').getAttribute('aria-invalid')).toBe('true');
    expect(s.problems.filter((p) => !/status of 400/.test(p.text))).toEqual([]);
  });
});
