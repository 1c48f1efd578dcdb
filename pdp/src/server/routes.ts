/**
 * Every route of the PDP, in one table: method, path, the responses, and the middleware the
 * request passes through, in order (the last one answers). Whether a route needs a caller token
 * and which request schema it reads are not written twice: they are read off its middleware
 * (`callerAuth`, `readBody(schema)`). The app and the OpenAPI document are both built from this
 * table, so a route cannot exist in one and be missing from another.
 */
import type { CallerAuth } from './caller-auth.js';
import type { Middleware, Steps } from './handlers.js';
import type { RequestSchemaName } from './schemas.js';

export interface RouteResponse {
  status: number;
  description: string;
  /** A `$defs` name in responses.schema.json; `problem` responses use `Problem`. */
  schema?: string;
  contentType?: string;
}

export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  operationId: string;
  summary: string;
  /** Needs `Authorization: Bearer <client token>` (when client tokens are configured): `callerAuth` is in `middleware`. */
  auth: boolean;
  /** The request body's schema: the one `readBody` in `middleware` validates against. */
  request?: RequestSchemaName;
  responses: RouteResponse[];
  middleware: readonly Middleware[];
}

type RouteDefinition = Omit<RouteSpec, 'auth' | 'request'>;

const DECIDE_ERRORS: RouteResponse[] = [
  { status: 400, description: 'Bad input: malformed JSON, schema errors (with JSON pointers), subject and token together, token mode not configured.', schema: 'Problem' },
  { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' },
  { status: 413, description: 'Body larger than PDP_MAX_BODY_BYTES.', schema: 'Problem' },
  { status: 415, description: 'Body is not application/json.', schema: 'Problem' },
  { status: 421, description: 'Served without caller tokens, and the Host header is not a loopback name (host_not_allowed).', schema: 'Problem' },
  { status: 503, description: 'No policy set loaded yet.', schema: 'Problem' },
];

export function defineRoutes(h: Steps & { callerAuth: CallerAuth; plan: Middleware }): RouteSpec[] {
  const { callerAuth, readBody, ready } = h;
  const routes: RouteDefinition[] = [
    {
      method: 'POST', path: '/v1/decide', operationId: 'decide',
      summary: 'One decision for a subject (or a token the PDP verifies), a resource and an action.',
      responses: [{ status: 200, description: 'The decision (a refused token is a deny naming why).', schema: 'Decision' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('decide'), ready, h.decide],
    },
    {
      method: 'POST', path: '/decide', operationId: 'decideAlias',
      summary: 'Alias of POST /v1/decide.',
      responses: [{ status: 200, description: 'The decision.', schema: 'Decision' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('decide'), ready, h.decide],
    },
    {
      method: 'POST', path: '/v1/decide/batch', operationId: 'decideBatch',
      summary: 'Several decisions for one subject, answered in order.',
      responses: [{ status: 200, description: 'One decision per item, in the same order.', schema: 'BatchResponse' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('batch'), ready, h.batch],
    },
    {
      method: 'POST', path: '/v1/plan', operationId: 'plan',
      summary: 'A query plan: which resources of a type the subject (or a token the PDP verifies) may act on: always, never, or a json-logic condition on the resource.',
      responses: [
        { status: 200, description: 'The plan (a refused token plans always_denied, naming why).', schema: 'Plan' },
        { status: 422, description: 'The plan cannot be expressed as a condition on the resource (plan_unsupported): decide each resource instead.', schema: 'Problem' },
        ...DECIDE_ERRORS,
      ],
      middleware: [callerAuth, readBody('plan'), ready, h.plan],
    },
    {
      method: 'POST', path: '/access/v1/evaluation', operationId: 'authzenEvaluation',
      summary: 'AuthZEN Authorization API 1.0 Access Evaluation.',
      responses: [{ status: 200, description: 'The AuthZEN decision.', schema: 'AuthzenDecision' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenEvaluation'), ready, h.authzenEvaluation],
    },
    {
      method: 'POST', path: '/access/v1/evaluations', operationId: 'authzenEvaluations',
      summary: 'AuthZEN Authorization API 1.0 Access Evaluations (batch, with top-level defaults and evaluations_semantic).',
      responses: [{ status: 200, description: 'One AuthZEN decision per evaluation.', schema: 'AuthzenEvaluationsResponse' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenEvaluations'), ready, h.authzenEvaluations],
    },
    {
      method: 'GET', path: '/v1/policies', operationId: 'policies',
      summary: 'The loaded revision, its policies and roles, and the last reload error if any.',
      responses: [{ status: 200, description: 'The policy set being served.', schema: 'Policies' }, { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' }],
      middleware: [callerAuth, h.policies],
    },
    {
      method: 'GET', path: '/healthz', operationId: 'healthz',
      summary: 'Liveness: the process serves HTTP.',
      responses: [{ status: 200, description: 'Alive.', schema: 'Status' }],
      middleware: [h.healthz],
    },
    {
      method: 'GET', path: '/readyz', operationId: 'readyz',
      summary: 'Readiness: a policy set is loaded.',
      responses: [{ status: 200, description: 'Ready.', schema: 'Status' }, { status: 503, description: 'No policy set loaded yet.', schema: 'Problem' }],
      middleware: [ready, h.readyz],
    },
    {
      // Behind the client token: metrics reveal traffic and policy counts.
      method: 'GET', path: '/metrics', operationId: 'metrics',
      summary: 'Prometheus metrics.',
      responses: [{ status: 200, description: 'Prometheus text format.', contentType: 'text/plain' }, { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' }],
      middleware: [callerAuth, h.metrics],
    },
    {
      // Open: the API description holds no secret, and tools fetch it without credentials.
      method: 'GET', path: '/openapi.json', operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document.',
      responses: [{ status: 200, description: 'OpenAPI 3.1 document.', contentType: 'application/json' }],
      middleware: [h.openapi],
    },
  ];
  return routes.map((r) => {
    const body = r.middleware.find((m): m is ReturnType<Steps['readBody']> => 'schema' in m);
    const spec: RouteSpec = { ...r, auth: r.middleware.includes(callerAuth) };
    if (body !== undefined) spec.request = body.schema;
    return spec;
  });
}
