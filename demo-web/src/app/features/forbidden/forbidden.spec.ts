import { RouterTestingHarness } from '@angular/router/testing';
import { PAGES, type MeResponse } from '@oracle-ai/contract';
import { describe, expect, it, vi } from 'vitest';
import { ALICE, BOB, nextRequest, setup } from '../../core/testing';

/** bob, signed in, opens `url` through the app's real routes (and guard); resolves to the refusal line. */
async function refusedLine(url: string): Promise<string> {
  const { http } = setup({ token: 'tok' });
  const harness = await RouterTestingHarness.create();
  const navigated = harness.navigateByUrl(url);
  (await nextRequest(http, '/api/me')).flush(BOB);
  await navigated;
  let line = '';
  await vi.waitFor(
    () => {
      harness.detectChanges();
      line = harness.routeNativeElement?.querySelector('.lead')?.textContent ?? '';
      expect(line).not.toBe('');
    },
    { timeout: 1000, interval: 5 },
  );
  return line.replace(/\s+/g, ' ').trim();
}

describe('the Forbidden page', () => {
  it.each(PAGES)('from=$path names that page by its label', async (page) => {
    expect(await refusedLine(`/forbidden?from=${encodeURIComponent(page.path)}`)).toBe(`You may not open ${page.label} (${page.resource} · ${page.action}).`);
  });

  it('a URL under a page still names only the page, not the rest of the URL', async () => {
    expect(await refusedLine(`/forbidden?from=${encodeURIComponent('/chat?msg=Your account is locked')}`)).toBe('You may not open Chat (chat · read).');
  });

  it.each(['/Your-account-is-locked-call-555', 'https://evil.example/', 'javascript:alert(1)', '/chatroom'])('from=%s names no page and is ignored', async (from) => {
    const line = await refusedLine(`/forbidden?from=${encodeURIComponent(from)}`);
    expect(line).toBe('The policy service refused this request.');
  });
});

describe('what the Forbidden page tells you to quote', () => {
  it('a page the navigation kept closed shows /api/me\'s decision for that page and its revision', async () => {
    const { http } = setup({ token: 'tok' });
    const harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl('/chat');
    (await nextRequest(http, '/api/me')).flush(BOB);
    await navigated;
    await vi.waitFor(
      () => {
        harness.detectChanges();
        expect(harness.routeNativeElement?.querySelector('[data-testid="decision-id"]')?.textContent).toBe(BOB.decisionIds.chat);
      },
      { timeout: 1000, interval: 5 },
    );
    expect(harness.routeNativeElement?.querySelector('[data-testid="decision-revision"]')?.textContent).toBe(BOB.revision);
    // Said once: the page's own advice, not the API's detail sentence as well.
    expect(harness.routeNativeElement?.textContent?.match(/quot/gi)).toHaveLength(1);
  });
});

describe('how to request access, from the PDP\'s advice', () => {
  /** bob opens /chat; the guard reads `BOB`, the page asks `/api/me` again and gets `fresh`. */
  async function adviceFor(fresh: MeResponse): Promise<string> {
    const { http } = setup({ token: 'tok' });
    const harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl('/chat');
    (await nextRequest(http, '/api/me')).flush(BOB);
    await navigated;
    (await nextRequest(http, '/api/me')).flush(fresh);
    return adviceText(harness);
  }

  it('names the one group that would open the page', async () => {
    const text = await adviceFor({ ...BOB, access: { chat: [{ groups: ['oracle-ai-users'] }] } });
    expect(text).toContain('Ask an admin to add you to the oracle-ai-users group, then sign in again.');
  });

  it('names every way to it: a group, or two groups together', async () => {
    const text = await adviceFor({ ...BOB, access: { chat: [{ groups: ['chatters'] }, { groups: ['contractors', 'vetted'] }] } });
    expect(text).toContain('Ask an admin to add you to chatters or contractors and vetted, then sign in again (any one of these opens it).');
  });

  it('says plainly when no group would open it', async () => {
    expect(await adviceFor({ ...BOB, access: { chat: [] } })).toContain('No group would open it under the current policies');
  });

  it('gives no group when the API could not say (no advice), rather than guessing', async () => {
    expect(await adviceFor({ ...BOB, access: {} })).toContain('Ask an admin to grant you access, then sign in again.');
  });

  it('says the page is open now when the policies changed since the navigation decided', async () => {
    expect(await adviceFor({ ...BOB, permissions: { ...BOB.permissions, chat: true } })).toContain('The policies have changed: Chat is open to you now.');
  });

  it('an API refusal brings its own advice (the 403 problem\'s access)', async () => {
    const { http } = setup({ token: 'tok' });
    const harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl('/chat');
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await navigated;
    harness.detectChanges();
    (await nextRequest(http, '/api/chat')).flush(
      { type: 'urn:demo-api:problem:forbidden', title: 'Forbidden', status: 403, code: 'forbidden', detail: 'no', decisionId: 'd-403', resource: 'chat', action: 'read', access: [{ groups: ['night-shift'] }] },
      { status: 403, statusText: 'Forbidden' },
    );
    (await nextRequest(http, '/api/me')).flush(ALICE);
    expect(await adviceText(harness)).toContain('Ask an admin to add you to the night-shift group');
  });
});

/** The "How to request access" paragraph, once the page has its advice. */
async function adviceText(harness: RouterTestingHarness): Promise<string> {
  let text = '';
  await vi.waitFor(
    () => {
      harness.detectChanges();
      text = (harness.routeNativeElement?.querySelector('[data-testid="access-advice"]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
      expect(text).toMatch(/Ask|No group|open to you now/);
    },
    { timeout: 1000, interval: 5 },
  );
  return text;
}
