/**
 * Replaying a decision log against a candidate policy set: each recorded decision's request is
 * checked again by the one request check and decided by the engine, and every decision whose
 * effect changes is counted, by direction (allow→deny narrows, deny→allow widens), by the rules
 * that now decide and by the request. Pure: the caller reads the log and loads the candidate.
 *
 * A recorded line is replayed only when it says exactly what was asked: a line without `input`
 * (an older PDP, or the decision log's input turned off), a decision refused at its token, or an
 * input that is not a valid request is not replayable; an input with a redacted field
 * (`PDP_LOG_REDACT`) is uncertain, since the candidate may read exactly what was hidden. Both are
 * counted and reported, never guessed at.
 */
import { isObject } from '../common/objects.js';
import type { CompiledPolicySet } from '../engine/compile.js';
import { decide, isDefaultDeny } from '../engine/decide.js';
import type { DecisionRequest, Effect } from '../engine/types.js';
import { checkRequest, TOKEN_NEEDS_SERVER } from './request.js';

/** What pino's redaction writes in place of a censored value (the PDP's logger's `censor`). */
export const REDACTED = '[redacted]';

/** At most this many examples of each kind in a report; the counts are always whole. */
export const MAX_EXAMPLES = 5;
/** At most this many groups (by rule, by request) of each direction in a report. */
export const MAX_GROUPS = 20;

export type NotReplayableWhy = 'no_input' | 'token_refused' | 'invalid_input' | 'invalid_line';

export interface ReplayExample {
  /** 1-based line of the log. */
  line: number;
  decisionId?: string;
  subject: string;
  resource: string;
  action: string;
  /** `reasons`: the deciding rules (`policy/rule`, or `(code)` for a refusal); empty for a default deny. */
  recorded: { effect: Effect; reasons: string[] };
  candidate: { effect: Effect; reasons: string[] };
}

export interface ReplayGroup {
  key: string;
  count: number;
}

export interface ReplayChanges {
  count: number;
  /** The rules that decide now (`policy/rule`, or `(no rule applies)` for a default deny), most first. */
  byRule: ReplayGroup[];
  /** `subject resource-type action`, most first. */
  byRequest: ReplayGroup[];
  examples: ReplayExample[];
}

export interface ReplaySkipped {
  line: number;
  decisionId?: string;
  why: string;
}

export interface ReplayReport {
  /** The candidate's revision. */
  revision: string;
  /** Decision lines read (other log lines are not counted). */
  decisions: number;
  replayed: number;
  unchanged: number;
  /** Same effect, other deciding rules. */
  reasonsChanged: number;
  narrowed: ReplayChanges;
  widened: ReplayChanges;
  notReplayable: { count: number; by: Record<NotReplayableWhy, number>; examples: ReplaySkipped[] };
  uncertain: { count: number; examples: ReplaySkipped[] };
  /** The recorded revisions the decisions were made with, and how many each. */
  recordedRevisions: ReplayGroup[];
}

/** A reason as `policy/rule` (a request-level reason, with no policy, as its code). */
/**
 * The rules that decided, by name. A default deny names none: its reason (and the empty list an
 * older log line has for it) both read as `[]`, so a replay never counts that as a change.
 */
const decidingRules = (reasons: readonly unknown[]): string[] => reasons.flatMap((r) => (isObject(r) && isDefaultDeny(r) ? [] : [reasonName(isObject(r) ? r : {})]));

const reasonName = (r: { policy?: unknown; rule?: unknown; code?: unknown }): string =>
  typeof r.policy === 'string' && r.policy !== '' ? `${r.policy}/${String(r.rule)}` : `(${typeof r.code === 'string' ? r.code : 'request'})`;

const hasRedacted = (value: unknown): boolean => {
  if (value === REDACTED) return true;
  if (Array.isArray(value)) return value.some(hasRedacted);
  return isObject(value) && Object.values(value).some(hasRedacted);
};

class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  top(limit = MAX_GROUPS): ReplayGroup[] {
    return [...this.counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, limit);
  }
}

class Changes {
  count = 0;
  private readonly rules = new Tally();
  private readonly requests = new Tally();
  private readonly examples: ReplayExample[] = [];
  add(example: ReplayExample, request: string): void {
    this.count++;
    const deciding = example.candidate.reasons.length === 0 ? ['(no rule applies)'] : example.candidate.reasons;
    for (const rule of deciding) this.rules.add(rule);
    this.requests.add(request);
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(example);
  }
  report(): ReplayChanges {
    return { count: this.count, byRule: this.rules.top(), byRequest: this.requests.top(), examples: this.examples };
  }
}

/** Replays the decision lines of a log (any other line is skipped) against `candidate`. */
export async function replayLog(lines: AsyncIterable<string> | Iterable<string>, candidate: CompiledPolicySet): Promise<ReplayReport> {
  const narrowed = new Changes();
  const widened = new Changes();
  const revisions = new Tally();
  const notReplayable = { count: 0, by: { no_input: 0, token_refused: 0, invalid_input: 0, invalid_line: 0 } as Record<NotReplayableWhy, number>, examples: [] as ReplaySkipped[] };
  const uncertain = { count: 0, examples: [] as ReplaySkipped[] };
  let decisions = 0;
  let replayed = 0;
  let unchanged = 0;
  let reasonsChanged = 0;
  let lineNo = 0;

  const skip = (why: NotReplayableWhy, line: number, decisionId: string | undefined, detail: string): void => {
    notReplayable.count++;
    notReplayable.by[why]++;
    if (notReplayable.examples.length < MAX_EXAMPLES) notReplayable.examples.push({ line, ...(decisionId === undefined ? {} : { decisionId }), why: detail });
  };

  for await (const text of lines) {
    lineNo++;
    if (!text.includes('"decision"')) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      continue;
    }
    if (!isObject(entry) || entry.kind !== 'decision') continue;
    decisions++;
    const decisionId = typeof entry.decisionId === 'string' ? entry.decisionId : undefined;
    if ((entry.effect !== 'allow' && entry.effect !== 'deny') || !Array.isArray(entry.reasons)) {
      skip('invalid_line', lineNo, decisionId, 'the line has no effect and reasons');
      continue;
    }
    if (typeof entry.revision === 'string') revisions.add(entry.revision);
    if (typeof entry.tokenError === 'string') {
      skip('token_refused', lineNo, decisionId, `refused at its token (${entry.tokenError}); no policy was asked`);
      continue;
    }
    if (!Object.hasOwn(entry, 'input')) {
      skip('no_input', lineNo, decisionId, 'no input recorded');
      continue;
    }
    const input = entry.input;
    if (hasRedacted(input)) {
      uncertain.count++;
      if (uncertain.examples.length < MAX_EXAMPLES) uncertain.examples.push({ line: lineNo, ...(decisionId === undefined ? {} : { decisionId }), why: 'a field of the input was redacted' });
      continue;
    }
    const errors = checkRequest(input);
    const first = errors[0];
    if (first !== undefined) {
      skip('invalid_input', lineNo, decisionId, `invalid input: ${first.pointer} ${first.detail}`);
      continue;
    }
    if (!isObject(input) || !isObject(input.subject)) {
      skip('invalid_input', lineNo, decisionId, `invalid input: /token ${TOKEN_NEEDS_SERVER}`);
      continue;
    }
    const { subject, resource, action, actionProperties, context } = input as unknown as DecisionRequest;
    const request: DecisionRequest = { subject, resource, action };
    if (actionProperties !== undefined) request.actionProperties = actionProperties;
    if (context !== undefined) request.context = context;
    const now = decide(candidate, request);
    replayed++;
    const recorded = { effect: entry.effect as Effect, reasons: decidingRules(entry.reasons as unknown[]) };
    const fresh = { effect: now.effect, reasons: decidingRules(now.reasons) };
    if (recorded.effect === fresh.effect) {
      unchanged++;
      if ([...recorded.reasons].sort().join('\n') !== [...fresh.reasons].sort().join('\n')) reasonsChanged++;
      continue;
    }
    const example: ReplayExample = {
      line: lineNo,
      ...(decisionId === undefined ? {} : { decisionId }),
      subject: subject.id,
      resource: resource.id === undefined ? resource.type : `${resource.type}/${resource.id}`,
      action,
      recorded,
      candidate: fresh,
    };
    // Grouped by resource type: ids are mostly unique, and the examples carry them.
    (fresh.effect === 'allow' ? widened : narrowed).add(example, `${subject.id} ${resource.type} ${action}`);
  }
  return {
    revision: candidate.revision,
    decisions,
    replayed,
    unchanged,
    reasonsChanged,
    narrowed: narrowed.report(),
    widened: widened.report(),
    notReplayable,
    uncertain,
    recordedRevisions: revisions.top(),
  };
}
