/**
 * AuthZEN Policy Decision Point metadata, `GET /.well-known/authzen-configuration`: the PDP's
 * identifier (`policy_decision_point`) and the URL of every AuthZEN endpoint it serves. The
 * endpoint paths are {@link AUTHZEN_ENDPOINTS}, which the route table uses too, so the metadata
 * cannot name a route that does not exist.
 *
 * The identifier is PDP_PUBLIC_URL. Without it, it is derived from the request's Host only when
 * the PDP serves without caller tokens: then it listens on loopback and answers only Host values
 * that are loopback names (host.ts), so the URL names this machine whatever the caller sends, and
 * the scheme is known (the PDP itself speaks plain HTTP). With caller tokens the PDP is deployed
 * behind a name and often a TLS proxy it cannot see: a Host-derived identifier would be whatever
 * the caller (or a proxy) chose and would defeat the specification's mix-up check, so the
 * metadata is a 404 naming PDP_PUBLIC_URL until it is set.
 */
import type { Context } from 'koa';
import type { AuthzenMetadata } from '@oracle-ai/contract';
import { PdpError } from '../common/errors.js';
import type { Setting, SettingsReader } from '../common/settings.js';
import { isLoopbackHost } from './host.js';
import { sendJson } from './respond.js';

export const METADATA_PATH = '/.well-known/authzen-configuration';

/** Each endpoint's metadata parameter and the path this PDP serves it at (the specification's default paths). */
export const AUTHZEN_ENDPOINTS = {
  access_evaluation_endpoint: '/access/v1/evaluation',
  access_evaluations_endpoint: '/access/v1/evaluations',
  search_subject_endpoint: '/access/v1/search/subject',
  search_resource_endpoint: '/access/v1/search/resource',
  search_action_endpoint: '/access/v1/search/action',
} as const satisfies Record<Exclude<keyof AuthzenMetadata, 'policy_decision_point'>, string>;

/** The URL changes only with a restart; a PEP may keep it this long (the specification asks for caching directives). */
const CACHE_CONTROL = 'max-age=300';

/**
 * PDP_PUBLIC_URL as the identifier: an absolute http(s) URL without credentials, query or
 * fragment (the specification forbids query and fragment), written as its origin and path with
 * no trailing slash, so endpoint paths append to it. https is what the specification asks for;
 * http is accepted for a PDP reached on a private network or locally. Undefined, with a problem
 * reported, when the value is not acceptable.
 */
export function readPublicUrl(r: SettingsReader, s: Setting<string>): string | undefined {
  const raw = r.httpUrl(s);
  if (raw === undefined) return undefined;
  const url = new URL(raw);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    r.report(s.name, `must have no user name, password, query or fragment (got ${JSON.stringify(s.value)})`);
    return undefined;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `http://<host>` for a Host header that is exactly a loopback name or address with an optional port; else undefined. */
function loopbackBase(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    return undefined;
  }
  // Parsing must give back exactly what was sent: `127.0.0.1@evil.example` or a path would not.
  if (url.host !== host.toLowerCase() || url.username !== '' || url.pathname !== '/' || !isLoopbackHost(url.hostname)) return undefined;
  return url.origin;
}

export function metadataFor(base: string): AuthzenMetadata {
  const out = { policy_decision_point: base } as Record<keyof AuthzenMetadata, string>;
  for (const [name, path] of Object.entries(AUTHZEN_ENDPOINTS) as [keyof typeof AUTHZEN_ENDPOINTS, string][]) out[name] = `${base}${path}`;
  return out;
}

export interface AuthzenMetadataOptions {
  /** PDP_PUBLIC_URL, already checked ({@link readPublicUrl}). */
  publicUrl: string | undefined;
  /** No caller tokens: the PDP answers loopback Host values only. */
  loopbackOnly: boolean;
}

/** The metadata route's last step. */
export function createAuthzenMetadata(options: AuthzenMetadataOptions): (ctx: Context) => void {
  const fixed = options.publicUrl === undefined ? undefined : metadataFor(options.publicUrl);
  return function authzenMetadata(ctx) {
    let body = fixed;
    if (body === undefined) {
      const base = options.loopbackOnly ? loopbackBase(ctx.req.headers.host) : undefined;
      if (base === undefined) {
        throw new PdpError('not_found', 'This PDP publishes AuthZEN metadata once PDP_PUBLIC_URL names the URL its callers reach it at.');
      }
      ctx.set('Vary', 'Host');
      body = metadataFor(base);
    }
    ctx.set('Cache-Control', CACHE_CONTROL);
    sendJson(ctx, body);
  };
}
