import { Component, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { failureMessage } from '../../core/errors';
import { MeService } from '../../core/me.service';
import { describeProblem, problemOf } from '../../core/problem';
import { statusWhile } from '../../core/status.service';
import { GroupOptions } from '../../shared/group-options';
import { PAGE_LINKS } from '../../shared/page-links';
import { DemoUsersTable } from './demo-users-table';

@Component({
  selector: 'app-home',
  imports: [RouterLink, DemoUsersTable, GroupOptions],
  templateUrl: './home.html',
})
export class Home {
  protected readonly auth = inject(AuthService);
  readonly #meService = inject(MeService);
  protected readonly me = this.#meService.me;
  protected readonly pages = PAGE_LINKS;
  protected readonly error = signal<string | null>(null);

  constructor() {
    statusWhile(() => this.auth.signedIn() && this.me() === null && this.error() === null, 'Loading your permissions…');
    if (this.auth.signedIn()) {
      this.#meService.ensure().catch((error: unknown) => this.error.set(failureMessage(error)));
    }
  }

  protected signIn(): void {
    if (this.auth.leaving()) return;
    this.error.set(null);
    this.auth.login('/').catch((error: unknown) => {
      this.error.set(`Could not start sign-in. ${describeProblem(problemOf(error))}`);
    });
  }
}
