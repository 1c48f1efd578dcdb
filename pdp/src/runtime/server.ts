/**
 * Starting and stopping the PDP as an HTTP service: config → logger, metrics, policy store,
 * token verifier → `createApp` → listen. `close()` is graceful: /readyz fails at once, the
 * server keeps serving for the shutdown delay, then stops accepting, answers what it accepted
 * with `Connection: close`, and cuts what is left after the shutdown timeout.
 */
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream, Logger } from 'pino';
import { clientErrorListener } from '@oracle-ai/contract/client-error';
import { gracefulServer } from '@oracle-ai/contract/graceful-shutdown';
import { loadConfig, type Config, type ConfigOptions } from './config.js';
import { ConfigError, errorTable, PdpError, toProblem } from '../common/errors.js';
import { packageVersion } from '../common/version.js';
import { createDecisionLog, createLogger, monitorLogDrops } from '../observability/log.js';
import { createMetrics, type PdpMetrics } from '../observability/metrics.js';
import { createReloadLoader, loadInProcess } from '../store/loaders.js';
import { PolicyStore, type PoliciesView, type ReloadResult } from '../store/policy-store.js';
import { BundleSource } from '../store/bundle-source.js';
import { createTokenVerifier } from '../token/verifier.js';
import { createApp, MAX_HEADERS_COUNT } from '../server/app.js';
import { createDecisionIds } from '../server/decision-id.js';
import { isLoopbackHost } from '../server/host.js';
import { systemClock, type Clock } from '../server/decisions.js';

/** Options of {@link startPdpServer}: the settings of `pdp serve`, typed, plus embedding hooks. */
export interface StartPdpServerOptions extends ConfigOptions {
  /** The policy directory (required here unless `bundle` is given; `pdp serve` defaults it to ./policies). */
  policiesDir?: string;
  /** A pino logger to use instead of a new one (its level and redaction are then yours). */
  logger?: Logger;
  /** Where a new logger writes (default: stdout, asynchronously). */
  logDestination?: DestinationStream;
  /** Also export process metrics (CPU, memory, event loop) on /metrics. Default false. */
  defaultMetrics?: boolean;
}

export interface PdpServer {
  /** `http://host:port` (the port actually bound when 0 was asked for). */
  url: string;
  port: number;
  /** Reloads the policy directory now (what SIGHUP does); `trigger` is logged. */
  reload(trigger?: string): Promise<ReloadResult>;
  /** What GET /v1/policies shows. */
  policies(): PoliciesView;
  /** Graceful stop; resolves when the server is closed and logs are flushed. */
  close(): Promise<void>;
}

export interface RunningServer extends PdpServer {
  config: Readonly<Config>;
  logger: Logger;
  metrics: PdpMetrics;
  server: Server;
}

/**
 * Starts a PDP server from programmatic options. Nothing is read from the environment.
 *
 * @example
 *   const pdp = await startPdpServer({ policiesDir: 'policies', port: 0, logLevel: 'silent' });
 *   await fetch(`${pdp.url}/v1/decide`, { method: 'POST', ... });
 *   await pdp.close();
 */
export async function startPdpServer(options: StartPdpServerOptions): Promise<PdpServer> {
  const { logger, logDestination, defaultMetrics, ...configOptions } = options;
  const config = loadConfig({ options: configOptions });
  const running = await startServer(config, { logger, logDestination, defaultMetrics });
  return { url: running.url, port: running.port, reload: running.reload, policies: running.policies, close: running.close };
}

export interface StartServerExtras {
  logger?: Logger | undefined;
  logDestination?: DestinationStream | undefined;
  defaultMetrics?: boolean | undefined;
  clock?: Clock;
}

/** Starts a PDP server from a loaded {@link Config} (what `pdp serve` calls). */
export async function startServer(config: Readonly<Config>, extras: StartServerExtras = {}): Promise<RunningServer> {
  const isDirectory = config.bundle !== null || (await stat(config.policiesDir).then((s) => s.isDirectory(), () => false));
  if (!isDirectory) {
    // Name the setting the operator used: "--policies" when the flag was given, not the env var.
    const from = config.policiesFrom === 'default' ? 'PDP_POLICIES' : config.policiesFrom;
    const hint = config.policiesFrom === 'default' ? ' (the default ./policies; set --policies or PDP_POLICIES)' : '';
    throw new ConfigError([{ variable: from, message: `policy directory ${config.policiesDir} does not exist or is not a directory${hint}` }]);
  }
  const clock = extras.clock ?? systemClock;
  const own =
    extras.logger === undefined
      ? createLogger({ level: config.logLevel, redact: config.logRedact, destination: extras.logDestination, maxBufferBytes: config.logMaxBufferBytes })
      : undefined;
  const logger = extras.logger ?? (own as NonNullable<typeof own>).logger;
  const metrics = createMetrics({ defaultMetrics: extras.defaultMetrics === true });
  const drops = own === undefined ? undefined : monitorLogDrops(own.destination, { logger, count: (reason) => metrics.logDropped.labels(reason).inc() });

  const bundle = config.bundle === null ? undefined : new BundleSource(config.bundle, { logger, metrics, now: clock.now });
  const store = bundle?.store ?? new PolicyStore({
    dir: config.policiesDir,
    load: loadInProcess,
    reload: createReloadLoader(),
    logger,
    metrics,
    now: clock.now,
    watch: config.watch,
    debounceMs: config.reloadDebounceMs,
  });
  await (bundle ?? store).start();

  const tokens = config.jwt
    ? createTokenVerifier({
        jwt: config.jwt,
        groupsClaim: config.groupsClaim,
        cacheMax: config.tokenCacheMax,
        cacheMaxTtlSec: config.tokenCacheMaxTtlSec,
        now: clock.now,
      })
    : undefined;

  // Read through getters: the shutdown below owns both flags.
  let shutdown: ReturnType<typeof gracefulServer> | undefined;
  const lifecycle = {
    get closing() {
      return shutdown?.closing === true;
    },
    get draining() {
      return shutdown?.draining === true;
    },
  };
  const decisionLog = createDecisionLog({ logger, enabled: config.decisionLog, input: config.decisionLogInput });
  const { handler } = createApp({
    config,
    store,
    logger,
    decisionLog,
    metrics,
    clock,
    tokens,
    lifecycle,
    version: packageVersion(),
  });

  const server = createServer(handler);
  shutdown = gracefulServer(server, { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs });
  // Requests Node's parser refuses before the app sees them (a 70 KB URL, a broken request line,
  // a body that never arrives) get the same problem+json as everything else, not a bare status,
  // and a request id of their own (the caller's cannot be trusted from a request that did not parse).
  const clientErrorIds = createDecisionIds();
  server.on(
    'clientError',
    clientErrorListener((code) => ({ status: errorTable[code].status, body: JSON.stringify(toProblem(new PdpError(code))), requestId: clientErrorIds() })),
  );
  // Keep-alive longer than common load balancers' idle timeout (60 s), so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = MAX_HEADERS_COUNT;
  // A flood of idle connections must not take every file descriptor (each caller service keeps
  // a keep-alive pool, so the default is generous).
  server.maxConnections = config.maxConnections;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    (bundle ?? store).close();
    // Resolving the host or binding the port is the operator's setting, not a crash.
    throw new PdpError('listen_failed', `cannot listen on ${config.host}:${config.port}`, { cause: err });
  }
  const bound = server.address() as AddressInfo;
  // The host was checked as a name; what was bound is an address. A `localhost` that resolves to
  // something else (a tampered hosts file) must not leave an unauthenticated PDP on the network.
  if (config.allowUnauthenticated && !isLoopbackHost(bound.address)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    (bundle ?? store).close();
    throw new ConfigError([
      {
        variable: 'PDP_CLIENT_TOKENS',
        message: `refusing to serve without caller authentication: ${config.host} resolved to the non-loopback address ${bound.address}`,
      },
    ]);
  }
  const port = bound.port;
  const hostForUrl = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  if (config.allowUnauthenticated) {
    logger.warn({ host: config.host }, 'no caller tokens configured (PDP_CLIENT_TOKENS): serving without caller authentication on loopback');
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const graceful = shutdown as NonNullable<typeof shutdown>;
      if (config.shutdownDelayMs > 0) logger.info({ delayMs: config.shutdownDelayMs }, 'shutting down: /readyz answers 503, still serving');
      const { cut } = await graceful.shutdown();
      (bundle ?? store).close();
      if (cut > 0) logger.warn({ timeoutMs: config.shutdownTimeoutMs, connections: cut }, 'shutdown timeout: closed the remaining connections');
      decisionLog.flush?.();
      drops?.close();
      own?.flush();
    })());

  return {
    url,
    port,
    config,
    logger,
    metrics,
    server,
    reload: (trigger = 'api') => store.reload(trigger),
    policies: () => store.describe(),
    close,
  };
}
