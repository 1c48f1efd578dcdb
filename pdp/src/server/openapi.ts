/**
 * The OpenAPI 3.1 document, generated from the route table and the very schema objects ajv
 * compiled (OpenAPI 3.1 uses JSON Schema 2020-12, so they embed unchanged but for their
 * `$ref`s, which are rewritten from "<file>#/$defs/X" to "#/components/schemas/X").
 */
import type { RouteSpec } from './routes.js';
import type { ApiSchemas, JsonSchema, RequestSchemaName } from './schemas.js';

const REQUEST_COMPONENT: Record<RequestSchemaName, string> = {
  decide: 'DecideRequest',
  batch: 'DecideBatchRequest',
  authzenEvaluation: 'AuthzenEvaluationRequest',
  authzenEvaluations: 'AuthzenEvaluationsRequest',
  authzenSearchSubject: 'AuthzenSubjectSearchRequest',
  authzenSearchResource: 'AuthzenResourceSearchRequest',
  authzenSearchAction: 'AuthzenActionSearchRequest',
  plan: 'PlanRequest',
};

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$schema' || k === '$id' || k === '$defs') continue;
    if (k === '$ref' && typeof v === 'string') {
      const hash = v.indexOf('#/$defs/');
      out[k] = hash >= 0 ? `#/components/schemas/${v.slice(hash + '#/$defs/'.length)}` : v;
      continue;
    }
    out[k] = rewriteRefs(v);
  }
  return out;
}

export function buildOpenApi(routes: readonly RouteSpec[], schemas: ApiSchemas, info: { version: string; maxBatch: number }): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (const schema of schemas.byFile.values()) {
    for (const [name, def] of Object.entries((schema.$defs ?? {}) as Record<string, JsonSchema>)) components[name] = rewriteRefs(def);
  }
  for (const [name, component] of Object.entries(REQUEST_COMPONENT) as [RequestSchemaName, string][]) {
    components[component] = rewriteRefs(schemas.requests[name]);
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const res of r.responses) {
      const type = res.contentType ?? (res.status >= 400 ? 'application/problem+json' : 'application/json');
      responses[String(res.status)] = {
        description: res.description,
        content: { [type]: res.schema ? { schema: { $ref: `#/components/schemas/${res.schema}` } } : {} },
      };
    }
    const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary, security: r.auth ? [{ clientToken: [] }] : [], responses };
    if (r.request) {
      op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${REQUEST_COMPONENT[r.request]}` } } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'PDP Decision API',
      version: info.version,
      description:
        'Policy decision point: JSON policies, default deny, deny overrides allow. A default deny carries one reason ' +
        'with code default_deny; an explained deny (explain: true) also lists in explain.wouldAllow the groups or roles ' +
        'that would make the same request an allow. Errors are RFC 9457 problem+json ' +
        `with a stable code and JSON pointers. Batch requests take at most ${info.maxBatch} items.`,
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: { clientToken: { type: 'http', scheme: 'bearer', description: 'A client token from PDP_CLIENT_TOKENS.' } },
    },
  };
}
