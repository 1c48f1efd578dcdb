import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientErrorListener } from '@oracle-ai/contract/client-error';
import { gracefulServer } from '@oracle-ai/contract/graceful-shutdown';
import { pino, type Logger } from 'pino';

import { createApp } from './app.js';
import { ApiError, problemBody, PROBLEMS } from './errors.js';
import { buildApiConfig, type ApiConfig, type ApiConfigInput } from './config.js';
import { MAX_REQUEST_HEADERS } from './http/edge.js';
import { Documents } from './documents/index.js';

export interface ApiHandle {
  readonly url: string;
  readonly config: ApiConfig;
  /** Opens the documents' database now (else it opens on first use); rejects when it cannot. */
  documentsReady(): Promise<void>;
  /**
   * Graceful stop: /readyz answers 503 at once, requests are served for the shutdown delay, then
   * the server stops accepting, answers what it accepted with `Connection: close`, and cuts
   * what is left after the shutdown timeout.
   */
  close(): Promise<void>;
}

export interface StartApiOptions {
  logger?: Logger;
  /** Open (and seed) the documents' database before listening, so /healthz means ready; else on first use. */
  documentsAtStart?: boolean;
}

/** Starts demo-api with `overrides` over the documented defaults; resolves once it listens. */
export async function startApi(overrides: ApiConfigInput = {}, options: StartApiOptions = {}): Promise<ApiHandle> {
  const config = buildApiConfig(overrides);
  const logger = options.logger ?? pino({
    name: 'demo-api',
    level: config.logLevel,
    // Belt and braces: nothing logs these, and if something ever does, they are cut.
    redact: { paths: ['*.authorization', '*.access_token', '*.id_token', '*.code', '*.cookie', 'req.headers'], censor: '[redacted]' },
  });
  let draining = (): boolean => false;
  const documents = new Documents(config, logger);
  if (options.documentsAtStart) await documents.store();
  const app = createApp({ config, logger, documents, draining: () => draining() });
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // Node looks for overdue requests this often (30 s by default): a slow client would
      // otherwise keep its connection up to that much past its timeout.
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    app.callback(),
  );
  // Node's own answer to a request its parser refuses (a broken request line, headers too large, a
  // timeout): problem+json like every other error, with the X-Request-ID every answer carries.
  server.on(
    'clientError',
    clientErrorListener((code) => ({ status: PROBLEMS[code].status, body: JSON.stringify(problemBody(new ApiError(code))), requestId: randomUUID() })),
  );
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = MAX_REQUEST_HEADERS;
  server.maxConnections = config.maxConnections;
  const shutdown = gracefulServer(server, { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs });
  draining = () => shutdown.draining;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (config.issuer.startsWith('http:')) logger.warn({ issuer: config.issuer }, 'the identity provider is plain http: fine on localhost for the demo, never in production');
  // The ID tokens the IdP mints for this client would carry the API audience: only the
  // access-token shape checks keep them out.
  if (config.apiAudience === config.clientId) logger.warn({ audience: config.apiAudience }, 'API_AUDIENCE equals OIDC_CLIENT_ID: ID tokens for this client name the API as their audience; give the API its own audience');
  if (!config.pdpClientToken) logger.warn('PDP_CLIENT_TOKEN is not set: calling the PDP without a caller token');
  logger.info({ url, issuer: config.issuer, pdp: config.pdpUrl }, 'demo-api listening');
  return {
    url,
    config,
    documentsReady: () => documents.store().then(() => undefined),
    close: async () => {
      if (config.shutdownDelayMs > 0) logger.info({ delayMs: config.shutdownDelayMs }, 'shutting down: /readyz answers 503, still serving');
      try {
        const { cut } = await shutdown.shutdown();
        if (cut > 0) logger.warn({ timeoutMs: config.shutdownTimeoutMs, connections: cut }, 'shutdown timeout: closed the remaining connections');
      } finally {
        await documents.close();
      }
    },
  };
}
