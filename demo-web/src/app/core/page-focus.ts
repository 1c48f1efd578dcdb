import { DOCUMENT, Injector, afterNextRender, inject } from '@angular/core';
import { NavigationEnd, Router } from '@angular/router';
import { filter, skip } from 'rxjs';

/**
 * A route change in a single-page app is silent to a screen reader and leaves the focus on the
 * link that was followed. After each navigation but the first (a full page load starts at the
 * top anyway), focus moves to the new page's heading, which reads its name, or to `main`.
 */
export function focusPageOnNavigation(): void {
  const document = inject(DOCUMENT);
  const injector = inject(Injector);
  inject(Router)
    .events.pipe(
      filter((event) => event instanceof NavigationEnd),
      skip(1),
    )
    .subscribe(() => afterNextRender({ read: () => focusMain(document) }, { injector }));
}

/** Focuses the heading of `main` (or `main` itself), without scrolling past the header. */
export function focusMain(document: Document, preferHeading = true): void {
  const main = document.getElementById('main');
  if (!main) return;
  const target = (preferHeading ? main.querySelector<HTMLElement>('h1') : null) ?? main;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: target === main });
}
