import { HttpClient } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { RETURN_URL_KEY, TOKEN_KEY } from './auth.service';
import { authFlowContext } from './http-context';
import { MeService } from './me.service';
import { RefusalService } from './refusal.service';
import { ALICE, AUTHORIZE_URL, nextRequest, ORIGIN, setup } from './testing';

describe('authInterceptor', () => {
  it.each([
    ['/api/chat', true],
    [`${ORIGIN}/api/analytics`, true],
    ['https://evil.example/api/chat', false],
    ['//evil.example/api/chat', false],
    ['http://127.0.0.1:4201/api/chat', false],
    ['/apiary', false],
    ['/public/data.json', false],
  ])('sends the bearer token to %s: %s', async (url, expected) => {
    const { http } = setup({ token: 'secret-token' });
    const client = TestBed.inject(HttpClient);
    const done = firstValueFrom(client.get(url));
    const req = http.expectOne(url);
    expect(req.request.headers.get('Authorization')).toBe(expected ? 'Bearer secret-token' : null);
    req.flush({});
    await done;
  });

  it('sends no Authorization header when signed out', async () => {
    const { http } = setup();
    const done = firstValueFrom(TestBed.inject(HttpClient).get('/api/authorize'));
    const req = http.expectOne('/api/authorize');
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush({ authorize_url: AUTHORIZE_URL });
    await done;
  });

  it('a 401 forgets the token and signs in again, returning to the same page', async () => {
    const { http, leaveTo } = setup({ token: 'stale' });
    const router = TestBed.inject(Router);
    const me = TestBed.inject(MeService);
    const meDone = me.ensure();
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await meDone;
    await router.navigateByUrl('/chat?room=1');

    const call = firstValueFrom(TestBed.inject(HttpClient).get('/api/chat'));
    http.expectOne('/api/chat').flush(null, {
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
    await expect(call).rejects.toMatchObject({ status: 401 });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(me.me()).toBeNull();
    const authorize = await nextRequest(http, '/api/authorize');
    expect(authorize.request.headers.has('Authorization')).toBe(false);
    authorize.flush({ authorize_url: AUTHORIZE_URL });
    await vi.waitFor(() => expect(leaveTo).toHaveBeenCalledWith(AUTHORIZE_URL));
    expect(sessionStorage.getItem(RETURN_URL_KEY)).toBe('/chat?room=1');
  });

  it('several 401s at once start one login', async () => {
    const { http } = setup({ token: 'stale' });
    const client = TestBed.inject(HttpClient);
    const a = firstValueFrom(client.get('/api/chat')).catch(() => 'a');
    const b = firstValueFrom(client.get('/api/analytics')).catch(() => 'b');
    http.expectOne('/api/chat').flush(null, { status: 401, statusText: 'Unauthorized' });
    http.expectOne('/api/analytics').flush(null, { status: 401, statusText: 'Unauthorized' });
    await Promise.all([a, b]);
    await nextRequest(http, '/api/authorize');
    http.verify();
  });

  it('a 401 on a login request is left to its caller (no login loop)', async () => {
    const { http } = setup();
    const call = firstValueFrom(
      TestBed.inject(HttpClient).post('/api/token', { code: 'c', state: 's' }, { context: authFlowContext() }),
    );
    http.expectOne('/api/token').flush(null, { status: 401, statusText: 'Unauthorized' });
    await expect(call).rejects.toMatchObject({ status: 401 });
    await new Promise((r) => setTimeout(r, 20));
    http.expectNone('/api/authorize');
  });

  it('a 403 shows the Forbidden page with what the API refused', async () => {
    const { http } = setup({ token: 'tok' });
    const router = TestBed.inject(Router);
    const meDone = TestBed.inject(MeService).ensure();
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await meDone;
    await router.navigateByUrl('/chat');

    const call = firstValueFrom(TestBed.inject(HttpClient).post('/api/chat', { message: 'hi' }));
    http.expectOne('/api/chat').flush(
      { type: 'urn:demo:forbidden', title: 'Forbidden', status: 403, detail: 'chat/write denied', decisionId: 'd-1', revision: 'sha256:r', resource: 'chat', action: 'write' },
      { status: 403, statusText: 'Forbidden', headers: { 'Content-Type': 'application/problem+json' } },
    );
    await expect(call).rejects.toMatchObject({ status: 403 });
    await vi.waitFor(() => expect(router.url).toBe('/forbidden?from=%2Fchat'));
    expect(TestBed.inject(RefusalService).last()).toEqual({
      url: '/chat',
      resource: 'chat',
      action: 'write',
      decisionId: 'd-1',
      revision: 'sha256:r',
    });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('tok');
  });
});
