/**
 * `pdp serve`: parse flags, load the config (flags > env > defaults), start the server, and
 * translate signals: SIGHUP reloads the policies, SIGTERM/SIGINT stop gracefully (exit 0).
 * With PDP_WORKERS=N > 1 this process becomes the cluster primary (runtime/cluster.ts) and each
 * worker it forks runs the same command as one serving process.
 */
import cluster from 'node:cluster';
import { loadConfig, type Config, type ConfigFlags } from '../runtime/config.js';
import { ConfigError, exitCodeOf, messageWithCauses, PdpError } from '../common/errors.js';
import { startServer } from '../runtime/server.js';
import { runPrimary } from '../runtime/cluster.js';
import { parse, str } from './args.js';

export const SERVE_USAGE = `Usage: pdp serve [--policies DIR] [--host H] [--port N] [options]

Run the HTTP decision service. Flags win over environment variables, which win over defaults.

Options:
  --policies DIR        Policy directory (PDP_POLICIES, default ./policies); may also be given as the argument.
  --bundle FILE|URL     Serve a bundle (pdp build) instead (PDP_BUNDLE): a file, reloaded when replaced,
                        or an http(s) URL, polled (docs/bundles.md).
  --host H              Listen address (PDP_HOST, default 127.0.0.1).
  --port N              Port, 0 for any free one (PDP_PORT, default 8181).
  --log-level L         fatal|error|warn|info|debug|trace|silent (PDP_LOG_LEVEL, default info).
  --decision-log on|off One log line per decision (PDP_DECISION_LOG, default on).
  --workers N           Worker processes sharing the port (PDP_WORKERS, default 1).
  --max-batch N         Items per batch request (PDP_MAX_BATCH, default 100).
  -h, --help            Show this help.

Environment only:
  PDP_CLIENT_TOKENS     Comma-separated caller tokens (Authorization: Bearer). Unset: no caller
                        authentication, allowed only on a loopback host.
  PDP_JWT_ISSUER, PDP_JWT_AUDIENCE, PDP_JWKS_URL, PDP_JWT_ALGORITHMS (RS256,PS256,ES256,EdDSA),
  PDP_JWT_CLOCK_TOLERANCE (5 s), PDP_JWKS_COOLDOWN (30 s), PDP_JWKS_TIMEOUT_MS (5000),
  PDP_GROUPS_CLAIM (groups), PDP_TOKEN_CACHE_MAX (10000), PDP_TOKEN_CACHE_TTL (300 s),
  PDP_DECISION_LOG_INPUT (on: decision lines carry the request, for pdp replay),
  PDP_LOG_REDACT (pino paths), PDP_MAX_BODY_BYTES (102400), PDP_MAX_DEPTH (32),
  PDP_SCHEMA_ENFORCE (reject|warn|off, warn: requests against the policies' schema.json),
  PDP_WATCH (on), PDP_RELOAD_DEBOUNCE_MS (100), PDP_SHUTDOWN_TIMEOUT_MS (10000),
  PDP_MAX_CONNECTIONS (10000), PDP_SHUTDOWN_DELAY_MS (0: after SIGTERM, /readyz answers 503
                        and requests are still served this long before the server stops accepting),
  PDP_PUBLIC_URL (the URL callers reach the PDP at, for its AuthZEN
  metadata at /.well-known/authzen-configuration).
  With a bundle: PDP_BUNDLE_PUBLIC_KEY (PEM or JWK file, or JWKS URL: refuse unsigned bundles),
  PDP_BUNDLE_POLL_S (30), PDP_BUNDLE_CACHE (file), PDP_BUNDLE_TIMEOUT_MS (10000),
  PDP_BUNDLE_MAX_BYTES (268435456).

Signals: SIGHUP reloads the policies; SIGTERM and SIGINT stop gracefully.`;

const FLAG_OPTIONS = {
  policies: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  'decision-log': { type: 'string' },
  workers: { type: 'string' },
  'max-batch': { type: 'string' },
  bundle: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runServe(argv: string[]): Promise<number> {
  const args = parse(argv, FLAG_OPTIONS, { min: 0, max: 1 });
  if (args.values.help === true) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const flags: ConfigFlags = {
    policies: str(args, 'policies') ?? args.positionals[0],
    host: str(args, 'host'),
    port: str(args, 'port'),
    'log-level': str(args, 'log-level'),
    'decision-log': str(args, 'decision-log'),
    workers: str(args, 'workers'),
    'max-batch': str(args, 'max-batch'),
    bundle: str(args, 'bundle'),
  };
  let config: Readonly<Config>;
  try {
    config = loadConfig({ env: process.env, flags });
  } catch (err) {
    return startFailure(err);
  }
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config);
  return runWorker(config);
}

/** A start that failed on purpose (a PdpError): its message, and the exit code the error table gives. */
function startFailure(err: unknown): number {
  if (!(err instanceof PdpError)) throw err;
  if (err instanceof ConfigError) {
    // One line per problem, each naming its variable, so every one can be fixed in one go.
    for (const p of err.problems) process.stderr.write(`pdp serve: invalid configuration: ${p.variable}: ${p.message}\n`);
  } else {
    process.stderr.write(`pdp serve: ${messageWithCauses(err)}\n`);
  }
  return exitCodeOf(err);
}

/** One serving process (the only one, or a cluster worker). Resolves with the exit code. */
async function runWorker(config: Readonly<Config>): Promise<number> {
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer(config, { defaultMetrics: true });
  } catch (err) {
    return startFailure(err);
  }
  const { logger } = running;
  const onRejection = (err: unknown): void => logger.error({ err }, 'unhandled rejection');
  process.on('unhandledRejection', onRejection);

  const revision = running.policies().revision;
  if (cluster.isWorker) {
    logger.debug({ url: running.url, revision }, 'worker listening');
    process.send?.({ type: 'pdp:listening', url: running.url, revision });
  } else {
    logger.info({ url: running.url, revision, policies: running.policies().source.location }, 'pdp listening');
  }

  return new Promise<number>((resolve) => {
    const onHup = (): void => {
      logger.info('SIGHUP: reloading policies');
      void running.reload('sighup');
    };
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      logger.info({ signal }, 'shutting down: finishing requests in flight');
      void running.close().then(() => {
        process.off('unhandledRejection', onRejection);
        // A worker's IPC channel to the primary would keep it alive after the server closed.
        if (cluster.isWorker) cluster.worker?.disconnect();
        resolve(0);
      });
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
