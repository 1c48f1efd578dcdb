import { TestBed } from '@angular/core/testing';
import { describe, expect, it } from 'vitest';
import { AuthService, LOGIN_STATE_KEY, RETURN_URL_KEY, SIGNED_OUT_KEY, TOKEN_KEY } from './auth.service';
import { MeService } from './me.service';
import { ALICE, AUTHORIZE_URL, nextRequest, setup } from './testing';

describe('AuthService', () => {
  it('login remembers the page, asks /api/authorize without a token and leaves for the IdP', async () => {
    const { http, leaveTo } = setup();
    const auth = TestBed.inject(AuthService);
    const done = auth.login('/chat?x=1');
    const req = await nextRequest(http, '/api/authorize');
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush({ authorize_url: AUTHORIZE_URL });
    await done;
    expect(leaveTo).toHaveBeenCalledWith(AUTHORIZE_URL);
    expect(sessionStorage.getItem(RETURN_URL_KEY)).toBe('/chat?x=1');
    expect(sessionStorage.getItem(LOGIN_STATE_KEY)).toBe('st');
    expect(auth.leaving()).toBe('login');
  });

  it('login refuses an authorize_url without a state (the callback could not be bound to this tab)', async () => {
    const { http, leaveTo } = setup();
    const done = TestBed.inject(AuthService).login('/');
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: 'http://127.0.0.1:9000/auth?client_id=demo-api' });
    await expect(done).rejects.toMatchObject({ code: 'unexpected_response' });
    expect(leaveTo).not.toHaveBeenCalled();
  });

  it('completeLogin refuses a state this tab did not start, without asking demo-api, and keeps the sign-in under way', async () => {
    const { http } = setup();
    const auth = TestBed.inject(AuthService);
    await expect(auth.completeLogin('attacker-code', 'attacker-state')).rejects.toMatchObject({ code: 'login_not_started_here' });
    sessionStorage.setItem(LOGIN_STATE_KEY, 'mine');
    await expect(auth.completeLogin('attacker-code', 'attacker-state')).rejects.toMatchObject({ code: 'login_not_started_here' });
    await new Promise((r) => setTimeout(r, 20));
    http.expectNone('/api/token');
    expect(sessionStorage.getItem(LOGIN_STATE_KEY)).toBe('mine');
    expect(auth.signedIn()).toBe(false);
  });

  it('login refuses an authorize_url that is not http(s)', async () => {
    const { http, leaveTo } = setup();
    const auth = TestBed.inject(AuthService);
    const done = auth.login('/');
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: 'javascript:alert(1)' });
    await expect(done).rejects.toMatchObject({ code: 'unexpected_response' });
    expect(leaveTo).not.toHaveBeenCalled();
    expect(auth.leaving()).toBeNull();
  });

  it('completeLogin posts code and state, keeps the token in sessionStorage only, loads /api/me and returns to the page first asked for', async () => {
    const { http } = setup();
    sessionStorage.setItem(RETURN_URL_KEY, '/analytics');
    sessionStorage.setItem(LOGIN_STATE_KEY, 'the-state');
    const auth = TestBed.inject(AuthService);
    const done = auth.completeLogin('the-code', 'the-state');
    const tokenReq = await nextRequest(http, '/api/token');
    expect(tokenReq.request.method).toBe('POST');
    expect(tokenReq.request.body).toEqual({ code: 'the-code', state: 'the-state' });
    tokenReq.flush({ access_token: 'tok-1', expires_in: 900 });
    const meReq = await nextRequest(http, '/api/me');
    expect(meReq.request.headers.get('Authorization')).toBe('Bearer tok-1');
    meReq.flush(ALICE);
    await expect(done).resolves.toBe('/analytics');
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('tok-1');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.getItem(RETURN_URL_KEY)).toBeNull();
    // A state is good for one callback.
    expect(sessionStorage.getItem(LOGIN_STATE_KEY)).toBeNull();
    const me = TestBed.inject(MeService);
    expect(me.me()).toEqual(ALICE);
    expect(me.may('chat')).toBe(true);
    expect(me.may('admin')).toBe(false);
  });

  it('completeLogin never returns to another site, whatever was stored', async () => {
    const { http } = setup();
    sessionStorage.setItem(RETURN_URL_KEY, '//evil.example/phish');
    sessionStorage.setItem(LOGIN_STATE_KEY, 's');
    const done = TestBed.inject(AuthService).completeLogin('c', 's');
    (await nextRequest(http, '/api/token')).flush({ access_token: 'tok' });
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await expect(done).resolves.toBe('/');
  });

  it('completeLogin fails without storing anything when the exchange is refused', async () => {
    const { http } = setup();
    sessionStorage.setItem(LOGIN_STATE_KEY, 'bad-state');
    const done = TestBed.inject(AuthService).completeLogin('c', 'bad-state');
    (await nextRequest(http, '/api/token')).flush(
      { title: 'Bad Request', status: 400, detail: 'state does not match' },
      { status: 400, statusText: 'Bad Request' },
    );
    await expect(done).rejects.toMatchObject({ status: 400 });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    http.expectNone('/api/authorize');
  });

  it('completeLogin does not loop back to the IdP when the API refuses the brand-new token', async () => {
    const { http, leaveTo } = setup();
    sessionStorage.setItem(LOGIN_STATE_KEY, 's');
    const auth = TestBed.inject(AuthService);
    const done = auth.completeLogin('c', 's');
    (await nextRequest(http, '/api/token')).flush({ access_token: 'fresh-but-refused' });
    (await nextRequest(http, '/api/me')).flush(null, { status: 401, statusText: 'Unauthorized' });
    await expect(done).rejects.toMatchObject({ status: 401 });
    expect(auth.signedIn()).toBe(false);
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    http.expectNone('/api/authorize');
    expect(leaveTo).not.toHaveBeenCalled();
  });

  it('a token in sessionStorage survives a reload (a new service instance)', () => {
    setup({ token: 'kept' });
    const auth = TestBed.inject(AuthService);
    expect(auth.signedIn()).toBe(true);
    expect(auth.token()).toBe('kept');
  });

  it('logout forgets the token before asking /api/logout, then goes to the IdP end-session URL', async () => {
    const { http, leaveTo } = setup({ token: 'tok' });
    const auth = TestBed.inject(AuthService);
    const me = TestBed.inject(MeService);
    const known = me.ensure();
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await known;
    const done = auth.logout();
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(me.me()).toBeNull();
    expect(auth.signedIn()).toBe(false);
    const req = await nextRequest(http, '/api/logout');
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush({ logout_url: 'http://127.0.0.1:9000/session/end?client_id=demo-api' });
    await done;
    expect(leaveTo).toHaveBeenCalledWith('http://127.0.0.1:9000/session/end?client_id=demo-api');
  });

  it('the first sign-in after a logout asks the IdP for a fresh login (prompt=login), and only that one', async () => {
    const { http, leaveTo } = setup({ token: 'tok' });
    const auth = TestBed.inject(AuthService);
    const out = auth.logout();
    (await nextRequest(http, '/api/logout')).flush({ logout_url: 'http://127.0.0.1:9000/session/end' });
    await out;
    expect(sessionStorage.getItem(SIGNED_OUT_KEY)).not.toBeNull();

    const login = auth.login('/');
    (await nextRequest(http, '/api/authorize?prompt=login')).flush({ authorize_url: AUTHORIZE_URL });
    await login;
    expect(leaveTo).toHaveBeenLastCalledWith(AUTHORIZE_URL);

    const done = auth.completeLogin('c', 'st');
    (await nextRequest(http, '/api/token')).flush({ access_token: 'new' });
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await done;
    expect(sessionStorage.getItem(SIGNED_OUT_KEY)).toBeNull();
    const next = auth.login('/');
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: AUTHORIZE_URL });
    await next;
  });

  it('login refuses to leave when the IdP would return to another origin, and names the one to open', async () => {
    const { http, leaveTo } = setup();
    const auth = TestBed.inject(AuthService);
    const done = auth.login('/');
    const elsewhere = `${AUTHORIZE_URL}&redirect_uri=${encodeURIComponent('http://localhost:4200/auth/callback')}`;
    (await nextRequest(http, '/api/authorize')).flush({ authorize_url: elsewhere });
    await expect(done).rejects.toMatchObject({ code: 'wrong_origin', message: expect.stringContaining('Open this app at http://localhost:4200') });
    expect(leaveTo).not.toHaveBeenCalled();
    expect(auth.leaving()).toBeNull();
  });
});
