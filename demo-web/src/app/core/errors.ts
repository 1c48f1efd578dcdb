import { HttpErrorResponse } from '@angular/common/http';

/** 401 and 403 are turned into navigation by the interceptor; pages show every other failure. */
export function isHandledByInterceptor(error: unknown): boolean {
  return error instanceof HttpErrorResponse && (error.status === 401 || error.status === 403);
}
