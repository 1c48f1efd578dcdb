import { Component, computed, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AuthService } from './core/auth.service';
import { MeService } from './core/me.service';
import { NoticesService } from './core/notices.service';
import { describeProblem, problemOf } from './core/problem';
import { PAGE_LINKS } from './shared/page-links';
import { DOCUMENTS_LINK } from './features/documents/documents.routes';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  templateUrl: './app.html',
})
export class App {
  protected readonly auth = inject(AuthService);
  protected readonly me = inject(MeService).me;
  protected readonly notices = inject(NoticesService);
  readonly #router = inject(Router);

  /** Only the pages the PDP allows appear in the navigation. */
  protected readonly links = computed(() => {
    const me = this.me();
    return me ? [...PAGE_LINKS.filter((link) => me.permissions[link.name] === true), DOCUMENTS_LINK] : [];
  });

  protected logout(): void {
    this.notices.clear();
    this.auth.logout().catch((error: unknown) => {
      // The token is gone already; the IdP session could not be ended, so say so.
      this.notices.show(`Signed out here, but the sign-in server could not be reached. ${describeProblem(problemOf(error))}`);
      void this.#router.navigateByUrl('/');
    });
  }
}
