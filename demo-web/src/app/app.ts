import { Component, DOCUMENT, computed, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AuthService } from './core/auth.service';
import { MeService } from './core/me.service';
import { NoticesService } from './core/notices.service';
import { focusMain, focusPageOnNavigation } from './core/page-focus';
import { describeProblem, problemOf } from './core/problem';
import { StatusService } from './core/status.service';
import { PAGE_LINKS } from './shared/page-links';
import { DOCUMENTS_LINK } from './features/documents/documents.routes';

const LEAVING_TEXT = { login: 'Taking you to the sign-in page…', logout: 'Signing you out…' } as const;

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  templateUrl: './app.html',
})
export class App {
  protected readonly auth = inject(AuthService);
  protected readonly me = inject(MeService).me;
  protected readonly notices = inject(NoticesService);
  readonly #status = inject(StatusService);
  readonly #router = inject(Router);
  readonly #document = inject(DOCUMENT);

  /** Only the pages the PDP allows appear in the navigation. */
  protected readonly links = computed(() => {
    const me = this.me();
    return me ? [...PAGE_LINKS.filter((link) => me.permissions[link.name] === true), DOCUMENTS_LINK] : [];
  });

  /** What the live region says: leaving for the IdP wins over a page's "Loading…". */
  protected readonly statusText = computed(() => {
    const leaving = this.auth.leaving();
    return leaving ? LEAVING_TEXT[leaving] : this.#status.message();
  });

  constructor() {
    focusPageOnNavigation();
  }

  /** The skip link: a plain "#main" would be resolved against <base href="/"> and reload the app. */
  protected skipToMain(event: Event): void {
    event.preventDefault();
    focusMain(this.#document, false);
  }

  protected logout(): void {
    this.notices.clear();
    this.auth.logout().catch((error: unknown) => {
      // The token is gone already; the IdP session could not be ended, so say so.
      this.notices.show(`Signed out here, but the sign-in server could not be reached. ${describeProblem(problemOf(error))}`);
      void this.#router.navigateByUrl('/');
    });
  }
}
