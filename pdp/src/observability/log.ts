/**
 * The service logger (pino, one JSON line per event) and the decision log. Both write through
 * pino's asynchronous destination (sonic-boom), so a decision line never waits for the output,
 * and one set of redaction paths censors every line: with a `PDP_LOG_REDACT` path set, decision
 * lines go through pino's child logger and its redaction; without one, no path could touch them
 * and they are built here (see {@link createDecisionLog}).
 */
import { LOG_LEVELS, type LogLevel } from '@oracle-ai/contract';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { FieldError } from '../common/errors.js';
import type { DecisionReason, DecisionResource, DecisionSubject } from '../engine/types.js';
import { reasonsToJson } from '../server/wire.js';

export type { Logger } from 'pino';

// pino's levels and `silent` (what `PDP_LOG_LEVEL` accepts), shared with the demo services.
export { LOG_LEVELS, type LogLevel };

/**
 * Always censored, whatever is configured: the service never logs a token on purpose, and
 * these paths make sure one passed by mistake in a log object does not reach the output.
 */
export const ALWAYS_REDACTED = ['token', 'authorization', 'headers.authorization', 'req.headers.authorization'];

/** The decision-log field holding the decision's request (`PDP_DECISION_LOG_INPUT`). */
export const INPUT_FIELD = 'input';

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Extra pino redaction paths (`PDP_LOG_REDACT`), e.g. `subject` or `resource.id`. */
  redact?: readonly string[];
  /** Where lines go; default: stdout through pino's asynchronous destination. */
  destination?: DestinationStream;
  /** The default destination's buffer limit (`PDP_LOG_MAX_BUFFER_BYTES`; default LOG_MAX_BUFFERED). */
  maxBufferBytes?: number;
}

export interface PdpLogger {
  logger: Logger;
  /** The destination the logger (and so the decision log) writes to. */
  destination: DestinationStream;
  /** Writes out whatever the asynchronous destination still buffers (call before exit). */
  flush(): void;
}

/** Bytes a stuck output may hold back before lines are dropped (not kept in memory); the default. */
export const LOG_MAX_BUFFERED = 16 * 1024 * 1024;
/** The smallest buffer limit allowed: well above the 32 KiB sonic-boom writes at once. */
export const LOG_MIN_BUFFERED = 64 * 1024;

/**
 * pino's asynchronous destination (sonic-boom) as the service uses it: lines are handed to the
 * kernel once 16 KiB are pending (one write per ~30 decision lines instead of one per line), and
 * at the latest every 25 ms, so a quiet service's lines still show up at once. Each asynchronous
 * write is a trip through libuv's thread pool, which costs about the same CPU whatever its size
 * (and, on a one-core service, two context switches), so fewer, larger writes cost less per
 * line: `npm run bench` prints 16 KiB against 4 KiB side by side.
 * Pending lines are joined into strings of at most 32 KiB: sonic-boom's write() measures the
 * byte length of the string being joined on every call, so that cost grows with the cap (the
 * decision log calls it once per event-loop turn, not once per line).
 */
export function createLogDestination(target: { fd: number } | { dest: string }, maxBufferBytes = LOG_MAX_BUFFERED): ReturnType<typeof pino.destination> {
  return pino.destination({ ...target, sync: false, minLength: 16384, maxWrite: 32768, periodicFlush: 25, maxLength: maxBufferBytes });
}

/** Why lines were lost: the buffer limit was reached, or the output refused a write. */
export type LogDropReason = 'buffer_full' | 'write_error';

/** Lines in a chunk handed to the destination (decision lines come in batches, see {@link createDecisionLog}). */
function linesIn(chunk: unknown): number {
  if (typeof chunk !== 'string') return 1;
  let n = 0;
  for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) n++;
  return Math.max(n, 1);
}

/**
 * Calls `onDrop` for every line a sonic-boom destination drops at its buffer limit (its `drop`
 * event, one per chunk written, which may hold several lines: each is counted) and for every
 * write error (the lines of that write are lost; counted as one). Listening for `error` also
 * keeps a broken stdout from crashing the process. Other destinations (a test's capture) emit
 * neither and are left alone.
 */
export function watchLogDrops(destination: DestinationStream, onDrop: (reason: LogDropReason, err?: Error) => void): void {
  const emitter = destination as Partial<Pick<NodeJS.EventEmitter, 'on'>>;
  if (typeof emitter.on !== 'function') return;
  emitter.on.call(destination, 'drop', (chunk: unknown) => {
    for (let n = linesIn(chunk); n > 0; n--) onDrop('buffer_full');
  });
  emitter.on.call(destination, 'error', (err: Error) => onDrop('write_error', err));
}

/**
 * In a decision line `subject` is the subject's id and `action` the action's name, both strings,
 * so a path into them (`subject.id`, `subject.*`, `action.name`) would name nothing there and an
 * operator who wrote it would see ids logged. Such a path also censors the field itself: when in
 * doubt, hide more.
 */
export function redactionPaths(configured: readonly string[]): string[] {
  const paths = new Set([...ALWAYS_REDACTED, ...configured]);
  for (const p of configured) {
    const root = /^(subject|action)(?:\.|\[)/.exec(p)?.[1];
    if (root !== undefined) paths.add(root);
    // The line's `input` is the request itself, so every path censors the same field there too
    // (`subject.claims.email` → `input.subject.claims.email`). Its `action` is the name, a string
    // like the line's own: a path into it hides the whole field there as well.
    paths.add(`${INPUT_FIELD}.${p}`);
    if (root === 'action') paths.add(`${INPUT_FIELD}.action`);
  }
  return [...paths];
}

/** At most one warning about lost lines per this many ms (default of {@link monitorLogDrops}). */
export const LOG_DROP_WARN_INTERVAL_MS = 60_000;

export interface LogDropMonitor {
  /** Reports what is still untold and stops. */
  close(): void;
}

/**
 * Counts lost lines (`count`) and warns about them in the service log, at most once per
 * interval, with how many were lost since the last warning: a stuck output drops thousands of
 * lines a second, and one warning per line would only add to them. The warning goes to the same
 * output, so while it is stuck the warning may be lost too; the counter is not.
 */
export function monitorLogDrops(
  destination: DestinationStream,
  options: { logger: Logger; count: (reason: LogDropReason) => void; intervalMs?: number },
): LogDropMonitor {
  const intervalMs = options.intervalMs ?? LOG_DROP_WARN_INTERVAL_MS;
  const pending: Record<LogDropReason, number> = { buffer_full: 0, write_error: 0 };
  let lastError: string | undefined;
  let lastWarned = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let warning = false;
  const warn = (): void => {
    timer = undefined;
    if (pending.buffer_full + pending.write_error === 0) return;
    lastWarned = Date.now();
    const fields = { dropped: { ...pending }, ...(lastError !== undefined ? { writeError: lastError } : {}), intervalMs };
    pending.buffer_full = 0;
    pending.write_error = 0;
    lastError = undefined;
    // The warning itself may be dropped at the limit: that must not schedule another one.
    warning = true;
    try {
      options.logger.warn(fields, 'log lines were lost: the output did not keep up or refused writes (see pdp_decision_log_dropped_total)');
    } finally {
      warning = false;
    }
  };
  watchLogDrops(destination, (reason, err) => {
    options.count(reason);
    if (warning) return;
    pending[reason]++;
    if (err !== undefined) lastError = (err as NodeJS.ErrnoException).code ?? err.message;
    if (timer !== undefined) return;
    const wait = lastWarned + intervalMs - Date.now();
    if (wait <= 0) {
      // Not from inside the destination's write: the warning is one more write.
      timer = setTimeout(warn, 0);
    } else {
      timer = setTimeout(warn, wait);
    }
    timer.unref();
  });
  return {
    close() {
      if (timer !== undefined) clearTimeout(timer);
      warn();
    },
  };
}

/** One destination for stdout per process: two servers in one process must not interleave writes. */
let stdoutDestination: DestinationStream | undefined;

/**
 * Loggers made by {@link createLogger} whose redaction cannot touch a decision line (no
 * `PDP_LOG_REDACT` path: the always-censored ones name top-level keys a decision line does not
 * have), with their destination: their decision lines are built by {@link createDecisionLog}.
 */
const unredactedLoggers = new WeakMap<Logger, DestinationStream>();

export function createLogger(options: CreateLoggerOptions): PdpLogger {
  // The first server of a process sets stdout's buffer limit; later ones share that destination.
  const destination = options.destination ?? (stdoutDestination ??= createLogDestination({ fd: 1 }, options.maxBufferBytes));
  const logger = pino(
    {
      name: 'pdp',
      level: options.level,
      redact: { paths: redactionPaths(options.redact ?? []), censor: '[redacted]' },
    },
    destination,
  );
  if ((options.redact ?? []).length === 0) unredactedLoggers.set(logger, destination);
  return {
    logger,
    destination,
    flush() {
      try {
        (destination as { flushSync?: () => void }).flushSync?.();
      } catch {
        // A destination still opening (a file) has nothing written to it yet to flush.
      }
    },
  };
}

/**
 * A decision's request as a `POST /v1/decide` body, for replay: the subject the engine decided
 * for (from a token: the verified subject, never the token), whichever API asked. Undefined
 * members are left out of the line, as JSON leaves them out.
 */
export interface DecisionLogInput {
  subject: DecisionSubject;
  resource: DecisionResource;
  action: string;
  actionProperties: Record<string, unknown> | undefined;
  context: Record<string, unknown> | undefined;
}

/** One decision-log line's fields (never the token: only the verified subject's id). */
export interface DecisionLogEntry {
  decisionId: string;
  revision: string;
  subject: string | undefined;
  resource: { type: string; id?: string | undefined };
  action: string;
  effect: 'allow' | 'deny';
  reasons: readonly DecisionReason[];
  latencyUs: number;
  /** Why a token was refused, when the decision came from token mode and failed there. */
  tokenError: string | undefined;
  /** Which API produced it: decide, batch, authzen. */
  api: string;
  /** The request's attributes that do not fit the policy set's schema.json (PDP_SCHEMA_ENFORCE=warn). */
  schemaErrors: readonly FieldError[] | undefined;
  requestId: string;
  /** The request, for replay; undefined when `PDP_DECISION_LOG_INPUT=off` or no subject was decided for (a refused token). */
  input: DecisionLogInput | undefined;
}

export interface DecisionLog {
  write(entry: DecisionLogEntry): void;
  readonly enabled: boolean;
  /** Lines carry the decision's request (`input`). */
  readonly input: boolean;
  /** Hands lines still held back to the destination now (call before flushing it at shutdown). */
  flush?(): void;
}

export interface DecisionLogOptions {
  /** The service logger: decision lines take its destination, level and redaction. */
  logger: Logger;
  enabled: boolean;
  /** `PDP_DECISION_LOG_INPUT`; default true. */
  input?: boolean;
}

/**
 * Decision lines go through pino (a child logger with `"kind":"decision"`) when the logger's
 * redaction has paths that could censor them, or when the logger is not one of ours (its
 * serializers, hooks and mixins are unknown). Otherwise each line is built here, the same line
 * pino writes (its level, time and bindings, then the entry's fields in order, undefined ones
 * left out, then `msg`), and handed to the same destination. The profile of /v1/decide put
 * pino's serialisation of this line at about 9% of the server's busy time (it stringifies the
 * reasons, resource and input on every line, and walks every key); built here it is a few
 * template strings, the engine's reasons serialised once (wire.ts).
 */
export function createDecisionLog(options: DecisionLogOptions): DecisionLog {
  const { logger } = options;
  if (!options.enabled || !logger.isLevelEnabled('info')) return { enabled: false, input: false, write() {} };
  const input = options.input !== false;
  // Bindings are serialised once, when the child is made, not on every line.
  const child = logger.child({ kind: 'decision' });
  const destination = unredactedLoggers.get(logger);
  if (destination === undefined) return { enabled: true, input, write: (entry) => child.info(entry, 'decision') };
  const own = child as unknown as Record<symbol, unknown>;
  const head = `{"level":${logger.levels.values.info}`;
  const time = own[pino.symbols.timeSym] as () => string;
  const bindings = own[pino.symbols.chindingsSym] as string;
  // The lines of one event-loop turn are handed to the destination as one chunk, at the end of
  // the turn (setImmediate): sonic-boom measures and joins what it holds on every write, so one
  // write per turn instead of one per line measured at about half its cost per line. A line is
  // then at most one turn later than it would be; a service log line written in that turn comes
  // before it (every line has its time).
  let held = '';
  const flush = (): void => {
    const chunk = held;
    held = '';
    if (chunk !== '') destination.write(chunk);
  };
  return {
    enabled: true,
    input,
    write(entry) {
      if (held === '') setImmediate(flush);
      held += decisionLine(`${head}${time()}${bindings}`, entry);
    },
    flush,
  };
}

/** `,"name":<JSON>` when the value is defined: pino leaves undefined fields out. */
const field = (name: string, value: unknown): string => (value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`);

/**
 * One decision line after pino's level, time and bindings. decisionId (base64url and a counter),
 * revision (sha256:hex), effect and api never need escaping; every other string is quoted by
 * JSON.stringify, as pino quotes it (pino's own quoting differs only for a lone surrogate, which
 * it writes as is and the output turns into U+FFFD, and JSON.stringify escapes as \uXXXX).
 */
function decisionLine(start: string, e: DecisionLogEntry): string {
  return (
    `${start},"decisionId":"${e.decisionId}","revision":"${e.revision}"${field('subject', e.subject)},"resource":${JSON.stringify(e.resource)}` +
    `,"action":${JSON.stringify(e.action)},"effect":"${e.effect}","reasons":${reasonsToJson(e.reasons)},"latencyUs":${e.latencyUs}${field('tokenError', e.tokenError)}` +
    `,"api":"${e.api}"${field('schemaErrors', e.schemaErrors)},"requestId":${JSON.stringify(e.requestId)}${field(INPUT_FIELD, e.input)},"msg":"decision"}\n`
  );
}
