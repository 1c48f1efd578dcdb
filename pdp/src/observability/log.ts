/**
 * The service logger (pino, one JSON line per event) and the decision log, a child of it. Both
 * write through pino's asynchronous destination (sonic-boom), so a decision line never waits
 * for the output, and both go through pino's redaction: one set of paths censors every line.
 */
import { LOG_LEVELS, type LogLevel } from '@oracle-ai/contract';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { FieldError } from '../common/errors.js';
import type { DecisionReason } from '../engine/types.js';

export type { Logger } from 'pino';

// pino's levels and `silent` (what `PDP_LOG_LEVEL` accepts), shared with the demo services.
export { LOG_LEVELS, type LogLevel };

/**
 * Always censored, whatever is configured: the service never logs a token on purpose, and
 * these paths make sure one passed by mistake in a log object does not reach the output.
 */
export const ALWAYS_REDACTED = ['token', 'authorization', 'headers.authorization', 'req.headers.authorization'];

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Extra pino redaction paths (`PDP_LOG_REDACT`), e.g. `subject` or `resource.id`. */
  redact?: readonly string[];
  /** Where lines go; default: stdout through pino's asynchronous destination. */
  destination?: DestinationStream;
}

export interface PdpLogger {
  logger: Logger;
  /** The destination the logger (and so the decision log) writes to. */
  destination: DestinationStream;
  /** Writes out whatever the asynchronous destination still buffers (call before exit). */
  flush(): void;
}

/** Bytes a stuck output may hold back before lines are dropped (not kept in memory). */
export const LOG_MAX_BUFFERED = 16 * 1024 * 1024;

/**
 * pino's asynchronous destination (sonic-boom) as the service uses it: lines are handed to the
 * kernel once 4 KiB are pending (one write per ~15 decision lines instead of one per line), and
 * at the latest every 25 ms, so a quiet service's lines still show up at once. Pending lines are
 * joined into strings of at most 8 KiB (sonic-boom's default is 16 KiB): its write() measures
 * the byte length of the string being joined on every line, so that cost grows with the cap.
 */
export function createLogDestination(target: { fd: number } | { dest: string }): ReturnType<typeof pino.destination> {
  return pino.destination({ ...target, sync: false, minLength: 4096, maxWrite: 8192, periodicFlush: 25, maxLength: LOG_MAX_BUFFERED });
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
  }
  return [...paths];
}

/** One destination for stdout per process: two servers in one process must not interleave writes. */
let stdoutDestination: DestinationStream | undefined;

export function createLogger(options: CreateLoggerOptions): PdpLogger {
  const destination = options.destination ?? (stdoutDestination ??= createLogDestination({ fd: 1 }));
  const logger = pino(
    {
      name: 'pdp',
      level: options.level,
      redact: { paths: redactionPaths(options.redact ?? []), censor: '[redacted]' },
    },
    destination,
  );
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
}

export interface DecisionLog {
  write(entry: DecisionLogEntry): void;
  readonly enabled: boolean;
}

export interface DecisionLogOptions {
  /** The service logger: decision lines take its destination, level and redaction. */
  logger: Logger;
  enabled: boolean;
}

export function createDecisionLog(options: DecisionLogOptions): DecisionLog {
  const { logger } = options;
  if (!options.enabled || !logger.isLevelEnabled('info')) return { enabled: false, write() {} };
  // Bindings are serialised once, when the child is made, not on every line.
  const child = logger.child({ kind: 'decision' });
  return { enabled: true, write: (entry) => child.info(entry, 'decision') };
}
