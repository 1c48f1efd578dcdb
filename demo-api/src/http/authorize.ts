import type { Middleware } from 'koa';
import type { Logger } from 'pino';

import { ApiError } from '../errors.js';
import type { PdpClient, PdpSubject } from '../pdp-client.js';
import type { ApiState, AuthUser } from './state.js';

export function subjectOf(user: AuthUser): PdpSubject {
  return { id: user.sub, groups: user.groups, claims: user.claims };
}

export type Authorize = (resource: string, action: string) => Middleware<ApiState>;

/**
 * `authorize(resource, action)` per route: asks the PDP, lets the request through only on an
 * explicit allow, answers 403 with the decision id on deny, and 503 (via pdp_unavailable)
 * when the PDP cannot answer. There is no path that allows by default.
 */
export function createAuthorize(pdp: PdpClient, logger: Logger): Authorize {
  return (resource, action) => async (ctx, next) => {
    const user = ctx.state.user;
    if (!user) throw new ApiError('token_missing', 'Send an access token: Authorization: Bearer <token>.');
    const decision = await pdp.decide(subjectOf(user), { resource: { type: resource }, action });
    if (decision.allow !== true) {
      logger.info({ sub: user.sub, resource, action, decisionId: decision.decisionId, revision: decision.revision }, 'denied by the PDP');
      throw new ApiError('forbidden', `${user.username} may not ${action} ${resource}. Ask an administrator for access to it, quoting the decision id.`, {
        decisionId: decision.decisionId,
        ...(decision.revision ? { revision: decision.revision } : {}),
        resource,
        action,
      });
    }
    ctx.state.decision = decision;
    await next();
  };
}
