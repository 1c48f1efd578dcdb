import type { BatchResponse, DecisionResponse, PoliciesView } from '@oracle-ai/contract';

import type { ApiConfig } from './config.js';
import { ApiError } from './errors.js';
import { discard, isJsonResponse, readJson } from './upstream.js';

export interface PdpSubject {
  id: string;
  groups: string[];
  claims: Record<string, unknown>;
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

// Only `allow === true` allows; anything else in the answer is a malformed decision.
function decisionOf(value: unknown): PdpDecision {
  const d = value as { [K in keyof DecisionResponse]?: unknown } | null;
  if (!d || typeof d !== 'object' || typeof d.allow !== 'boolean' || typeof d.decisionId !== 'string' || !d.decisionId) {
    throw unavailable('The policy decision point gave a malformed answer.');
  }
  return { decisionId: d.decisionId, allow: d.allow, revision: typeof d.revision === 'string' ? d.revision : undefined };
}

/**
 * The PDP over HTTP. Node's fetch keeps connections alive (undici's pooled agent), so a
 * decision costs one request on a warm socket; every call has a hard timeout and every
 * failure, timeout, non-200 or malformed answer is a pdp_unavailable error: never an allow.
 */
export class PdpClient {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(config: Pick<ApiConfig, 'pdpUrl' | 'pdpClientToken' | 'pdpTimeoutMs'>) {
    this.#base = config.pdpUrl;
    this.#timeoutMs = config.pdpTimeoutMs;
    this.#headers = { accept: 'application/json', ...(config.pdpClientToken ? { authorization: `Bearer ${config.pdpClientToken}` } : {}) };
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = {
      method,
      headers: body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(this.#timeoutMs),
      redirect: 'error',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, init);
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      throw unavailable(timedOut ? 'The policy decision point did not answer in time.' : 'The policy decision point cannot be reached.', cause);
    }
    if (response.status !== 200) {
      await discard(response);
      throw unavailable(`The policy decision point answered HTTP ${response.status}.`);
    }
    // A decision is read from a JSON answer only: an HTML page or a proxy's text that happens to
    // parse is not one (a wrong PDP_URL must fail closed, not be believed).
    if (!isJsonResponse(response)) {
      await discard(response);
      throw unavailable('The policy decision point answered without a JSON content type.');
    }
    try {
      // The timeout signal also covers reading the body; its size is bounded too.
      return await readJson(response);
    } catch (cause) {
      throw unavailable('The policy decision point gave an unreadable answer.', cause);
    }
  }

  async decide(subject: PdpSubject, item: PdpItem): Promise<PdpDecision> {
    return decisionOf(await this.#call('POST', '/v1/decide', { subject, ...item }));
  }

  async decideBatch(subject: PdpSubject, items: readonly PdpItem[]): Promise<PdpDecision[]> {
    const answer = (await this.#call('POST', '/v1/decide/batch', { subject, items })) as { [K in keyof BatchResponse]?: unknown } | null;
    if (!answer || !Array.isArray(answer.results) || answer.results.length !== items.length) {
      throw unavailable('The policy decision point gave a malformed batch answer.');
    }
    return answer.results.map(decisionOf);
  }

  /**
   * POST /v1/plan: which resources of a type the subject may act on. Anything but one of the
   * three kinds (a conditional one with its condition) is a malformed answer, never an allow.
   */
  async plan(subject: PdpSubject, request: { resourceType: string; action: string }): Promise<PdpPlan> {
    const answer = (await this.#call('POST', '/v1/plan', { subject, ...request })) as { kind?: unknown; condition?: unknown; revision?: unknown } | null;
    const kind = answer?.kind;
    if (!answer || typeof answer.revision !== 'string' || (kind !== 'always_allowed' && kind !== 'always_denied' && kind !== 'conditional') || (kind === 'conditional' && answer.condition === undefined)) {
      throw unavailable('The policy decision point gave a malformed plan.');
    }
    return kind === 'conditional' ? { kind, condition: answer.condition, revision: answer.revision } : { kind, revision: answer.revision };
  }

  /** GET /v1/policies, passed through as the PDP gives it (only its outline is checked). */
  async policies(): Promise<PoliciesView> {
    const body = (await this.#call('GET', '/v1/policies')) as { [K in keyof PoliciesView]?: unknown } | null;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray(body.policies)) {
      throw unavailable('The policy decision point gave a malformed policy listing.');
    }
    return body as PoliciesView;
  }
}
