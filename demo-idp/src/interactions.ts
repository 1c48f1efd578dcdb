import type { Middleware, Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';

import { errorPage, loginPage, pageHeaders } from './html.js';
import { clientAddress, type LoginThrottle } from './login-throttle.js';
import { requestLogger } from './request-id.js';
import { normaliseLogin, type UserStore } from './users.js';

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|abort))?$/;
const MAX_FORM_BYTES = 8 * 1024;
const INVALID_LOGIN = 'Invalid username or password.';
// The same words whoever is locked out, the user name or the address: no hint of which, or of
// whether the user exists.
const THROTTLED_LOGIN = 'Too many failed sign-in attempts. Wait a while, then try again.';

/** A typed user name as a log field: printable ASCII, anything else (and the backslash) as \uXXXX (the form caps its length). */
function loggedLogin(login: string): string {
  return login.replace(/[^\x20-\x5b\x5d-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

class FormTooLarge extends Error {}
class FormUnreadable extends Error {}

/** Reads an application/x-www-form-urlencoded body, refusing more than a login form needs. */
async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > MAX_FORM_BYTES) throw new FormTooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof FormTooLarge) throw err;
    // The browser went away mid-form: a 400, not an "interaction failed" error in the log.
    throw new FormUnreadable();
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The login and consent steps (oidc-provider's "interactions"), replacing its dev pages:
 * a plain login form checked against the users file, and automatic consent for the demo client.
 */
export function interactionRoutes(provider: Provider, users: UserStore, throttle: LoginThrottle, baseLogger: Logger): Middleware {
  return async (ctx, next) => {
    const match = ROUTE.exec(ctx.path);
    if (!match) return next();
    const [, uid = '', step] = match;
    const logger = requestLogger(baseLogger, ctx.req);
    pageHeaders(ctx);
    try {
      const interaction = await provider.interactionDetails(ctx.req, ctx.res);
      if (interaction.uid !== uid) throw Object.assign(new Error('interaction mismatch'), { name: 'SessionNotFound' });
      const { prompt, params } = interaction;
      const clientId = String(params.client_id ?? '');
      const client = await provider.Client.find(clientId);
      const clientName = client?.clientName ?? clientId;

      if (ctx.method === 'GET' && step === 'abort') {
        const to = await provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, { mergeWithLastSubmission: false });
        ctx.status = 303;
        ctx.redirect(to);
        return;
      }

      if (ctx.method === 'GET' && step === undefined) {
        if (prompt.name === 'login') {
          ctx.body = loginPage({ uid, clientName, ...(typeof params.login_hint === 'string' ? { login: params.login_hint } : {}) });
          return;
        }
        if (prompt.name === 'consent') {
          // Consent is automatic: the demo has one first-party client. Grant exactly what is missing.
          const { details } = prompt;
          const accountId = interaction.session?.accountId;
          if (!accountId) throw Object.assign(new Error('no session'), { name: 'SessionNotFound' });
          const grant = interaction.grantId
            ? await provider.Grant.find(interaction.grantId)
            : new provider.Grant({ accountId, clientId });
          if (!grant) throw Object.assign(new Error('grant not found'), { name: 'SessionNotFound' });
          const missingScope = details.missingOIDCScope as string[] | undefined;
          const missingClaims = details.missingOIDCClaims as string[] | undefined;
          const missingResource = details.missingResourceScopes as Record<string, string[]> | undefined;
          if (missingScope?.length) grant.addOIDCScope(missingScope.join(' '));
          if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
          for (const [indicator, scopes] of Object.entries(missingResource ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
          const grantId = await grant.save();
          const to = await provider.interactionResult(ctx.req, ctx.res, { consent: interaction.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
          ctx.status = 303;
          ctx.redirect(to);
          return;
        }
        ctx.status = 400;
        ctx.body = errorPage('Sign-in error', { error: 'unsupported prompt' });
        return;
      }

      if (ctx.method === 'POST' && step === 'login') {
        if (prompt.name !== 'login') {
          ctx.status = 400;
          ctx.body = errorPage('Sign-in error', { error: 'This sign-in step is already done. Start again from the application.' });
          return;
        }
        const form = await readForm(ctx);
        const login = normaliseLogin(form.get('login') ?? '');
        const password = (form.get('password') ?? '').slice(0, 256);
        const address = clientAddress(ctx.req.socket.remoteAddress);
        // Never the password; the user name as typed, escaped, so a failed guess can be traced.
        const refused = (reason: string, extra: Record<string, unknown> = {}): void => {
          logger.info({ uid, login: loggedLogin(login), address, reason, ...extra }, 'login refused');
        };
        if (!login || !password) {
          refused('missing_credentials');
          ctx.status = 401;
          ctx.body = loginPage({ uid, clientName, login, error: INVALID_LOGIN });
          return;
        }
        // Checked before the password: a throttled attempt costs no scrypt.
        const attempt = throttle.begin(login, address);
        if (attempt.throttled) {
          refused('throttled', { limit: attempt.limit, retryAfter: attempt.retryAfterSeconds });
          ctx.status = 429;
          ctx.set('Retry-After', String(attempt.retryAfterSeconds));
          ctx.body = loginPage({ uid, clientName, login, error: THROTTLED_LOGIN });
          return;
        }
        const user = await users.authenticate(login, password);
        if (!user) {
          refused(users.find(login) ? 'wrong_password' : 'unknown_user');
          ctx.status = 401;
          ctx.body = loginPage({ uid, clientName, login, error: INVALID_LOGIN });
          return;
        }
        attempt.succeeded();
        logger.info({ uid, sub: user.username }, 'login');
        const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
        ctx.status = 303;
        ctx.redirect(to);
        return;
      }

      ctx.status = 405;
      ctx.body = errorPage('Method not allowed', {});
    } catch (err) {
      if (err instanceof FormTooLarge) {
        ctx.status = 413;
        ctx.body = errorPage('Sign-in error', { error: 'The form is too large.' });
        return;
      }
      if (err instanceof FormUnreadable) {
        ctx.status = 400;
        ctx.body = errorPage('Sign-in error', { error: 'The form was cut short. Try again.' });
        return;
      }
      const name = (err as Error).name;
      if (name === 'SessionNotFound' || name === 'InvalidRequest') {
        // An expired or foreign interaction: tell the user to start again, never a 500.
        ctx.status = 400;
        ctx.body = errorPage('Sign-in expired', { error: 'This sign-in has expired or is not valid here. Go back to the application and sign in again.' });
        return;
      }
      logger.error({ err }, 'interaction failed');
      ctx.status = 500;
      ctx.body = errorPage('Sign-in error', { error: 'Something went wrong. Try again.' });
    }
  };
}
