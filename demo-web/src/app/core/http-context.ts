import { HttpContext, HttpContextToken } from '@angular/common/http';

/**
 * Marks the login/logout requests: a 401 or 403 on them is reported to the caller instead of
 * restarting the login, which would loop.
 */
export const AUTH_FLOW_REQUEST = new HttpContextToken<boolean>(() => false);

export function authFlowContext(): HttpContext {
  return new HttpContext().set(AUTH_FLOW_REQUEST, true);
}
