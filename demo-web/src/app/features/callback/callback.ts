import { Component, inject, signal } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { AuthService, LoginNotStartedHereError } from '../../core/auth.service';
import { describeProblem, problemOf } from '../../core/problem';
import { statusWhile } from '../../core/status.service';

interface Failure {
  readonly title: string;
  /** A known error code of the IdP's; an unknown one is not shown (it is text from the URL). */
  readonly code?: string;
  readonly description: string;
}

/**
 * What each error an IdP may send back means (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6),
 * in our words. The callback URL is anyone's to craft, so its `error_description` is never
 * shown: a link could make this page say whatever its author likes.
 */
export const IDP_ERROR_TEXT: Readonly<Record<string, string>> = {
  access_denied: 'You cancelled the sign-in (or the sign-in server would not go on). Nothing has changed; sign in again whenever you like.',
  login_required: 'The sign-in server needs you to sign in again.',
  interaction_required: 'The sign-in server needs you to complete a step on its pages.',
  consent_required: 'The sign-in server needs your consent before it lets this app in.',
  account_selection_required: 'The sign-in server needs you to choose an account.',
  invalid_request: 'The sign-in server found the sign-in request malformed.',
  invalid_scope: 'The sign-in server does not offer what this app asked for.',
  unauthorized_client: 'The sign-in server does not let this app sign users in this way.',
  unsupported_response_type: 'The sign-in server does not support the way this app signs in.',
  server_error: 'The sign-in server had an internal error.',
  temporarily_unavailable: 'The sign-in server is busy or down for maintenance.',
};

export const UNKNOWN_IDP_ERROR_TEXT = 'The sign-in server did not say why in terms this app knows.';

export const NOT_STARTED_HERE_TEXT =
  'This sign-in was not started in this browser tab, so it was not completed: a link or page may have tried to sign you in as someone else. Start the sign-in again from here.';

/** `/auth/callback`: the IdP sends the browser here with `code` and `state`, or with an error. */
@Component({
  selector: 'app-callback',
  imports: [RouterLink],
  templateUrl: './callback.html',
})
export class Callback {
  readonly #auth = inject(AuthService);
  readonly #router = inject(Router);
  protected readonly failure = signal<Failure | null>(null);
  readonly #finishing = signal(false);

  constructor() {
    statusWhile(this.#finishing, 'Finishing sign-in…');
    const params = inject(ActivatedRoute).snapshot.queryParamMap;
    const idpError = params.get('error');
    const code = params.get('code');
    const state = params.get('state');
    if (idpError) {
      const known = Object.hasOwn(IDP_ERROR_TEXT, idpError);
      this.failure.set({
        // Cancel on the sign-in page comes back as access_denied: say "cancelled", not "refused".
        title: idpError === 'access_denied' ? 'Sign-in cancelled' : 'The sign-in server refused the sign-in',
        ...(known ? { code: idpError } : {}),
        description: known ? IDP_ERROR_TEXT[idpError]! : UNKNOWN_IDP_ERROR_TEXT,
      });
    } else if (!code || !state) {
      this.failure.set({
        title: 'Nothing to finish here',
        description: 'This address is where the sign-in server sends you back; it needs a code and a state.',
      });
    } else {
      this.#finish(code, state);
    }
  }

  async #finish(code: string, state: string): Promise<void> {
    this.#finishing.set(true);
    try {
      const returnTo = await this.#auth.completeLogin(code, state);
      await this.#router.navigateByUrl(returnTo, { replaceUrl: true });
    } catch (error) {
      const description = error instanceof LoginNotStartedHereError ? NOT_STARTED_HERE_TEXT : describeProblem(problemOf(error));
      this.failure.set({ title: 'Sign-in could not be completed', description });
    } finally {
      this.#finishing.set(false);
    }
  }

  protected retry(): void {
    this.#auth.login(this.#auth.pendingReturnUrl()).catch((error: unknown) => {
      this.failure.set({ title: 'Could not start sign-in', description: describeProblem(problemOf(error)) });
    });
  }
}
