import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { chosenClientToken } from './client-token.mjs';
import { readPort } from './ports.mjs';

export const DEFAULT_PORTS = Object.freeze({ IDP_PORT: 9000, PDP_PORT: 8181, API_PORT: 3000, WEB_PORT: 4200 });

// Services listen on loopback and call each other there. The browser uses PUBLIC_HOST
// (localhost), so the issuer, redirect URIs and CORS origin are built from it; service-to-service
// calls use 127.0.0.1 because Node may resolve "localhost" to ::1 first, where nothing listens.
const INTERNAL_HOST = '127.0.0.1';

/** demo-idp's endpoint paths (oidc-provider's defaults); docker-compose.yml uses the same. */
export const IDP_PATHS = Object.freeze({
  discovery: '/.well-known/openid-configuration',
  authorization: '/auth',
  token: '/token',
  jwks: '/jwks',
  endSession: '/session/end',
});

function secret() {
  return randomBytes(32).toString('base64url');
}

/**
 * The whole stack's configuration for one run, read once from the launcher's environment.
 * Secrets are random per run unless given (PDP_CLIENT_TOKEN, OIDC_CLIENT_SECRET), so a developer
 * can pick a known PDP caller token for curl.
 */
export function readStackConfig(env, root) {
  const ports = {};
  for (const [name, fallback] of Object.entries(DEFAULT_PORTS)) ports[name] = readPort(env, name, fallback);
  const seen = new Map();
  for (const [name, port] of Object.entries(ports)) {
    if (seen.has(port)) throw new Error(`${name} and ${seen.get(port)} are both ${port}; each service needs its own port`);
    seen.set(port, name);
  }
  const publicHost = env.PUBLIC_HOST || 'localhost';
  if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:]+\]$/.test(publicHost)) {
    throw new Error(`PUBLIC_HOST must be a host name or address, got "${publicHost}"`);
  }
  const publicUrl = (port) => `http://${publicHost}:${port}`;
  const internalUrl = (port) => `http://${INTERNAL_HOST}:${port}`;
  const policiesDir = path.resolve(root, env.PDP_POLICIES || 'policies');
  const readyTimeoutMs = env.START_READY_TIMEOUT_MS ? Number(env.START_READY_TIMEOUT_MS) : 60_000;
  if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs <= 0) {
    throw new Error(`START_READY_TIMEOUT_MS must be a positive number of milliseconds, got "${env.START_READY_TIMEOUT_MS}"`);
  }

  // OIDC_ISSUER set: a real provider (Keycloak, Entra ID, Okta, SiteMinder…) instead of demo-idp.
  // Its OIDC_* settings and the PDP's PDP_JWT_* then pass through from this environment as they are.
  const external = Boolean(env.OIDC_ISSUER);
  // demo-api's default client id (demo-api) is demo-idp's; a real provider's registration has its own.
  if (external && (!env.OIDC_CLIENT_ID || !env.OIDC_CLIENT_SECRET)) {
    throw new Error('OIDC_ISSUER is set (an external provider), so OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too');
  }
  const issuer = external ? env.OIDC_ISSUER : publicUrl(ports.IDP_PORT);
  const idpInternal = internalUrl(ports.IDP_PORT);
  const webOrigin = publicUrl(ports.WEB_PORT);
  const audience = `${publicUrl(ports.API_PORT)}/api`;
  const clientId = 'demo-api';
  const clientSecret = env.OIDC_CLIENT_SECRET || secret();
  const chosenToken = chosenClientToken(env);
  const pdpToken = chosenToken ?? secret();
  const redirectUri = `${webOrigin}/auth/callback`;
  const postLogoutUri = `${webOrigin}/`;

  const idp = {
    name: 'idp',
    colour: 'magenta',
    portVariable: 'IDP_PORT',
    port: ports.IDP_PORT,
    entry: path.join(root, 'demo-idp', 'dist', 'main.js'),
    args: [path.join(root, 'demo-idp', 'dist', 'main.js')],
    readyUrl: `${idpInternal}${IDP_PATHS.discovery}`,
    env: {
      IDP_HOST: INTERNAL_HOST,
      IDP_PORT: String(ports.IDP_PORT),
      IDP_ISSUER: issuer,
      IDP_CLIENT_ID: clientId,
      IDP_CLIENT_SECRET: clientSecret,
      IDP_REDIRECT_URIS: redirectUri,
      IDP_POST_LOGOUT_REDIRECT_URIS: postLogoutUri,
      IDP_API_AUDIENCE: audience,
    },
  };
  const apiOidcEnv = external
    ? {
        OIDC_REDIRECT_URI: env.OIDC_REDIRECT_URI || redirectUri,
        OIDC_POST_LOGOUT_REDIRECT_URI: env.OIDC_POST_LOGOUT_REDIRECT_URI || postLogoutUri,
      }
    : {
        OIDC_ISSUER: issuer,
        // oidc-provider builds the endpoint URLs in its discovery document from the request's
        // host, so discovery fetched over loopback names loopback endpoints. The browser-facing
        // ones are therefore pinned to the public issuer, the back-channel ones to loopback.
        OIDC_DISCOVERY_URL: `${idpInternal}${IDP_PATHS.discovery}`,
        OIDC_AUTHORIZATION_ENDPOINT: `${issuer}${IDP_PATHS.authorization}`,
        OIDC_END_SESSION_ENDPOINT: `${issuer}${IDP_PATHS.endSession}`,
        OIDC_TOKEN_ENDPOINT: `${idpInternal}${IDP_PATHS.token}`,
        OIDC_JWKS_URI: `${idpInternal}${IDP_PATHS.jwks}`,
        OIDC_CLIENT_ID: clientId,
        OIDC_CLIENT_SECRET: clientSecret,
        OIDC_REDIRECT_URI: redirectUri,
        OIDC_POST_LOGOUT_REDIRECT_URI: postLogoutUri,
        API_AUDIENCE: audience,
        // The signed-out home lists demo-idp's users (names and groups) through demo-api.
        DEMO_USERS_URL: `${idpInternal}/demo/users`,
      };
  // Token mode of the PDP (POST /v1/decide with "token"), for trying it with demo-idp's tokens.
  const pdpJwtEnv = external
    ? {}
    : { PDP_JWT_ISSUER: issuer, PDP_JWT_AUDIENCE: audience, PDP_JWKS_URL: `${idpInternal}${IDP_PATHS.jwks}` };

  return Object.freeze({
    root,
    publicHost,
    ports,
    readyTimeoutMs,
    external,
    issuer,
    webOrigin,
    policiesDir,
    pdpTokenChosen: chosenToken !== undefined,
    pdpToken,
    services: [
      ...(external ? [] : [idp]),
      {
        name: 'pdp',
        colour: 'cyan',
        portVariable: 'PDP_PORT',
        port: ports.PDP_PORT,
        entry: path.join(root, 'pdp', 'bin', 'pdp.js'),
        args: [
          path.join(root, 'pdp', 'bin', 'pdp.js'),
          'serve',
          '--policies',
          policiesDir,
          '--host',
          INTERNAL_HOST,
          '--port',
          String(ports.PDP_PORT),
        ],
        readyUrl: `${internalUrl(ports.PDP_PORT)}/readyz`,
        env: { PDP_CLIENT_TOKENS: pdpToken, ...pdpJwtEnv },
      },
      {
        name: 'api',
        colour: 'yellow',
        portVariable: 'API_PORT',
        port: ports.API_PORT,
        entry: path.join(root, 'demo-api', 'dist', 'main.js'),
        args: [path.join(root, 'demo-api', 'dist', 'main.js')],
        readyUrl: `${internalUrl(ports.API_PORT)}/healthz`,
        after: external ? ['pdp'] : ['idp', 'pdp'],
        env: {
          API_HOST: INTERNAL_HOST,
          API_PORT: String(ports.API_PORT),
          ...apiOidcEnv,
          PDP_URL: internalUrl(ports.PDP_PORT),
          PDP_CLIENT_TOKEN: pdpToken,
          CORS_ORIGINS: webOrigin,
        },
      },
      {
        name: 'web',
        colour: 'blue',
        portVariable: 'WEB_PORT',
        port: ports.WEB_PORT,
        entry: path.join(root, 'demo-web', 'server.mjs'),
        args: [path.join(root, 'demo-web', 'server.mjs')],
        readyUrl: `${internalUrl(ports.WEB_PORT)}/`,
        after: ['api'],
        env: {
          WEB_HOST: INTERNAL_HOST,
          WEB_PORT: String(ports.WEB_PORT),
          API_URL: internalUrl(ports.API_PORT),
        },
      },
    ],
  });
}
