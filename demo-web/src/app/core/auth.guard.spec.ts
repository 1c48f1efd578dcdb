import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { PAGES, type MeResponse } from '@oracle-ai/contract';
import { describe, expect, it, vi } from 'vitest';
import { RETURN_URL_KEY, TOKEN_KEY } from './auth.service';
import { MeService } from './me.service';
import { NoticesService } from './notices.service';
import { RefusalService } from './refusal.service';
import { ALICE, AUTHORIZE_URL, BOB, nextRequest, setup } from './testing';

describe('pageGuard', () => {
  it('signed out: starts the login for the page asked for and never shows Forbidden', async () => {
    const { http, leaveTo } = setup();
    const router = TestBed.inject(Router);
    const navigated = router.navigateByUrl('/admin?tab=rules');
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: AUTHORIZE_URL });
    await expect(navigated).resolves.toBe(false);
    expect(leaveTo).toHaveBeenCalledWith(AUTHORIZE_URL);
    expect(sessionStorage.getItem(RETURN_URL_KEY)).toBe('/admin?tab=rules');
    expect(router.url).not.toContain('forbidden');
    http.expectNone('/api/me');
  });

  it('signed out: the Forbidden page itself also starts a login', async () => {
    const { http } = setup();
    const navigated = TestBed.inject(Router).navigateByUrl('/forbidden');
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: AUTHORIZE_URL });
    await expect(navigated).resolves.toBe(false);
  });

  it.each([
    ['alice', ALICE, '/chat', '/chat'],
    ['alice', ALICE, '/analytics', '/analytics'],
    ['alice', ALICE, '/admin', '/forbidden?from=%2Fadmin'],
    ['bob', BOB, '/chat', '/forbidden?from=%2Fchat'],
    ['bob', BOB, '/analytics', '/analytics'],
  ])('%s opening %s ends on %s', async (_name, me, target, expected) => {
    const { http } = setup({ token: 'tok' });
    const router = TestBed.inject(Router);
    const navigated = router.navigateByUrl(target);
    const meReq = await nextRequest(http, '/api/me');
    expect(meReq.request.headers.get('Authorization')).toBe('Bearer tok');
    meReq.flush(me);
    await navigated;
    expect(router.url).toBe(expected);
    if (expected.startsWith('/forbidden')) {
      expect(TestBed.inject(RefusalService).last()).toMatchObject({ url: target, resource: target.slice(1) });
    }
  });

  it.each(PAGES)('every contract page is guarded by its own permission: $path', async (page) => {
    const { http } = setup({ token: 'tok' });
    const router = TestBed.inject(Router);
    const deniedOnlyThis: MeResponse = { ...ALICE, permissions: { chat: true, analytics: true, admin: true, [page.name]: false } };
    const navigated = router.navigateByUrl(page.path);
    (await nextRequest(http, '/api/me')).flush(deniedOnlyThis);
    await navigated;
    expect(router.url).toBe(`/forbidden?from=${encodeURIComponent(page.path)}`);
    expect(TestBed.inject(RefusalService).last()).toEqual({ url: page.path, resource: page.resource, action: page.action });
  });

  it('asks /api/me once for several navigations', async () => {
    const { http } = setup({ token: 'tok' });
    const router = TestBed.inject(Router);
    const first = router.navigateByUrl('/chat');
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await first;
    await router.navigateByUrl('/analytics');
    expect(router.url).toBe('/analytics');
    http.verify();
  });

  it('a token the API rejects (401 on /api/me) signs in again and returns to the page asked for', async () => {
    const { http, leaveTo } = setup({ token: 'expired' });
    const navigated = TestBed.inject(Router).navigateByUrl('/analytics');
    (await nextRequest(http, '/api/me')).flush(null, { status: 401, statusText: 'Unauthorized' });
    await expect(navigated).resolves.toBe(false);
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: AUTHORIZE_URL });
    await vi.waitFor(() => expect(leaveTo).toHaveBeenCalled());
    expect(sessionStorage.getItem(RETURN_URL_KEY)).toBe('/analytics');
    expect(TestBed.inject(MeService).me()).toBeNull();
  });

  it('fails closed with a visible message when permissions cannot be loaded (503)', async () => {
    const { http, leaveTo } = setup({ token: 'tok' });
    const router = TestBed.inject(Router);
    const navigated = router.navigateByUrl('/chat');
    (await nextRequest(http, '/api/me')).flush(
      { title: 'Service Unavailable', status: 503, detail: 'the policy service did not answer' },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await expect(navigated).resolves.toBe(false);
    expect(router.url).toBe('/');
    expect(TestBed.inject(NoticesService).error()).toContain('the policy service did not answer');
    expect(leaveTo).not.toHaveBeenCalled();
  });

  it('routes without a page need only a signed-in user', async () => {
    const { http } = setup({ token: 'tok' });
    const router = TestBed.inject(Router);
    const navigated = router.navigateByUrl('/forbidden');
    (await nextRequest(http, '/api/me')).flush(BOB);
    await expect(navigated).resolves.toBe(true);
  });
});
