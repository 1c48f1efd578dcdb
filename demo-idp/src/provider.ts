import type { EventEmitter } from 'node:events';

import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

import type { IdpConfig } from './config.js';
import { IdpError } from './errors.js';
import { errorPage, loggedOutPage, logoutPage, pageHeaders } from './html.js';
import type { PrivateJwks } from './keys.js';
import { requestLogger } from './request-id.js';
import type { DemoUser, UserStore } from './users.js';

export interface ProviderDeps {
  config: IdpConfig;
  issuer: string;
  users: UserStore;
  jwks: PrivateJwks;
  logger: Logger;
}

/**
 * The user's groups placed at `path` (`groups`, or nested like Keycloak's `realm_access.roles`).
 * fromEntries defines own properties; config refuses prototype names besides.
 */
export function groupsClaim(path: string, groups: readonly string[]): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((inner, name) => Object.fromEntries([[name, inner]]), [...groups]) as Record<string, unknown>;
}

/** The claim that holds the groups (its first name when nested): what the profile scope releases. */
function groupsClaimName(config: IdpConfig): string {
  return config.groupsClaim.split('.')[0] ?? 'groups';
}

/** Refuses, before anything listens, a users file whose extra claims would stand where the groups go. */
export function checkGroupsClaimFree(config: IdpConfig, users: UserStore): void {
  const name = groupsClaimName(config);
  if (users.customClaimNames().includes(name)) {
    throw new IdpError('config_invalid', `IDP_GROUPS_CLAIM names ${name}, which a user in the users file also sets as an extra claim`);
  }
}

/** The claims of a user, for the ID token (filtered by scope) and the access token. */
export function profileClaims(user: DemoUser, groupsPath = 'groups'): Record<string, unknown> {
  return {
    sub: user.username,
    preferred_username: user.username,
    ...(user.name !== undefined ? { name: user.name } : {}),
    ...(user.email !== undefined ? { email: user.email, email_verified: true } : {}),
    ...user.claims,
    // Last, so no extra user claim can stand in for the groups.
    ...groupsClaim(groupsPath, user.groups),
  };
}

/**
 * Builds the oidc-provider instance. Every option that matters for security is set here on
 * purpose; see demo-idp/README.md for why each one is so.
 */
export function createProvider({ config, issuer, users, jwks, logger }: ProviderDeps): Provider {
  const audience = config.apiAudience;
  const apiScope = config.apiScopes.join(' ');
  const groupsTop = groupsClaimName(config);

  const configuration: Configuration = {
    clients: [
      {
        client_id: config.clientId,
        client_secret: config.clientSecret,
        client_name: 'Oracle AI demo',
        redirect_uris: [...config.redirectUris],
        post_logout_redirect_uris: [...config.postLogoutRedirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: config.clientAuthMethod,
        id_token_signed_response_alg: 'RS256',
      },
    ],
    // Generated at start or read from IDP_KEYS_FILE; the first RS256 key signs.
    jwks: jwks as Configuration['jwks'],
    cookies: {
      // Own names, so a second service on localhost (another IdP, the API) cannot collide.
      names: { session: 'demo_idp_session', interaction: 'demo_idp_interaction', resume: 'demo_idp_resume' },
      keys: [...config.cookieKeys],
    },
    // Code flow for a confidential client: PKCE (S256 only, the provider's default) is still required.
    pkce: { required: () => true },
    responseTypes: ['code'],
    scopes: ['openid', 'profile', 'email', ...config.apiScopes],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name', groupsTop, ...users.customClaimNames()],
      email: ['email', 'email_verified'],
    },
    // The ID token itself carries the profile claims (the demo API has no userinfo call).
    conformIdTokenClaims: false,
    findAccount: async (_ctx, sub) => {
      const user = users.find(sub);
      if (!user) return undefined;
      return { accountId: user.username, claims: async () => profileClaims(user, config.groupsClaim) as { sub: string } };
    },
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const user = users.find(token.accountId);
      if (!user) return undefined;
      return { preferred_username: user.username, ...user.claims, ...groupsClaim(config.groupsClaim, user.groups) };
    },
    formats: {
      customizers: {
        // oidc-provider types JWT access tokens at+jwt; other providers' shapes are set here,
        // since the header it merges in last is this one (undefined drops typ altogether).
        jwt: async (_ctx, _token, jwt) => {
          if (config.accessTokenTyp !== 'at+jwt') jwt.header = { typ: config.accessTokenTyp === 'none' ? undefined : config.accessTokenTyp };
        },
      },
    },
    features: {
      devInteractions: { enabled: false },
      // The demo client reads nothing from userinfo; fewer endpoints, less to attack.
      userinfo: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== audience) throw new errors.InvalidTarget();
          return {
            scope: apiScope,
            audience,
            accessTokenTTL: config.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        // A confirmation page, not an auto-submit: without it any site could sign the user out.
        // The confirmation is only worth having if no other page can frame it and click for the user.
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          pageHeaders(ctx);
          ctx.body = logoutPage(ctx.host, form);
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          pageHeaders(ctx);
          ctx.body = loggedOutPage();
        },
      },
    },
    ttl: {
      AccessToken: config.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out, error) => {
      // Bad requests are logged without request parameters: they may hold codes.
      requestLogger(logger, ctx.req).warn({ error: out.error, status: ctx.status, path: ctx.path, err: error instanceof Error ? error.message : undefined }, 'oidc error');
      pageHeaders(ctx);
      ctx.body = errorPage('Sign-in error', { error: out.error, description: out.error_description });
    },
  };

  const provider = new Provider(issuer, configuration);
  // oidc-provider takes either client_secret_* method from any client with a secret; some
  // providers hold a client registered for client_secret_post to it. demo-idp does, so a relying
  // party that still sends Basic fails here rather than at the first strict provider. The
  // default (basic) keeps oidc-provider's own answers, a request without credentials included.
  const tokenPath = provider.pathFor('token');
  provider.use(async (ctx, next) => {
    if (config.clientAuthMethod === 'client_secret_post' && ctx.path === tokenPath && ctx.method === 'POST' && ctx.get('authorization') !== '') {
      ctx.status = 401;
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'invalid_client', error_description: `the client authenticates with ${config.clientAuthMethod}` };
      return;
    }
    await next();
  });
  // Plain http on localhost: trusting X-Forwarded-* would let anyone claim https.
  provider.proxy = false;
  provider.on('server_error', (ctx, err) => requestLogger(logger, ctx.req).error({ err }, 'oidc server_error'));
  // The provider is a Koa app: without a listener, Koa prints errors of the connection itself
  // (a client hanging up mid-request) to stderr, outside the JSON log.
  (provider as unknown as EventEmitter).on('error', (err: Error & { code?: string }) => logger.warn({ err: { name: err.name, code: err.code, message: err.message } }, 'connection error'));
  provider.on('grant.error', (ctx, err) => requestLogger(logger, ctx.req).info({ error: (err as { error?: string }).error ?? err.message }, 'token request refused'));
  return provider;
}
