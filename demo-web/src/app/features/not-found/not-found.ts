import { Component } from '@angular/core';
import { RouterLink } from '@angular/router';

/** Any URL the app has no page for: said plainly, rather than a silent jump to the home page. */
@Component({
  selector: 'app-not-found',
  imports: [RouterLink],
  template: `
    <section aria-labelledby="not-found-title" class="panel">
      <h1 id="not-found-title">Page not found</h1>
      <p>This app has no page at this address.</p>
      <p><a routerLink="/">Go to the home page</a></p>
    </section>
  `,
})
export class NotFound {}
