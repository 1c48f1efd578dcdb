import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { AuthService } from './auth.service';
import { APP_ORIGIN } from './browser-env';
import { currentTargetUrl } from './current-url';
import { AUTH_FLOW_REQUEST } from './http-context';
import { NoticesService } from './notices.service';
import { describeProblem, problemOf } from './problem';
import { RefusalService } from './refusal.service';
import { isOwnApiUrl } from './urls';

/**
 * Adds the bearer token to this app's own `/api` requests and nothing else, and turns the API's
 * verdicts into navigation: 401 signs in again (back to the same page), 403 shows Forbidden.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  if (!isOwnApiUrl(req.url, inject(APP_ORIGIN))) return next(req);

  const auth = inject(AuthService);
  const router = inject(Router);
  const refusals = inject(RefusalService);
  const notices = inject(NoticesService);

  const token = auth.token();
  const outgoing = token ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : req;

  return next(outgoing).pipe(
    catchError((error: unknown) => {
      if (error instanceof HttpErrorResponse && !req.context.get(AUTH_FLOW_REQUEST)) {
        if (error.status === 401 && !auth.leaving()) {
          auth.signInAgain(currentTargetUrl(router)).catch((loginError: unknown) => {
            notices.show(`Could not start sign-in. ${describeProblem(problemOf(loginError))}`);
          });
        } else if (error.status === 403) {
          const url = currentTargetUrl(router);
          refusals.fromProblem(url, problemOf(error));
          void router.navigate(['/forbidden'], { queryParams: { from: url } });
        }
      }
      return throwError(() => error);
    }),
  );
};
