import type { AccessOption, DecisionResponse, FieldError, PoliciesView } from '@oracle-ai/contract';
import { PdpClient as Client, PdpClientError, type Decision } from '@oracle-ai/pdp-client';

import { accessOptionsOf } from './access.js';
import type { ApiConfig } from './config.js';
import { ApiError } from './errors.js';
import { MAX_UPSTREAM_BYTES } from './upstream.js';

export interface PdpSubject {
  id: string;
  groups: string[];
  claims: Record<string, unknown>;
}

/** A whole decision request as the playground sends it (PdpSubject's fields, all from the caller). */
export interface PdpExplainRequest extends PdpItem {
  subject: PdpSubject;
  context?: Record<string, unknown>;
}

export interface PdpItem {
  resource: { type: string; id?: string; attributes?: Record<string, unknown> };
  action: string;
}

/** What demo-api keeps of a PDP decision. */
export interface PdpDecision {
  decisionId: DecisionResponse['decisionId'];
  allow: DecisionResponse['allow'];
  revision: DecisionResponse['revision'] | undefined;
}

/** What demo-api keeps of a PDP plan: `condition` only for `conditional`. */
export type PdpPlan =
  | { kind: 'always_allowed' | 'always_denied'; revision: string }
  | { kind: 'conditional'; condition: unknown; revision: string };

function unavailable(detail: string, cause?: unknown): ApiError {
  return new ApiError('pdp_unavailable', detail, {}, cause === undefined ? undefined : { cause });
}

/** The client's typed error as demo-api's 503; the PDP's own detail text is not passed on to callers. */
function unavailableOf(err: PdpClientError): ApiError {
  switch (err.code) {
    case 'timeout':
      return unavailable('The policy decision point did not answer in time.', err);
    case 'unreachable':
      return unavailable('The policy decision point cannot be reached.', err);
    case 'http_status':
    case 'plan_unsupported':
      return unavailable(`The policy decision point answered HTTP ${err.details.status ?? 'other than 200'}.`, err);
    default:
      return unavailable('The policy decision point gave a malformed answer.', err);
  }
}

/** The PDP's 400 problem as demo-api's invalid_request, keeping its field pointers. */
function refusedInputOf(problem: { detail?: unknown; errors?: unknown }): ApiError {
  const errors = Array.isArray(problem.errors)
    ? problem.errors
        .filter((e): e is FieldError => typeof e?.pointer === 'string' && typeof e?.detail === 'string')
        .slice(0, 50)
        .map(({ pointer, detail }) => ({ pointer, detail }))
    : [];
  const detail = typeof problem.detail === 'string' ? problem.detail : 'The policy decision point refused the request.';
  return new ApiError('invalid_request', detail, errors.length > 0 ? { errors } : {});
}

/** A PDP problem+json body, when the error is an HTTP 400 that carried one. */
function badRequestProblem(err: PdpClientError): { detail?: unknown; errors?: unknown } | undefined {
  const problem = err.details.problem;
  return err.code === 'http_status' && err.details.status === 400 && typeof problem === 'object' && problem !== null && !Array.isArray(problem) ? problem : undefined;
}

/** Runs one call of the package's client; its every failure is a pdp_unavailable, never an allow. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof PdpClientError ? unavailableOf(err) : err;
  }
}

const kept = ({ response }: Decision): PdpDecision => ({ decisionId: response.decisionId, allow: response.allow, revision: response.revision });

/**
 * The PDP through `@oracle-ai/pdp-client`, which owns the transport rules (keep-alive, the
 * timeout, fail closed, the one retry of a reused connection reset before any response byte, the
 * size and content-type checks). This adapter keeps demo-api's call shapes and turns the
 * client's typed errors into problem responses.
 */
export class PdpClient {
  readonly #client: Client;

  constructor(config: Pick<ApiConfig, 'pdpUrl' | 'pdpClientToken' | 'pdpTimeoutMs'>) {
    this.#client = new Client({ url: config.pdpUrl, clientToken: config.pdpClientToken, timeoutMs: config.pdpTimeoutMs, maxResponseBytes: MAX_UPSTREAM_BYTES });
  }

  async decide(subject: PdpSubject, item: PdpItem): Promise<PdpDecision> {
    return kept(await call(() => this.#client.decide({ subject, ...item })));
  }

  async decideBatch(subject: PdpSubject, items: readonly PdpItem[]): Promise<PdpDecision[]> {
    return (await call(() => this.#client.batch({ subject, items: [...items] }))).map(kept);
  }

  /**
   * How `subject` could be granted each of `items` (refused a moment ago): one explained batch,
   * read by {@link accessOptionsOf}. An item allowed by now, or one the PDP said nothing usable
   * about, is undefined. Fails like every call; the caller's refusal stands without advice.
   */
  async access(subject: PdpSubject, items: readonly PdpItem[]): Promise<(AccessOption[] | undefined)[]> {
    const decisions = await call(() => this.#client.batch({ subject, items: [...items], explain: true }));
    return decisions.map(({ allow, response }) => (allow ? undefined : accessOptionsOf(response.explain)));
  }

  /**
   * POST /v1/decide with the evaluation trace, for the admin playground, whose request is the
   * caller's own: the PDP's 400 is the caller's bad input (with its pointers), not an outage.
   */
  async explain(request: PdpExplainRequest): Promise<DecisionResponse> {
    let decision: Decision;
    try {
      decision = await this.#client.decide({ ...request, explain: true });
    } catch (err) {
      if (!(err instanceof PdpClientError)) throw err;
      const problem = badRequestProblem(err);
      throw problem === undefined ? unavailableOf(err) : refusedInputOf(problem);
    }
    const explain = (decision.response as { explain?: unknown }).explain;
    if (!explain || typeof explain !== 'object' || !Array.isArray((explain as { rules?: unknown }).rules)) {
      throw unavailable('The policy decision point gave a decision without its explanation.');
    }
    return decision.response;
  }

  /** POST /v1/plan: which resources of a type the subject may act on (the package checks the shape). */
  async plan(subject: PdpSubject, request: { resourceType: string; action: string }): Promise<PdpPlan> {
    const answer = await call(() => this.#client.plan({ subject, ...request }));
    return answer.kind === 'conditional' ? { kind: answer.kind, condition: answer.condition, revision: answer.revision } : { kind: answer.kind, revision: answer.revision };
  }

  /** GET /v1/policies, passed through as the PDP gives it (only its outline is checked). */
  async policies(): Promise<PoliciesView> {
    return call(() => this.#client.policies());
  }
}
