import { HttpClient } from '@angular/common/http';
import { DOCUMENT, Injectable, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import type { AuthorizeResponse, LogoutResponse, TokenRequest, TokenResponse } from '@oracle-ai/contract';
import { FULL_PAGE_NAVIGATION, TOKEN_STORAGE } from './browser-env';
import { authFlowContext } from './http-context';
import { MeService } from './me.service';
import { isHttpUrl, safeReturnUrl } from './urls';

export const TOKEN_KEY = 'demo-web.access_token';
export const RETURN_URL_KEY = 'demo-web.return_url';
/** The `state` of the sign-in this tab sent the user off with (sessionStorage: this tab only). */
export const LOGIN_STATE_KEY = 'demo-web.login_state';

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
      const body = await firstValueFrom(
        this.#http.get<AuthorizeResponse>('/api/authorize', { context: authFlowContext() }),
      );
      if (!isHttpUrl(body?.authorize_url)) {
        throw new UnexpectedResponseError('demo-api did not return an http(s) authorize_url');
      }
      const state = new URL(body.authorize_url).searchParams.get('state');
      if (!state) throw new UnexpectedResponseError('demo-api returned an authorize_url without a state');
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
    return returnTo;
  }

  /**
   * Forgets the token first (so nothing can use it any more), then ends the IdP session through
   * its end-session URL, which brings the browser back to the signed-out home.
   */
  async logout(): Promise<void> {
    this.#forgetSession();
    this.#storage.removeItem(RETURN_URL_KEY);
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
