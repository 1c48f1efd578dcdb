/**
 * Every route of the PDP, in one table: method, path, the responses, and the middleware the
 * request passes through, in order (the last one answers). Whether a route needs a caller token
 * and which request schema it reads are not written twice: they are read off its middleware
 * (`callerAuth`, `readBody(schema)`). The app and the OpenAPI document are both built from this
 * table, so a route cannot exist in one and be missing from another.
 */
import type { CallerAuth } from './caller-auth.js';
import type { DirectMiddleware, Middleware, Steps } from './handlers.js';
import type { RequestSchemaName } from './schemas.js';
import { AUTHZEN_ENDPOINTS, METADATA_PATH } from './authzen-metadata.js';
import type { AuthzenSearchSteps } from './authzen-search.js';

export interface RouteResponse {
  status: number;
  description: string;
  /** A `$defs` name in responses.schema.json; `problem` responses use `Problem`. */
  schema?: string;
  contentType?: string;
}

interface RouteBase {
  method: 'GET' | 'POST';
  path: string;
  operationId: string;
  summary: string;
  /** Needs `Authorization: Bearer <client token>` (when client tokens are configured): `callerAuth` is in `middleware`. */
  auth: boolean;
  /** The request body's schema: the one `readBody` in `middleware` validates against. */
  request?: RequestSchemaName;
  responses: RouteResponse[];
}

/**
 * A route is the middleware its requests pass through. A decision route (`direct`) is made of
 * steps that read only what {@link DirectMiddleware} may, so the app serves it without building
 * a Koa context (app.ts, the direct table); every other route goes through Koa.
 */
type RouteSteps = { direct: true; middleware: readonly DirectMiddleware[] } | { direct?: undefined; middleware: readonly Middleware[] };

export type RouteSpec = RouteBase & RouteSteps;

type RouteDefinition = Omit<RouteBase, 'auth' | 'request'> & RouteSteps;

const DECIDE_ERRORS: RouteResponse[] = [
  { status: 400, description: 'Bad input: malformed JSON, schema errors (with JSON pointers), subject and token together, token mode not configured.', schema: 'Problem' },
  { status: 401, description: 'Missing or wrong client token.', schema: 'Problem' },
  { status: 413, description: 'Body larger than PDP_MAX_BODY_BYTES.', schema: 'Problem' },
  { status: 415, description: 'Body is not application/json.', schema: 'Problem' },
  { status: 421, description: 'Served without caller tokens, and the Host header is not a loopback name (host_not_allowed).', schema: 'Problem' },
  { status: 503, description: 'No policy set loaded yet.', schema: 'Problem' },
];

export function defineRoutes(h: Steps & AuthzenSearchSteps & { callerAuth: CallerAuth; authzenMetadata: Middleware; plan: Middleware }): RouteSpec[] {
  const { callerAuth, readBody, ready } = h;
  const routes: RouteDefinition[] = [
    {
      method: 'POST', path: '/v1/decide', operationId: 'decide', direct: true,
      summary: 'One decision for a subject (or a token the PDP verifies), a resource and an action.',
      responses: [{ status: 200, description: 'The decision (a refused token is a deny naming why).', schema: 'Decision' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('decide'), ready, h.decide],
    },
    {
      method: 'POST', path: '/decide', operationId: 'decideAlias', direct: true,
      summary: 'Alias of POST /v1/decide.',
      responses: [{ status: 200, description: 'The decision.', schema: 'Decision' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('decide'), ready, h.decide],
    },
    {
      method: 'POST', path: '/v1/decide/batch', operationId: 'decideBatch', direct: true,
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
      method: 'POST', path: AUTHZEN_ENDPOINTS.access_evaluation_endpoint, operationId: 'authzenEvaluation', direct: true,
      summary: 'AuthZEN Authorization API 1.0 Access Evaluation.',
      responses: [{ status: 200, description: 'The AuthZEN decision.', schema: 'AuthzenDecision' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenEvaluation'), ready, h.authzenEvaluation],
    },
    {
      method: 'POST', path: AUTHZEN_ENDPOINTS.access_evaluations_endpoint, operationId: 'authzenEvaluations', direct: true,
      summary: 'AuthZEN Authorization API 1.0 Access Evaluations (batch, with top-level defaults and evaluations_semantic).',
      responses: [{ status: 200, description: 'One AuthZEN decision per evaluation ({"decision": …}; the whole context with options.decision_context).', schema: 'AuthzenEvaluationsResponse' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenEvaluations'), ready, h.authzenEvaluations],
    },
    {
      method: 'POST', path: AUTHZEN_ENDPOINTS.search_subject_endpoint, operationId: 'authzenSearchSubject',
      summary: 'AuthZEN Subject Search: the subjects of subject.type (the entities of the data file of that name) the policies allow to do action on resource.',
      responses: [{ status: 200, description: 'The allowed subjects, paginated.', schema: 'AuthzenEntitySearchResponse' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenSearchSubject'), ready, h.authzenSearchSubject],
    },
    {
      method: 'POST', path: AUTHZEN_ENDPOINTS.search_resource_endpoint, operationId: 'authzenSearchResource',
      summary: 'AuthZEN Resource Search: the resources of resource.type (the entities of the data file of that name) on which the policies allow subject to do action.',
      responses: [{ status: 200, description: 'The allowed resources, paginated.', schema: 'AuthzenEntitySearchResponse' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenSearchResource'), ready, h.authzenSearchResource],
    },
    {
      method: 'POST', path: AUTHZEN_ENDPOINTS.search_action_endpoint, operationId: 'authzenSearchAction',
      summary: 'AuthZEN Action Search: the actions the policies for the resource type name that subject may do on resource.',
      responses: [{ status: 200, description: 'The allowed actions, paginated.', schema: 'AuthzenActionSearchResponse' }, ...DECIDE_ERRORS],
      middleware: [callerAuth, readBody('authzenSearchAction'), ready, h.authzenSearchAction],
    },
    {
      // Open, like /openapi.json: URLs only, no secret, and a PEP reads it before it calls anything.
      method: 'GET', path: METADATA_PATH, operationId: 'authzenMetadata',
      summary: 'AuthZEN Policy Decision Point metadata: the PDP identifier (PDP_PUBLIC_URL) and every AuthZEN endpoint.',
      responses: [{ status: 200, description: 'The metadata.', schema: 'AuthzenMetadata' }, { status: 404, description: 'PDP_PUBLIC_URL is not set and the PDP has caller tokens (a Host-derived identifier would be the caller\'s choice).', schema: 'Problem' }],
      middleware: [h.authzenMetadata],
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
      summary: 'Readiness: a policy set is loaded and the instance is not shutting down.',
      responses: [{ status: 200, description: 'Ready.', schema: 'Status' }, { status: 503, description: 'No policy set loaded yet, or shutting down (shutting_down).', schema: 'Problem' }],
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
    const steps: readonly Middleware[] = r.middleware;
    const body = steps.find((m): m is ReturnType<Steps['readBody']> => 'schema' in m);
    const spec: RouteSpec = { ...r, auth: steps.includes(callerAuth) };
    if (body !== undefined) spec.request = body.schema;
    return spec;
  });
}
