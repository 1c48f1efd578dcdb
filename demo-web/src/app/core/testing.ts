import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, type Routes } from '@angular/router';
import { vi } from 'vitest';
import type { Me } from './api-types';
import { pageGuard } from './auth.guard';
import { authInterceptor } from './auth.interceptor';
import { APP_ORIGIN, FULL_PAGE_NAVIGATION, TOKEN_STORAGE } from './browser-env';

export const ORIGIN = 'http://127.0.0.1:4200';

@Component({ selector: 'app-blank', template: '' })
class Blank {}

export const TEST_ROUTES: Routes = [
  { path: '', component: Blank },
  { path: 'chat', data: { page: 'chat' }, canActivate: [pageGuard], component: Blank },
  { path: 'analytics', data: { page: 'analytics' }, canActivate: [pageGuard], component: Blank },
  { path: 'admin', data: { page: 'admin' }, canActivate: [pageGuard], component: Blank },
  { path: 'forbidden', canActivate: [pageGuard], component: Blank },
  { path: 'open', component: Blank },
];

export const ALICE: Me = {
  user: { sub: 'alice', username: 'alice', groups: ['oracle-ai-users'] },
  permissions: { chat: true, analytics: true, admin: false },
  revision: 'sha256:test',
};

export const BOB: Me = {
  user: { sub: 'bob', username: 'bob', groups: [] },
  permissions: { chat: false, analytics: true, admin: false },
  revision: 'sha256:test',
};

/**
 * The real interceptor, guard and service over Angular's HTTP test backend; the only stand-in
 * is the full-page navigation to the IdP, which jsdom cannot perform.
 */
export function setup(options: { token?: string } = {}) {
  sessionStorage.clear();
  localStorage.clear();
  if (options.token) sessionStorage.setItem('demo-web.access_token', options.token);
  const leaveTo = vi.fn<(url: string) => void>();
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideRouter(TEST_ROUTES),
      provideHttpClient(withInterceptors([authInterceptor])),
      provideHttpClientTesting(),
      { provide: APP_ORIGIN, useValue: ORIGIN },
      { provide: FULL_PAGE_NAVIGATION, useValue: leaveTo },
      { provide: TOKEN_STORAGE, useFactory: () => sessionStorage },
    ],
  });
  return { leaveTo, http: TestBed.inject(HttpTestingController) };
}

/** Waits until the app has issued the request (guards and services await before sending). */
export async function nextRequest(http: HttpTestingController, url: string) {
  return vi.waitFor(() => http.expectOne(url), { timeout: 1000, interval: 5 });
}
