import { HttpErrorResponse } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router, type CanActivateFn } from '@angular/router';
import { pageNamed } from '@oracle-ai/contract';
import { AuthService } from './auth.service';
import { MeService } from './me.service';
import { NoticesService } from './notices.service';
import { describeProblem, problemOf } from './problem';
import { RefusalService } from './refusal.service';

/**
 * Lets a signed-in user through when `/api/me` says the PDP allows the route's `data.page`, a
 * page of the contract's PAGES (routes without one only need a signed-in user). Signed out, it
 * starts the login and remembers the URL; it never shows Forbidden to someone who simply has
 * not signed in.
 */
export const pageGuard: CanActivateFn = async (route, state) => {
  const auth = inject(AuthService);
  const router = inject(Router);
  const notices = inject(NoticesService);
  // inject() works only before the first await.
  const refusals = inject(RefusalService);
  const me = inject(MeService);

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
    const { permissions } = await me.ensure();
    const page = pageNamed(route.data['page']);
    allowed = page === undefined || permissions[page.name] === true;
    if (!allowed && page) {
      refusals.set({ url: state.url, resource: page.resource, action: page.action });
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
