// The Documents pages in a real browser against the whole demo (demo-idp, pdp, demo-api on
// PGlite, demo-web's production build): each user's list is what the PDP's plan allows, a
// document the user may not read is "not found", and an owner edits and publishes a draft.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshotFailures, shoot, type Session } from './support/browser.js';
import { heading, settled, signInFromHome } from './support/flows.js';
import { stackSuite } from './support/suite.js';

screenshotFailures();

const suite = stackSuite();

async function signedIn(user: string): Promise<Session> {
  const s = await suite.session();
  await signInFromHome(s.page, suite.stack.webUrl, suite.stack.idpUrl, user);
  return s;
}

/** The ids of the documents listed on the page now. */
async function listedIds(page: Page): Promise<string[]> {
  await page.getByTestId('documents-table').waitFor();
  await settled(page);
  return page.locator('tbody tr[data-document-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-document-id') ?? ''));
}

/** Every id the API lists for this session's token, page by page (the browser's own view of the API). */
async function apiIds(page: Page, query = ''): Promise<string[]> {
  return page.evaluate(async ({ apiQuery }) => {
    const token = sessionStorage.getItem('demo-web.access_token');
    const ids: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const response = await fetch(`/api/documents?limit=100&offset=${offset}${apiQuery}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await response.json()) as { documents: Array<{ id: string }>; total: number };
      ids.push(...body.documents.map((d) => d.id));
      if (offset + 100 >= body.total) return ids;
    }
  }, { apiQuery: query });
}

describe('the Documents list', () => {
  it('alice opens it from the navigation and sees her drafts and her department, never others\' drafts', async () => {
    const s = await signedIn('alice');
    await s.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Documents' }).click();
    await s.page.waitForURL(`${suite.stack.webUrl}/documents`);
    expect(await heading(s.page)).toBe('Documents');
    const ids = await listedIds(s.page);
    expect(ids).toEqual(expect.arrayContaining(['alice-draft', 'engineering-incident-report', 'product-brochure']));
    for (const hidden of ['dave-draft', 'sales-playbook', 'bob-public-draft', 'finance-forecast']) expect(ids).not.toContain(hidden);
    expect((await s.page.locator('caption').textContent())?.trim()).toMatch(/^Documents 1–\d+ of \d+$/);
    await shoot(s.page, 'documents-alice');
    expect(s.problems).toEqual([]);
  });

  it('dave, a contractor, is never shown a confidential document, however he filters', async () => {
    const s = await signedIn('dave');
    await s.page.goto(`${suite.stack.webUrl}/documents`);
    const first = await listedIds(s.page);
    expect(first).toContain('engineering-handbook');
    expect(first).not.toContain('engineering-incident-report');
    await s.page.getByLabel('Classification').selectOption('confidential');
    await expect.poll(() => s.page.locator('caption').textContent()).toContain('No documents you may read match.');
    expect(await apiIds(s.page, '&classification=confidential')).toEqual([]);
    await shoot(s.page, 'documents-dave-confidential');
    expect(s.problems).toEqual([]);
  });

  it('carol (an admin) pages through far more, and the pages join up to what the API lists', async () => {
    const s = await signedIn('carol');
    await s.page.goto(`${suite.stack.webUrl}/documents`);
    const all = await apiIds(s.page);
    const seen: string[] = [...(await listedIds(s.page))];
    while (await s.page.getByRole('button', { name: 'Next page' }).isEnabled()) {
      const before = seen.length;
      await s.page.getByRole('button', { name: 'Next page' }).click();
      await expect.poll(async () => (await listedIds(s.page))[0] !== seen[before - 1] && (await listedIds(s.page)).length > 0).toBe(true);
      seen.push(...(await listedIds(s.page)));
    }
    expect(seen).toEqual(all);
    expect(all).toContain('dave-confidential-draft');
  });

  it('searching the titles narrows the list', async () => {
    const s = await signedIn('bob');
    await s.page.goto(`${suite.stack.webUrl}/documents`);
    await listedIds(s.page);
    await s.page.getByLabel('Title contains').fill('playbook');
    await s.page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => listedIds(s.page)).toEqual(['sales-playbook']);
  });
});

describe('a document page', () => {
  it('alice edits her draft, then publishes it, and may no longer edit it', async () => {
    const s = await signedIn('alice');
    await s.page.goto(`${suite.stack.webUrl}/documents`);
    await listedIds(s.page);
    await s.page.locator('tr[data-document-id="alice-draft"] a').click();
    await s.page.waitForURL(`${suite.stack.webUrl}/documents/alice-draft`);
    await s.page.getByRole('button', { name: 'Edit' }).click();
    await s.page.getByLabel('Title').fill('Search ranking ideas, edited in the browser');
    await s.page.getByLabel('Text').fill('Line one.\nLine two.');
    await s.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => heading(s.page)).toBe('Search ranking ideas, edited in the browser');
    expect(await s.page.getByTestId('document-body').textContent()).toBe('Line one.\nLine two.');
    await shoot(s.page, 'document-alice-edited');

    await s.page.getByRole('button', { name: 'Edit' }).click();
    await s.page.getByLabel('Status').selectOption('published');
    await s.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => s.page.getByTestId('document-status').textContent()).toBe('published');
    expect(await s.page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(s.problems).toEqual([]);
  });

  it('bob is told "not found" for a draft he may not read, as for a document that does not exist', async () => {
    const s = await signedIn('bob');
    for (const id of ['dave-draft', 'no-such-document']) {
      await s.page.goto(`${suite.stack.webUrl}/documents/${id}`);
      await expect.poll(() => heading(s.page)).toBe('Document not found');
    }
    await shoot(s.page, 'document-bob-not-found');
    expect(s.problems.filter((p) => !/status of 404/.test(p.text))).toEqual([]);
  });

  it('carol reads a draft of someone else without an Edit button', async () => {
    const s = await signedIn('carol');
    await s.page.goto(`${suite.stack.webUrl}/documents/dave-draft`);
    await expect.poll(() => heading(s.page)).toBe('Dave: onboarding checklist (draft)');
    expect(await s.page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await s.page.locator('main').textContent()).toContain('only its owner may edit it');
  });
});
