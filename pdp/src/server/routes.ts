/**
 * Every route of the PDP, in one table: method, path, whether a caller token is needed, the
 * request schema, the responses. The app, the fast path and the OpenAPI document are all
 * built from this table, so a route cannot exist in one and be missing from another.
 */
import type { Handler, Handlers } from './handlers.js';
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
  /** Needs `Authorization: Bearer <client token>` (when client tokens are configured). */
  auth: boolean;
  /**
   * Matched by an exact-path lookup before the router: PERF-NOTES measured @koa/router at
   * ~0.65x of a bare POST handler and matching by hand at ~0.83x. Decision routes only.
   */
  hot: boolean;
  request?: RequestSchemaName;
  responses: RouteResponse[];
  handler: Handler;
}

const DECIDE_ERRORS: RouteResponse[] = [
  { status: 400, description: 'Bad input: malformed JSON, schema errors (with JSON pointers), subject and token together, token mode not configured.', schema: 'Problem' },
  { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' },
  { status: 413, description: 'Body larger than PDP_MAX_BODY_BYTES.', schema: 'Problem' },
  { status: 415, description: 'Body is not application/json.', schema: 'Problem' },
  { status: 421, description: 'Served without caller tokens, and the Host header is not a loopback name (host_not_allowed).', schema: 'Problem' },
  { status: 503, description: 'No policy set loaded yet.', schema: 'Problem' },
];

export function defineRoutes(h: Handlers): RouteSpec[] {
  return [
    {
      method: 'POST', path: '/v1/decide', operationId: 'decide', auth: true, hot: true, request: 'decide',
      summary: 'One decision for a subject (or a token the PDP verifies), a resource and an action.',
      responses: [{ status: 200, description: 'The decision (a refused token is a deny naming why).', schema: 'Decision' }, ...DECIDE_ERRORS],
      handler: h.decide,
    },
    {
      method: 'POST', path: '/decide', operationId: 'decideAlias', auth: true, hot: true, request: 'decide',
      summary: 'Alias of POST /v1/decide.',
      responses: [{ status: 200, description: 'The decision.', schema: 'Decision' }, ...DECIDE_ERRORS],
      handler: h.decide,
    },
    {
      method: 'POST', path: '/v1/decide/batch', operationId: 'decideBatch', auth: true, hot: true, request: 'batch',
      summary: 'Several decisions for one subject, answered in order.',
      responses: [{ status: 200, description: 'One decision per item, in the same order.', schema: 'BatchResponse' }, ...DECIDE_ERRORS],
      handler: h.batch,
    },
    {
      method: 'POST', path: '/access/v1/evaluation', operationId: 'authzenEvaluation', auth: true, hot: true, request: 'authzenEvaluation',
      summary: 'AuthZEN Authorization API 1.0 Access Evaluation.',
      responses: [{ status: 200, description: 'The AuthZEN decision.', schema: 'AuthzenDecision' }, ...DECIDE_ERRORS],
      handler: h.authzenEvaluation,
    },
    {
      method: 'POST', path: '/access/v1/evaluations', operationId: 'authzenEvaluations', auth: true, hot: true, request: 'authzenEvaluations',
      summary: 'AuthZEN Authorization API 1.0 Access Evaluations (batch, with top-level defaults and evaluations_semantic).',
      responses: [{ status: 200, description: 'One AuthZEN decision per evaluation.', schema: 'AuthzenEvaluationsResponse' }, ...DECIDE_ERRORS],
      handler: h.authzenEvaluations,
    },
    {
      method: 'GET', path: '/v1/policies', operationId: 'policies', auth: true, hot: false,
      summary: 'The loaded revision, its policies and roles, and the last reload error if any.',
      responses: [{ status: 200, description: 'The policy set being served.', schema: 'Policies' }, { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' }],
      handler: h.policies,
    },
    {
      method: 'GET', path: '/healthz', operationId: 'healthz', auth: false, hot: false,
      summary: 'Liveness: the process serves HTTP.',
      responses: [{ status: 200, description: 'Alive.', schema: 'Status' }],
      handler: h.healthz,
    },
    {
      method: 'GET', path: '/readyz', operationId: 'readyz', auth: false, hot: false,
      summary: 'Readiness: a policy set is loaded.',
      responses: [{ status: 200, description: 'Ready.', schema: 'Status' }, { status: 503, description: 'No policy set loaded yet.', schema: 'Problem' }],
      handler: h.readyz,
    },
    {
      // Behind the client token: metrics reveal traffic and policy counts.
      method: 'GET', path: '/metrics', operationId: 'metrics', auth: true, hot: false,
      summary: 'Prometheus metrics.',
      responses: [{ status: 200, description: 'Prometheus text format.', contentType: 'text/plain' }, { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' }],
      handler: h.metrics,
    },
    {
      // Open: the API description holds no secret, and tools fetch it without credentials.
      method: 'GET', path: '/openapi.json', operationId: 'openapi', auth: false, hot: false,
      summary: 'This OpenAPI 3.1 document.',
      responses: [{ status: 200, description: 'OpenAPI 3.1 document.', contentType: 'application/json' }],
      handler: h.openapi,
    },
  ];
}
