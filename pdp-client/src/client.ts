/**
 * The PDP's decision API, fail closed: a decision allows only when the PDP answered 200 with
 * `allow: true` (and the matching effect); every other outcome is a deny or a
 * {@link PdpClientError}, which the caller must treat as a deny.
 */
import type { BatchResponse, DecisionResponse, PlanResponse, PoliciesView } from '@oracle-ai/contract';
import { PdpClientError } from './errors.js';
import { checkCondition } from './residual.js';
import { Transport, type JsonAnswer } from './transport.js';

export interface PdpClientOptions {
  /** The PDP's base URL, e.g. `http://127.0.0.1:8181`. */
  url: string;
  /** A client token (PDP_CLIENT_TOKENS), sent as a bearer token. */
  clientToken?: string;
  /** Default deadline of one call, in ms (connect, send and the whole answer). Default 1000. */
  timeoutMs?: number;
  /** Keep-alive connections kept per PDP. Default 64. */
  maxSockets?: number;
  /** Larger answers are refused (bad_response). Default 4 MiB. */
  maxResponseBytes?: number;
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface Subject {
  id: string;
  type?: string;
  groups?: string[];
  claims?: Record<string, unknown>;
}

export interface Resource {
  type: string;
  id?: string;
  attributes?: Record<string, unknown>;
}

/** Who asks: a subject, or a token the PDP verifies itself (token mode). */
export type Asker = { subject: Subject; token?: undefined } | { token: string; subject?: undefined };

export type DecideRequest = Asker & {
  resource: Resource;
  action: string;
  actionProperties?: Record<string, unknown>;
  context?: Record<string, unknown>;
  explain?: boolean;
};

export interface BatchItem {
  resource: Resource;
  action: string;
  actionProperties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export type BatchRequest = Asker & { items: BatchItem[]; explain?: boolean };

export type PlanRequest = Asker & {
  resourceType: string;
  action: string;
  actionProperties?: Record<string, unknown>;
  context?: Record<string, unknown>;
};

/** A decision as the client hands it on: `allow` is true only for a well-formed allow. */
export interface Decision {
  allow: boolean;
  response: DecisionResponse;
}

const PLAN_KINDS: ReadonlySet<string> = new Set(['always_allowed', 'always_denied', 'conditional']);

const bad = (message: string): PdpClientError => new PdpClientError('bad_response', message);

function decisionOf(value: unknown): Decision {
  const d = value as Partial<Record<keyof DecisionResponse, unknown>> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d) || typeof d.allow !== 'boolean' || typeof d.decisionId !== 'string' || typeof d.revision !== 'string' || !Array.isArray(d.reasons)) {
    throw bad('The PDP gave a malformed decision.');
  }
  // An allow whose effect says otherwise is not believed either way.
  if ((d.allow === true) !== (d.effect === 'allow') || (d.effect !== 'allow' && d.effect !== 'deny')) throw bad('The PDP gave a decision whose allow and effect disagree.');
  return { allow: d.allow === true, response: d as unknown as DecisionResponse };
}

function planOf(value: unknown): PlanResponse {
  const p = value as Partial<Record<keyof PlanResponse, unknown>> | null;
  if (typeof p !== 'object' || p === null || Array.isArray(p) || typeof p.kind !== 'string' || !PLAN_KINDS.has(p.kind) || typeof p.revision !== 'string') {
    throw bad('The PDP gave a malformed plan.');
  }
  if (p.kind === 'conditional') {
    if (p.condition === undefined) throw bad('The PDP gave a conditional plan without a condition.');
    try {
      checkCondition(p.condition);
    } catch (err) {
      throw bad(`The PDP gave a plan whose condition is not a residual: ${(err as Error).message}`);
    }
  }
  return p as unknown as PlanResponse;
}

export class PdpClient {
  readonly #transport: Transport;
  readonly #timeoutMs: number;

  constructor(options: PdpClientOptions) {
    this.#transport = new Transport({ url: options.url, clientToken: options.clientToken, maxSockets: options.maxSockets ?? 64, maxResponseBytes: options.maxResponseBytes ?? 4 * 1024 * 1024 });
    this.#timeoutMs = options.timeoutMs ?? 1000;
  }

  /** POSTs `body`, or GETs when it is undefined. */
  async #post(path: string, body: unknown, options: CallOptions | undefined): Promise<unknown> {
    const answer: JsonAnswer = await this.#transport.send(path, body, options?.timeoutMs ?? this.#timeoutMs);
    if (answer.status === 200) {
      if (answer.body === undefined) throw bad(`The PDP answered ${path} without a JSON body.`);
      return answer.body;
    }
    const problem = answer.body as { code?: unknown; detail?: unknown } | undefined;
    if (answer.status === 422 && problem?.code === 'plan_unsupported') {
      throw new PdpClientError('plan_unsupported', String(problem.detail ?? 'The plan cannot be expressed as a condition.'), { status: 422, problem });
    }
    throw new PdpClientError('http_status', `The PDP answered ${path} with HTTP ${answer.status}${typeof problem?.code === 'string' ? ` (${problem.code})` : ''}.`, { status: answer.status, problem });
  }

  /** One decision (`POST /v1/decide`). */
  async decide(request: DecideRequest, options?: CallOptions): Promise<Decision> {
    return decisionOf(await this.#post('/v1/decide', request, options));
  }

  /** Several decisions for one subject (`POST /v1/decide/batch`), in the order asked. */
  async batch(request: BatchRequest, options?: CallOptions): Promise<Decision[]> {
    const answer = (await this.#post('/v1/decide/batch', request, options)) as Partial<BatchResponse> | null;
    if (typeof answer !== 'object' || answer === null || !Array.isArray(answer.results) || answer.results.length !== request.items.length) {
      throw bad('The PDP gave a malformed batch answer.');
    }
    return answer.results.map(decisionOf);
  }

  /** Which resources of a type the subject may act on (`POST /v1/plan`); see planToSql and planToPredicate. */
  async plan(request: PlanRequest, options?: CallOptions): Promise<PlanResponse> {
    return planOf(await this.#post('/v1/plan', request, options));
  }

  /** The policy set being served (`GET /v1/policies`); only its outline is checked. */
  async policies(options?: CallOptions): Promise<PoliciesView> {
    const body = (await this.#post('/v1/policies', undefined, options)) as Partial<Record<keyof PoliciesView, unknown>> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(body.policies)) throw bad('The PDP gave a malformed policy listing.');
    return body as unknown as PoliciesView;
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#transport.close();
  }
}
