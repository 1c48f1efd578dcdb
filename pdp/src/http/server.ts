/**
 * Starting and stopping the PDP as an HTTP service: config → logger, metrics, policy store,
 * token verifier → `createApp` → listen. `close()` is graceful: stop accepting, let requests
 * in flight finish (up to the shutdown timeout), then drop what is left.
 */
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { DestinationStream, Logger } from 'pino';
import { loadConfig, type Config, type ConfigOptions } from '../config.js';
import { compile } from '../engine/compile.js';
import { ConfigError } from '../errors.js';
import { createDecisionLog, createLogger } from '../log.js';
import { createMetrics, type PdpMetrics } from '../metrics.js';
import { loadPolicies } from '../policy/loader.js';
import { PolicyStore, type PoliciesView, type ReloadResult } from '../store/policy-store.js';
import { createTokenVerifier } from '../token/verifier.js';
import { createApp } from './app.js';
import { systemClock, type Clock } from './decisions.js';

/** Options of {@link startPdpServer}: the settings of `pdp serve`, typed, plus embedding hooks. */
export interface StartPdpServerOptions extends ConfigOptions {
  /** The policy directory (required here; `pdp serve` defaults it to ./policies). */
  policiesDir: string;
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

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
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
  try {
    if (!(await stat(config.policiesDir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new ConfigError('PDP_POLICIES', `policy directory ${config.policiesDir} does not exist or is not a directory (set --policies or PDP_POLICIES)`);
  }
  const clock = extras.clock ?? systemClock;
  const own = extras.logger === undefined ? createLogger({ level: config.logLevel, redact: config.logRedact, destination: extras.logDestination }) : undefined;
  const logger = extras.logger ?? (own as NonNullable<typeof own>).logger;
  const metrics = createMetrics({ defaultMetrics: extras.defaultMetrics === true });

  const store = new PolicyStore({
    dir: config.policiesDir,
    load: loadPolicies,
    compile,
    logger,
    metrics,
    now: clock.now,
    watch: config.watch,
    debounceMs: config.reloadDebounceMs,
  });
  await store.start();

  const tokens = config.jwt
    ? createTokenVerifier({
        jwt: config.jwt,
        groupsClaim: config.groupsClaim,
        cacheMax: config.tokenCacheMax,
        cacheMaxTtlSec: config.tokenCacheMaxTtlSec,
        now: clock.now,
      })
    : undefined;

  const lifecycle = { closing: false };
  const { app } = createApp({
    config,
    store,
    logger,
    decisionLog: createDecisionLog({ logger, enabled: config.decisionLog, destination: own?.destination, redact: config.logRedact }),
    metrics,
    clock,
    tokens,
    lifecycle,
    version: packageVersion(),
  });

  const server = createServer(app.callback());
  // Keep-alive longer than common load balancers' idle timeout (60 s), so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  if (config.allowUnauthenticated) {
    logger.warn({ host: config.host }, 'no caller tokens configured (PDP_CLIENT_TOKENS): serving without caller authentication on loopback');
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      lifecycle.closing = true;
      store.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive sockets would hold close() open; requests in flight get to finish.
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
      });
      if ((await Promise.race([closed, timedOut])) === 'timeout') {
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timeout: closing remaining connections');
        server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
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
