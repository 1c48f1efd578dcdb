import type { BatchResponse, DecisionResponse, FieldError, PoliciesView } from '@oracle-ai/contract';

import type { ApiConfig } from './config.js';
import { ApiError } from './errors.js';
import { discard, isJsonResponse, readJson } from './upstream.js';

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

/** The PDP's 400 problem as demo-api's invalid_request, keeping its field pointers. */
async function refusedInputOf(response: Response): Promise<ApiError> {
  let problem: { detail?: unknown; errors?: unknown } = {};
  try {
    problem = ((await readJson(response)) ?? {}) as typeof problem;
  } catch {
    // An unreadable body still was a refusal of the input.
  }
  const errors = Array.isArray(problem.errors)
    ? problem.errors
        .filter((e): e is FieldError => typeof e?.pointer === 'string' && typeof e?.detail === 'string')
        .slice(0, 50)
        .map(({ pointer, detail }) => ({ pointer, detail }))
    : [];
  const detail = typeof problem.detail === 'string' ? problem.detail : 'The policy decision point refused the request.';
  return new ApiError('invalid_request', detail, errors.length > 0 ? { errors } : {});
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

/** What a connection that was reset or closed under a request looks like in fetch's error causes. */
const RESET_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * True when fetch failed because its connection was reset or closed before the response head
 * arrived: what sending on a pooled keep-alive connection the server has just closed looks
 * like. A refused connection, a DNS failure, a timeout or an abort is not one.
 */
export function isResetBeforeResponse(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return false;
  // fetch's TypeError carries the socket's error as `cause` (undici's SocketError, or a plain
  // ECONNRESET); a few levels are enough and bound the walk.
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * fetch, sent once more when the first attempt's connection was reset before any response
 * (a decision is safe to repeat; a keep-alive connection the PDP closed as it shut down is the
 * usual cause). Never after a response head arrived: fetch has resolved by then and its body
 * errors are the caller's. The body must be a string or absent, so it can be sent again; the
 * signal bounds both attempts together. fetch cannot pick a connection, but its pool drops one
 * as soon as its close is read, and a PDP that stops closes its connections together: by the
 * time the first attempt's error is seen, the others are gone, and the retry opens a new one.
 */
export async function fetchRetryingReset(url: string, init: RequestInit & { body?: string }, fetchImpl: typeof fetch = fetch): Promise<Response> {
  try {
    return await fetchImpl(url, init);
  } catch (err) {
    if (!isResetBeforeResponse(err) || init.signal?.aborted === true) throw err;
    return fetchImpl(url, init);
  }
}

/**
 * The PDP over HTTP. Node's fetch keeps connections alive (undici's pooled agent), so a
 * decision costs one request on a warm socket; every call has a hard timeout and every
 * failure, timeout, non-200 or malformed answer is a pdp_unavailable error: never an allow.
 * The one exception: a connection reset before any response is tried once more (see
 * {@link fetchRetryingReset}).
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

  async #call(method: 'GET' | 'POST', path: string, body?: unknown, refusedInput = false): Promise<unknown> {
    const init: RequestInit & { body?: string } = {
      method,
      headers: body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(this.#timeoutMs),
      redirect: 'error',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    let response: Response;
    try {
      response = await fetchRetryingReset(`${this.#base}${path}`, init);
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      throw unavailable(timedOut ? 'The policy decision point did not answer in time.' : 'The policy decision point cannot be reached.', cause);
    }
    if (refusedInput && response.status === 400 && isJsonResponse(response)) throw await refusedInputOf(response);
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
   * POST /v1/decide with the evaluation trace, for the admin playground, whose request is the
   * caller's own: the PDP's 400 is the caller's bad input (with its pointers), not an outage.
   */
  async explain(request: PdpExplainRequest): Promise<DecisionResponse> {
    const answer = await this.#call('POST', '/v1/decide', { ...request, explain: true }, true);
    decisionOf(answer);
    const explain = (answer as { explain?: unknown }).explain;
    if (!explain || typeof explain !== 'object' || !Array.isArray((explain as { rules?: unknown }).rules)) {
      throw unavailable('The policy decision point gave a decision without its explanation.');
    }
    return answer as DecisionResponse;
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
