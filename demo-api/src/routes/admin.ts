import type { JSONSchemaType } from 'ajv';
import type { Router } from '@koa/router';
import type { PlaygroundRequest, PlaygroundResponse } from '@oracle-ai/contract';

import type { Authorize } from '../http/authorize.js';
import { jsonBody } from '../http/body.js';
import type { ApiState } from '../http/state.js';
import type { PdpClient } from '../pdp-client.js';

/** The contract's request as ajv's schema type needs it (mutable). */
interface PlaygroundInput {
  subject: { id: string; groups: string[]; claims?: Record<string, unknown> };
  resource: { type: string; id?: string; attributes?: Record<string, unknown> };
  action: string;
  context?: Record<string, unknown>;
}

// demo-api's own bounds at its edge; the PDP checks the rest (names, schema.json) and its
// refusals come back as 400s with their pointers.
const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const BAG = { type: 'object', maxProperties: 50, required: [], nullable: true } as const;

const playgroundSchema: JSONSchemaType<PlaygroundInput> = {
  type: 'object',
  additionalProperties: false,
  required: ['subject', 'resource', 'action'],
  properties: {
    subject: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'groups'],
      properties: {
        id: NAME,
        groups: { type: 'array', maxItems: 50, items: NAME },
        claims: BAG,
      },
    },
    resource: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: NAME,
        id: { type: 'string', maxLength: 1024, nullable: true },
        attributes: BAG,
      },
    },
    action: NAME,
    context: BAG,
  },
};

export interface AdminRouteDeps {
  authorize: Authorize;
  pdp: PdpClient;
}

/**
 * `POST /api/admin/playground`: an admin asks the PDP about any subject, resource and action,
 * and gets the decision with its explained trace. Only the admin page's own permission opens
 * it; the question asked is the caller's, never the caller's own identity.
 */
export function addAdminRoutes(router: Router<ApiState>, { authorize, pdp }: AdminRouteDeps): void {
  router.post('/api/admin/playground', authorize('admin', 'read'), jsonBody(playgroundSchema), async (ctx) => {
    const request: PlaygroundRequest & PlaygroundInput = ctx.state.body as PlaygroundInput;
    const decision = await pdp.explain({
      subject: { id: request.subject.id, groups: request.subject.groups, claims: request.subject.claims ?? {} },
      resource: request.resource,
      action: request.action,
      ...(request.context ? { context: request.context } : {}),
    });
    // explain() has checked that the trace is there.
    ctx.body = decision as PlaygroundResponse;
  });
}
