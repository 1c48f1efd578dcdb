import type { ParameterizedContext } from 'koa';

import type { PdpDecision } from '../pdp-client.js';

/** The caller, from a verified access token. */
export interface AuthUser {
  sub: string;
  username: string;
  groups: string[];
  /** Claims passed to the PDP (registered JWT claims removed). */
  claims: Record<string, unknown>;
}

export interface ApiState {
  /** The X-Request-ID of this request (the caller's, or made up). */
  requestId?: string;
  user?: AuthUser;
  body?: unknown;
  decision?: PdpDecision;
  /** Why a token was refused (a jose error code), for the log only. */
  authFailure?: string;
}

export type ApiContext = ParameterizedContext<ApiState>;
