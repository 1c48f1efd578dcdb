import { RouterTestingHarness } from '@angular/router/testing';
import { PAGES } from '@oracle-ai/contract';
import { describe, expect, it, vi } from 'vitest';
import { BOB, nextRequest, setup } from '../../core/testing';

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
