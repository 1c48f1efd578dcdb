import type { AccessOption } from '@oracle-ai/contract';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

import { ApiError } from '../errors.js';
import type { PdpClient, PdpItem, PdpSubject } from '../pdp-client.js';
import type { ApiState, AuthUser } from './state.js';

export function subjectOf(user: AuthUser): PdpSubject {
  return { id: user.sub, groups: user.groups, claims: user.claims };
}

export type Authorize = (resource: string, action: string) => Middleware<ApiState>;

/**
 * The advice for refused `items`, or undefined for each when the PDP cannot give it: advice is
 * extra, so its failure never changes the refusal (nor turns it into a 503).
 */
export async function accessAdvice(pdp: PdpClient, logger: Logger, subject: PdpSubject, items: readonly PdpItem[]): Promise<(AccessOption[] | undefined)[]> {
  try {
    return await pdp.access(subject, items);
  } catch (err) {
    logger.warn({ sub: subject.id, err: (err as Error).message }, 'no access advice from the PDP');
    return items.map(() => undefined);
  }
}

/**
 * `authorize(resource, action)` per route: asks the PDP, lets the request through only on an
 * explicit allow, answers 403 with the decision id on deny, and 503 (via pdp_unavailable)
 * when the PDP cannot answer. There is no path that allows by default. A deny costs one more,
 * explained, call for its `access` advice (see accessAdvice).
 */
export function createAuthorize(pdp: PdpClient, logger: Logger): Authorize {
  return (resource, action) => async (ctx, next) => {
    const user = ctx.state.user;
    if (!user) throw new ApiError('token_missing', 'Send an access token: Authorization: Bearer <token>.');
    const item: PdpItem = { resource: { type: resource }, action };
    const decision = await pdp.decide(subjectOf(user), item);
    if (decision.allow !== true) {
      logger.info({ sub: user.sub, resource, action, decisionId: decision.decisionId, revision: decision.revision }, 'denied by the PDP');
      const [access] = await accessAdvice(pdp, logger, subjectOf(user), [item]);
      throw new ApiError('forbidden', `${user.username} may not ${action} ${resource}. Ask an administrator for access to it, quoting the decision id.`, {
        decisionId: decision.decisionId,
        ...(decision.revision ? { revision: decision.revision } : {}),
        resource,
        action,
        ...(access ? { access } : {}),
      });
    }
    ctx.state.decision = decision;
    await next();
  };
}
