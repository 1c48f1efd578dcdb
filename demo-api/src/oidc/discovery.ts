import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { discard, readJson } from '../upstream.js';

/** The provider's endpoints, from discovery with each config override applied. */
export interface OidcEndpoints {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  endSessionEndpoint: string | undefined;
}

function urlOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the discovery document lazily, once: the API starts even when the IdP is not up yet,
 * and a failed fetch is retried on the next request. Not needed when every endpoint is overridden.
 */
export class OidcDiscovery {
  readonly #config: ApiConfig;
  #endpoints: OidcEndpoints | undefined;
  #pending: Promise<OidcEndpoints> | undefined;

  constructor(config: ApiConfig) {
    this.#config = config;
    const c = config;
    if (c.authorizationEndpoint && c.tokenEndpoint && c.jwksUri) {
      this.#endpoints = { issuer: c.issuer, authorizationEndpoint: c.authorizationEndpoint, tokenEndpoint: c.tokenEndpoint, jwksUri: c.jwksUri, endSessionEndpoint: c.endSessionEndpoint };
    }
  }

  async get(): Promise<OidcEndpoints> {
    if (this.#endpoints) return this.#endpoints;
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #load(): Promise<OidcEndpoints> {
    const c = this.#config;
    let doc: Record<string, unknown>;
    try {
      const response = await fetch(c.discoveryUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(c.oidcTimeoutMs), redirect: 'error' });
      if (!response.ok) {
        await discard(response);
        throw new Error(`HTTP ${response.status}`);
      }
      doc = (await readJson(response)) as Record<string, unknown>;
    } catch (cause) {
      throw new ApiError('idp_unavailable', 'The identity provider cannot be reached.', {}, { cause });
    }
    // Mix-up defence (RFC 8414 §3.3): the document must be the configured issuer's.
    if (typeof doc !== 'object' || doc === null || doc.issuer !== c.issuer) {
      throw new ApiError('idp_bad_response', 'The discovery document names another issuer than OIDC_ISSUER.');
    }
    const authorizationEndpoint = c.authorizationEndpoint ?? urlOrUndefined(doc.authorization_endpoint);
    const tokenEndpoint = c.tokenEndpoint ?? urlOrUndefined(doc.token_endpoint);
    const jwksUri = c.jwksUri ?? urlOrUndefined(doc.jwks_uri);
    if (!authorizationEndpoint || !tokenEndpoint || !jwksUri) {
      throw new ApiError('idp_bad_response', 'The discovery document lacks an authorization, token or JWKS endpoint.');
    }
    const endpoints = { issuer: c.issuer, authorizationEndpoint, tokenEndpoint, jwksUri, endSessionEndpoint: c.endSessionEndpoint ?? urlOrUndefined(doc.end_session_endpoint) };
    this.#endpoints = endpoints;
    return endpoints;
  }
}
