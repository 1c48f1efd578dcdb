import { Component, inject, signal } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { describeProblem, problemOf } from '../../core/problem';

interface Failure {
  readonly title: string;
  readonly code?: string;
  readonly description: string;
}

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

  constructor() {
    const params = inject(ActivatedRoute).snapshot.queryParamMap;
    const idpError = params.get('error');
    const code = params.get('code');
    const state = params.get('state');
    if (idpError) {
      this.failure.set({
        title: 'The sign-in server refused the sign-in',
        code: idpError,
        description: params.get('error_description') ?? 'No description was given.',
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
    try {
      const returnTo = await this.#auth.completeLogin(code, state);
      await this.#router.navigateByUrl(returnTo, { replaceUrl: true });
    } catch (error) {
      this.failure.set({ title: 'Sign-in could not be completed', description: describeProblem(problemOf(error)) });
    }
  }

  protected retry(): void {
    this.#auth.login(this.#auth.pendingReturnUrl()).catch((error: unknown) => {
      this.failure.set({ title: 'Could not start sign-in', description: describeProblem(problemOf(error)) });
    });
  }
}
