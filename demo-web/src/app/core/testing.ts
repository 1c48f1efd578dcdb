import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection, type Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import type { MeResponse } from '@oracle-ai/contract';
import { vi } from 'vitest';
import { routes } from '../app.routes';
import { authInterceptor } from './auth.interceptor';
import { APP_ORIGIN, FULL_PAGE_NAVIGATION, TOKEN_STORAGE } from './browser-env';

export const ORIGIN = 'http://127.0.0.1:4200';

/** What /api/authorize answers in these tests: an IdP URL carrying the `state` the tab keeps. */
export const AUTHORIZE_URL = 'http://127.0.0.1:9000/auth?client_id=demo-api&state=st';

export const ALICE: MeResponse = {
  user: { sub: 'alice', username: 'alice', groups: ['oracle-ai-users'] },
  permissions: { chat: true, analytics: true, admin: false },
  revision: 'sha256:test',
  decisionIds: { chat: 'alice-chat', analytics: 'alice-analytics', admin: 'alice-admin' },
};

export const BOB: MeResponse = {
  user: { sub: 'bob', username: 'bob', groups: [] },
  permissions: { chat: false, analytics: true, admin: false },
  revision: 'sha256:test',
  decisionIds: { chat: 'bob-chat', analytics: 'bob-analytics', admin: 'bob-admin' },
};

/**
 * The app's own routes (with their guard), interceptor and services over Angular's HTTP test
 * backend; the only stand-in is the full-page navigation to the IdP, which jsdom cannot
 * perform. No outlet is rendered, so navigating creates no page component. `providers` adds
 * what a test needs beyond that (a page's data service).
 */
export function setup(options: { token?: string; providers?: Provider[] } = {}) {
  sessionStorage.clear();
  localStorage.clear();
  if (options.token) sessionStorage.setItem('demo-web.access_token', options.token);
  const leaveTo = vi.fn<(url: string) => void>();
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      // As in app.config: query parameters bind to page inputs (the Forbidden page's `from`).
      provideRouter(routes, withComponentInputBinding()),
      provideHttpClient(withInterceptors([authInterceptor])),
      provideHttpClientTesting(),
      { provide: APP_ORIGIN, useValue: ORIGIN },
      { provide: FULL_PAGE_NAVIGATION, useValue: leaveTo },
      { provide: TOKEN_STORAGE, useFactory: () => sessionStorage },
      ...(options.providers ?? []),
    ],
  });
  return { leaveTo, http: TestBed.inject(HttpTestingController) };
}

/** Waits until the app has issued the request (guards and services await before sending). */
export async function nextRequest(http: HttpTestingController, url: string) {
  return vi.waitFor(() => http.expectOne(url), { timeout: 1000, interval: 5 });
}
