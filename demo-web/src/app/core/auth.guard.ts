import { HttpErrorResponse } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router, type CanActivateFn } from '@angular/router';
import { PAGES, type Page } from './api-types';
import { AuthService } from './auth.service';
import { NoticesService } from './notices.service';
import { describeProblem, problemOf } from './problem';
import { RefusalService } from './refusal.service';

/**
 * Lets a signed-in user through when `/api/me` says the PDP allows the route's `data.page`
 * (routes without one only need a signed-in user). Signed out, it starts the login and
 * remembers the URL; it never shows Forbidden to someone who simply has not signed in.
 */
export const pageGuard: CanActivateFn = async (route, state) => {
  const auth = inject(AuthService);
  const router = inject(Router);
  const notices = inject(NoticesService);
  // inject() works only before the first await.
  const refusals = inject(RefusalService);

  if (!auth.signedIn()) {
    try {
      await auth.login(state.url);
    } catch (error) {
      notices.show(`Could not start sign-in. ${describeProblem(problemOf(error))}`);
    }
    return false;
  }

  let allowed: boolean;
  try {
    const me = await auth.ensureMe();
    const page = pageOf(route.data['page']);
    allowed = page === null || me.permissions[page] === true;
    if (!allowed && page) {
      refusals.set({ url: state.url, resource: page, action: 'read' });
      return router.createUrlTree(['/forbidden'], { queryParams: { from: state.url } });
    }
  } catch (error) {
    // A 401 is already being handled by the interceptor (sign-in again); anything else is shown.
    if (!(error instanceof HttpErrorResponse && error.status === 401)) {
      notices.show(`Could not load your permissions. ${describeProblem(problemOf(error))}`);
    }
    return false;
  }
  notices.clear();
  return true;
};

function pageOf(value: unknown): Page | null {
  return typeof value === 'string' && (PAGES as readonly string[]).includes(value) ? (value as Page) : null;
}
