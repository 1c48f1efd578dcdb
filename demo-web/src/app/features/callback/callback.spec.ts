import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { describe, expect, it, vi } from 'vitest';
import { LOGIN_STATE_KEY, TOKEN_KEY } from '../../core/auth.service';
import { ALICE, nextRequest, setup } from '../../core/testing';
import { IDP_ERROR_TEXT, NOT_STARTED_HERE_TEXT, UNKNOWN_IDP_ERROR_TEXT } from './callback';

/** Opens `url` through the app's real routes and waits until the callback page shows `text`. */
async function open(url: string, text: string): Promise<HTMLElement> {
  const harness = await RouterTestingHarness.create();
  await harness.navigateByUrl(url);
  await vi.waitFor(
    () => {
      harness.detectChanges();
      expect(harness.routeNativeElement?.textContent).toContain(text);
    },
    { timeout: 1000, interval: 5 },
  );
  return harness.routeNativeElement!;
}

describe('the callback page', () => {
  it('refuses a callback whose state this tab did not start: fixed text, and demo-api is not asked', async () => {
    const { http } = setup();
    sessionStorage.setItem(LOGIN_STATE_KEY, 'the-state-this-tab-sent');
    const page = await open('/auth/callback?code=attacker-code&state=attacker-state', 'Sign-in could not be completed');
    expect(page.querySelector('[role="alert"]')?.textContent).toContain(NOT_STARTED_HERE_TEXT);
    await new Promise((r) => setTimeout(r, 20));
    http.expectNone('/api/token');
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('refuses a callback in a tab that started no sign-in at all', async () => {
    const { http } = setup();
    await open('/auth/callback?code=c&state=s', NOT_STARTED_HERE_TEXT);
    http.expectNone('/api/token');
  });

  it('finishes the sign-in this tab started (the refusal above is not a blanket one)', async () => {
    const { http } = setup();
    sessionStorage.setItem(LOGIN_STATE_KEY, 'st');
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/auth/callback?code=c&state=st');
    const token = await nextRequest(http, '/api/token');
    expect(token.request.body).toEqual({ code: 'c', state: 'st' });
    token.flush({ access_token: 'tok' });
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await vi.waitFor(() => expect(TestBed.inject(Router).url).toBe('/'), { timeout: 1000, interval: 5 });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('tok');
  });

  it('shows a fixed text per known IdP error, never the error_description from the URL', async () => {
    setup();
    const prose = 'Your account is locked, call +1 555 0100 now';
    const page = await open(`/auth/callback?error=access_denied&error_description=${encodeURIComponent(prose)}&state=x`, 'Sign-in cancelled');
    const alert = page.querySelector('[role="alert"]')?.textContent ?? '';
    expect(alert).toContain('access_denied');
    expect(alert).toContain(IDP_ERROR_TEXT['access_denied']);
    expect(page.textContent).not.toContain('locked');
  });

  it.each(['login_required', 'invalid_request', 'server_error'])('knows %s, a refusal rather than a cancellation', async (error) => {
    setup();
    const page = await open(`/auth/callback?error=${error}&error_description=custom+words`, IDP_ERROR_TEXT[error]!);
    expect(page.textContent).not.toContain('custom words');
    expect(page.querySelector('h1')?.textContent).toBe('The sign-in server refused the sign-in');
  });

  it.each(['Call the helpdesk at evil.example', '__proto__', 'constructor'])('an unknown error (%s) gets the generic text, and the code is not shown', async (error) => {
    setup();
    const page = await open(`/auth/callback?error=${encodeURIComponent(error)}`, UNKNOWN_IDP_ERROR_TEXT);
    expect(page.querySelector('[role="alert"]')?.textContent).not.toContain(error);
  });
});
