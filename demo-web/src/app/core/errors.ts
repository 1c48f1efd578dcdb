import { HttpErrorResponse } from '@angular/common/http';
import { describeProblem, problemOf } from './problem';

/** 401 and 403 are turned into navigation by the interceptor; pages show every other failure. */
export function isHandledByInterceptor(error: unknown): boolean {
  return error instanceof HttpErrorResponse && (error.status === 401 || error.status === 403);
}

/** What a page shows for a failed call, or null when the interceptor has already acted on it. */
export function failureMessage(error: unknown): string | null {
  return isHandledByInterceptor(error) ? null : describeProblem(problemOf(error));
}
