import type { JSONSchemaType } from 'ajv';
import type { JWTVerifyGetKey } from 'jose';
import { decodeJwt } from 'jose';
import type { Router } from '@koa/router';
import type { Logger } from 'pino';

import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { jsonBody } from '../http/body.js';
import { getCookies, setCookie } from '../http/cookies.js';
import type { ApiState } from '../http/state.js';
import { authorizePromptOf, authorizeUrl, exchangeCode, logoutUrl, verifyIdToken } from '../oidc/client.js';
import type { OidcDiscovery } from '../oidc/discovery.js';
import { safeEqual } from '../oidc/random.js';
import { newTransaction, openTransaction, sealTransaction, txnCookieName, type UsedTransactions } from '../oidc/transaction.js';

interface TokenRequest {
  code: string;
  state: string;
  iss?: string;
}

const tokenRequestSchema: JSONSchemaType<TokenRequest> = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'state'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[\\x21-\\x7e]+$' },
    state: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' },
    // RFC 9207: when the app forwards the authorization response's iss, it must be ours.
    iss: { type: 'string', minLength: 1, maxLength: 2048, nullable: true },
  },
};

export interface AuthRouteDeps {
  config: ApiConfig;
  discovery: OidcDiscovery;
  keys: JWTVerifyGetKey;
  usedTransactions: UsedTransactions;
  logger: Logger;
}

function expiresInOf(accessToken: string, given: number | undefined): number {
  if (given !== undefined) return given;
  try {
    const { exp } = decodeJwt(accessToken);
    if (typeof exp === 'number') return Math.max(0, exp - Math.floor(Date.now() / 1000));
  } catch {
    // An opaque access token: fall through to a conservative guess.
  }
  return 300;
}

/**
 * Where else a planted cookie of the same name may sit: the narrower path the browser sends
 * ahead of ours on POST /api/token, and the wider one. A `__Host-` cookie can only be at /.
 */
function otherCookiePaths(config: ApiConfig): string[] {
  return config.cookieSecure ? [] : ['/api/token', '/'];
}

/** GET /api/authorize, POST /api/token, GET /api/logout: the code flow, statelessly. */
export function addAuthRoutes(router: Router<ApiState>, { config, discovery, keys, usedTransactions, logger }: AuthRouteDeps): void {
  const txnCookie = txnCookieName(config.cookieSecure);

  router.get('/api/authorize', async (ctx) => {
    const prompt = authorizePromptOf(ctx.query.prompt);
    const endpoints = await discovery.get();
    const txn = newTransaction(config.issuer, config.txnTtlSec);
    setCookie(ctx, config, txnCookie, await sealTransaction(txn, config.txnCookieKey), config.txnTtlSec);
    ctx.body = { authorize_url: authorizeUrl(config, endpoints, txn, prompt) };
  });

  router.post('/api/token', jsonBody(tokenRequestSchema), async (ctx) => {
    const body = ctx.state.body as TokenRequest;
    const cookies = getCookies(ctx, txnCookie);
    // A transaction is one attempt: the cookie goes whatever the outcome.
    setCookie(ctx, config, txnCookie, '', 0);
    // Two transactions: someone who can set cookies for this host (another port, a sibling
    // subdomain) planted theirs to make this browser finish their sign-in. Neither is trusted.
    if (cookies.length > 1) {
      for (const path of otherCookiePaths(config)) setCookie(ctx, config, txnCookie, '', 0, path);
      logger.warn({ cookies: cookies.length }, 'sign-in refused: more than one transaction cookie');
      throw new ApiError('txn_ambiguous', 'This browser sent more than one sign-in transaction; they were cleared, start again.');
    }
    const sealed = cookies[0];
    if (!sealed) throw new ApiError('txn_missing', 'No sign-in in progress in this browser (the cookie is missing or expired); start again.');
    const txn = await openTransaction(sealed, config.txnCookieKey, config.issuer);
    if (!safeEqual(body.state, txn.state)) throw new ApiError('state_mismatch', 'The state does not match this browser\'s sign-in; start again.');
    if (body.iss !== undefined && body.iss !== config.issuer) throw new ApiError('iss_mismatch', 'The authorization response came from another issuer.');
    if (!usedTransactions.use(txn)) {
      logger.warn({ txn: txn.jti }, 'replayed sign-in transaction refused');
      throw new ApiError('txn_replayed', 'This sign-in was already completed; start again.');
    }
    const endpoints = await discovery.get();
    const tokens = await exchangeCode(config, endpoints, body.code, txn.verifier);
    const idClaims = await verifyIdToken(config, keys, tokens.idToken, txn);
    logger.info({ sub: idClaims.sub }, 'signed in');
    ctx.body = { access_token: tokens.accessToken, expires_in: expiresInOf(tokens.accessToken, tokens.expiresIn) };
  });

  router.get('/api/logout', async (ctx) => {
    ctx.body = { logout_url: logoutUrl(config, await discovery.get()) };
  });
}
