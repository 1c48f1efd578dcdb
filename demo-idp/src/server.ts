import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { gracefulServer } from '@oracle-ai/contract/graceful-shutdown';
import type Provider from 'oidc-provider';
import { pino, type Logger } from 'pino';

import { buildIdpConfig, type IdpConfigInput } from './config.js';
import { interactionRoutes } from './interactions.js';
import { loadOrCreateJwks, rotateJwks, type PrivateJwks } from './keys.js';
import { LoginThrottle } from './login-throttle.js';
import { checkGroupsClaimFree, createProvider } from './provider.js';
import { assignRequestId } from './request-id.js';
import { UserStore } from './users.js';

export interface StartIdpOptions extends IdpConfigInput {
  /** Users to serve instead of reading `usersFile`. */
  users?: UserStore;
  /** A private JWKS to use instead of generating one or reading `keysFile`. */
  jwks?: PrivateJwks;
  logger?: Logger;
}

export interface IdpHandle {
  readonly issuer: string;
  /** Where the server listens (equals the issuer unless IDP_ISSUER names another host). */
  readonly url: string;
  /** Key ids in the published JWKS, the signing one first. */
  kids(): string[];
  /**
   * Publishes a new RS256 signing key first in the JWKS, so new tokens carry its kid, and keeps
   * the previous keys published for tokens already issued.
   */
  rotateKeys(): Promise<{ kid: string }>;
  close(): Promise<void>;
}

/** The demo users, for demo-api's `/api/demo/users` (names, groups and claims; see UserStore.directory). */
export const DEMO_USERS_PATH = '/demo/users';

function origin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Starts the demo OpenID Provider; resolves once it listens. */
export async function startIdp(options: StartIdpOptions = {}): Promise<IdpHandle> {
  const { users: givenUsers, jwks: givenJwks, logger: givenLogger, ...input } = options;
  const config = buildIdpConfig(input);
  const logger = givenLogger ?? pino({ name: 'demo-idp', level: config.logLevel });
  const users = givenUsers ?? UserStore.fromFile(config.usersFile);
  checkGroupsClaimFree(config, users);
  let jwks: PrivateJwks;
  if (givenJwks) {
    jwks = givenJwks;
  } else {
    const loaded = await loadOrCreateJwks(config.keysFile);
    jwks = loaded.jwks;
    logger.info({ source: loaded.source, kids: jwks.keys.map((key) => key.kid) }, 'signing keys ready');
  }

  // oidc-provider reads its keys once, at construction; rotating means a new Provider over
  // the same storage (its memory adapter is shared by every instance in the process) and the
  // same cookie keys, so sessions and codes in flight carry over.
  // Outside build(): a key rotation must not wipe the sign-in failures counted so far.
  const throttle = new LoginThrottle(config);
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let issuer = '';
  const build = (keys: PrivateJwks): void => {
    const provider: Provider = createProvider({ config, issuer, users, jwks: keys, logger });
    provider.use(interactionRoutes(provider, users, throttle, logger));
    handler = provider.callback();
  };

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const reqId = assignRequestId(req, res);
    res.once('close', () => {
      logger.info(
        {
          reqId,
          // The path only: query strings carry codes, states and id_token_hints.
          req: { method: req.method, url: (req.url ?? '').split('?')[0]?.slice(0, 256) },
          res: { statusCode: res.statusCode },
          responseTime: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request completed',
      );
    });
    // Readiness, ahead of the provider's routes: 503 from the shutdown signal on.
    if (req.url === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = shutdown.draining
        ? JSON.stringify({ type: 'about:blank', title: 'Shutting down', status: 503, code: 'shutting_down', detail: 'This instance is shutting down; send new requests to another one.' })
        : JSON.stringify({ status: 'ready' });
      res.writeHead(shutdown.draining ? 503 : 200, { 'content-type': shutdown.draining ? 'application/problem+json' : 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if (req.url === DEMO_USERS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      // A demo IdP's users are no secret (the demo's home page lists them); their passwords are.
      const body = JSON.stringify({ users: users.directory() });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if (handler) {
      handler(req, res);
    } else {
      res.statusCode = 503;
      res.end();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = config.maxConnections;
  const shutdown = gracefulServer(server, { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = origin(config.host, port);
  issuer = config.issuer ?? url;
  build(jwks);

  if (issuer.startsWith('http:')) {
    logger.warn({ issuer }, 'demo-idp serves plain http: fine on localhost for the demo, never in production (cookies cannot be Secure, tokens travel in clear)');
  }
  logger.info({ url, issuer }, 'demo-idp listening');

  return {
    issuer,
    url,
    kids: () => jwks.keys.map((key) => String(key.kid)),
    async rotateKeys() {
      jwks = await rotateJwks(jwks);
      if (config.keysFile) writeFileSync(config.keysFile, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
      build(jwks);
      const kid = String(jwks.keys[0]?.kid);
      logger.info({ kid, kids: jwks.keys.map((key) => key.kid) }, 'signing key rotated');
      return { kid };
    },
    async close() {
      if (config.shutdownDelayMs > 0) logger.info({ delayMs: config.shutdownDelayMs }, 'shutting down: /readyz answers 503, still serving');
      const { cut } = await shutdown.shutdown();
      if (cut > 0) logger.warn({ timeoutMs: config.shutdownTimeoutMs, connections: cut }, 'shutdown timeout: closed the remaining connections');
    },
  };
}
