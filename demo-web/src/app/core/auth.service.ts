import { HttpClient } from '@angular/common/http';
import { DOCUMENT, Injectable, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import type { AuthorizeResponse, LogoutResponse, TokenRequest, TokenResponse } from '@oracle-ai/contract';
import { APP_ORIGIN, FULL_PAGE_NAVIGATION, TOKEN_STORAGE } from './browser-env';
import { authFlowContext } from './http-context';
import { MeService } from './me.service';
import { isHttpUrl, safeReturnUrl } from './urls';

export const TOKEN_KEY = 'demo-web.access_token';
export const RETURN_URL_KEY = 'demo-web.return_url';
/** The `state` of the sign-in this tab sent the user off with (sessionStorage: this tab only). */
export const LOGIN_STATE_KEY = 'demo-web.login_state';
/**
 * Set by a logout until the next sign-in completes. The IdP may keep its own session (the user
 * chose to stay signed in there), and a plain sign-in would then silently return as the same
 * user: the next one asks the IdP for a fresh login (`prompt=login`) instead.
 */
export const SIGNED_OUT_KEY = 'demo-web.signed_out';

/**
 * A callback whose `state` this tab did not send: someone else's sign-in (login CSRF,
 * RFC 9700 §4.7), a stale tab or a forged link. It is refused before demo-api is asked.
 */
export class LoginNotStartedHereError extends Error {
  readonly code = 'login_not_started_here';
  constructor() {
    super('this tab did not start the sign-in the callback belongs to');
    this.name = 'LoginNotStartedHereError';
  }
}

/**
 * The app is open under another origin than the one registered at the IdP (127.0.0.1 instead of
 * localhost, say): the IdP would send the browser back there, to a tab that knows nothing of
 * this sign-in. Refused before leaving, naming the origin to open instead.
 */
export class WrongOriginError extends Error {
  readonly code = 'wrong_origin';
  constructor(readonly configuredOrigin: string) {
    super(`Open this app at ${configuredOrigin} to sign in: the sign-in server returns there, not to this address.`);
    this.name = 'WrongOriginError';
  }
}

/** The API answered something the app cannot use (e.g. no authorize_url): fail loudly, never guess. */
export class UnexpectedResponseError extends Error {
  readonly code = 'unexpected_response';
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

/**
 * The signed-in state: the access token (sessionStorage only) and the login/logout round trips
 * through demo-api and the IdP. Who the user is and what they may open is {@link MeService}'s,
 * which this service clears whenever the token changes.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  readonly #http = inject(HttpClient);
  readonly #storage = inject(TOKEN_STORAGE);
  readonly #leaveTo = inject(FULL_PAGE_NAVIGATION);
  readonly #me = inject(MeService);
  readonly #origin = inject(APP_ORIGIN);

  readonly #token = signal<string | null>(this.#storage.getItem(TOKEN_KEY));
  readonly #leaving = signal<'login' | 'logout' | null>(null);

  readonly token = this.#token.asReadonly();
  readonly signedIn = computed(() => this.#token() !== null);
  /** Set once the browser is on its way to the IdP, so the page can say so instead of going blank. */
  readonly leaving = this.#leaving.asReadonly();

  constructor() {
    // Back from the IdP restores this page from the back/forward cache, still "leaving".
    inject(DOCUMENT).defaultView?.addEventListener('pageshow', (event) => {
      if (event.persisted) this.#leaving.set(null);
    });
  }

  /** Remembers where to come back to, asks demo-api for the IdP's authorize URL, and goes there. */
  async login(returnTo: string): Promise<void> {
    this.#storage.setItem(RETURN_URL_KEY, safeReturnUrl(returnTo));
    this.#leaving.set('login');
    try {
      const afterLogout = this.#storage.getItem(SIGNED_OUT_KEY) !== null;
      const body = await firstValueFrom(
        this.#http.get<AuthorizeResponse>('/api/authorize', {
          context: authFlowContext(),
          ...(afterLogout ? { params: { prompt: 'login' } } : {}),
        }),
      );
      if (!isHttpUrl(body?.authorize_url)) {
        throw new UnexpectedResponseError('demo-api did not return an http(s) authorize_url');
      }
      const params = new URL(body.authorize_url).searchParams;
      const state = params.get('state');
      if (!state) throw new UnexpectedResponseError('demo-api returned an authorize_url without a state');
      const returnsTo = params.get('redirect_uri');
      if (isHttpUrl(returnsTo) && new URL(returnsTo).origin !== this.#origin) throw new WrongOriginError(new URL(returnsTo).origin);
      this.#storage.setItem(LOGIN_STATE_KEY, state);
      this.#leaveTo(body.authorize_url);
    } catch (error) {
      this.#leaving.set(null);
      throw error;
    }
  }

  /** Where a login started now would return to (kept while the IdP round trip is under way). */
  pendingReturnUrl(): string {
    return safeReturnUrl(this.#storage.getItem(RETURN_URL_KEY));
  }

  /** A token the API no longer accepts: forget it and log in again, coming back to `returnTo`. */
  signInAgain(returnTo: string): Promise<void> {
    this.#forgetSession();
    return this.login(returnTo);
  }

  /**
   * Finishes the code flow. This tab first checks `state` is the one it sent the user off with
   * (else {@link LoginNotStartedHereError}, and demo-api is not asked); demo-api then checks it
   * against its transaction cookie and exchanges the code. Resolves to the app URL the user
   * first asked for.
   */
  async completeLogin(code: string, state: string): Promise<string> {
    // A refused callback leaves the stored state alone: a link someone else crafted must not
    // cancel the sign-in this tab really has under way.
    if (this.#storage.getItem(LOGIN_STATE_KEY) !== state) throw new LoginNotStartedHereError();
    this.#storage.removeItem(LOGIN_STATE_KEY);
    const body = await firstValueFrom(
      this.#http.post<TokenResponse>('/api/token', { code, state } satisfies TokenRequest, { context: authFlowContext() }),
    );
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      throw new UnexpectedResponseError('demo-api did not return an access_token');
    }
    this.#forgetSession();
    this.#storage.setItem(TOKEN_KEY, body.access_token);
    this.#token.set(body.access_token);
    try {
      // As a login request: a 401 here means the API refuses brand-new tokens (issuer or audience
      // misconfigured); signing in again would loop between the app and the IdP forever.
      await this.#me.load(authFlowContext());
    } catch (error) {
      this.#forgetSession();
      throw error;
    }
    const returnTo = safeReturnUrl(this.#storage.getItem(RETURN_URL_KEY));
    this.#storage.removeItem(RETURN_URL_KEY);
    this.#storage.removeItem(SIGNED_OUT_KEY);
    return returnTo;
  }

  /**
   * Forgets the token first (so nothing can use it any more), then ends the IdP session through
   * its end-session URL, which brings the browser back to the signed-out home.
   */
  async logout(): Promise<void> {
    this.#forgetSession();
    this.#storage.removeItem(RETURN_URL_KEY);
    this.#storage.setItem(SIGNED_OUT_KEY, '1');
    this.#leaving.set('logout');
    try {
      const body = await firstValueFrom(
        this.#http.get<LogoutResponse>('/api/logout', { context: authFlowContext() }),
      );
      if (!isHttpUrl(body?.logout_url)) {
        throw new UnexpectedResponseError('demo-api did not return an http(s) logout_url');
      }
      this.#leaveTo(body.logout_url);
    } catch (error) {
      this.#leaving.set(null);
      throw error;
    }
  }

  #forgetSession(): void {
    this.#storage.removeItem(TOKEN_KEY);
    this.#token.set(null);
    this.#me.clear();
  }
}
