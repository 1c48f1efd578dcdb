import type { Middleware } from 'koa';

import { ApiError } from '../errors.js';
import type { ApiState } from './state.js';

/**
 * CORS for an explicit list of origins. Preflights are answered here, before authentication:
 * a browser never sends credentials on a preflight, so it must not meet the JWT check.
 */
export function cors(origins: readonly string[]): Middleware<ApiState> {
  const allowed = new Set(origins);
  return async (ctx, next) => {
    const origin = ctx.get('Origin');
    ctx.vary('Origin');
    const ok = origin !== '' && allowed.has(origin);
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      if (!ok) throw new ApiError('origin_not_allowed', 'This origin may not call the API.');
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-ID');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    if (ok) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Access-Control-Expose-Headers', 'WWW-Authenticate, X-Request-ID');
    }
    await next();
  };
}
