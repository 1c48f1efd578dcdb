import { DOCUMENT, InjectionToken, inject } from '@angular/core';

/**
 * Where the app keeps its token. sessionStorage, never localStorage: the token dies with the
 * tab and is not shared with other tabs or left behind on a shared machine.
 */
export const TOKEN_STORAGE = new InjectionToken<Storage>('TOKEN_STORAGE', {
  providedIn: 'root',
  factory: () => inject(DOCUMENT).defaultView!.sessionStorage,
});

/** Leaves the app for another origin (the IdP). A token so tests can watch instead of leaving. */
export const FULL_PAGE_NAVIGATION = new InjectionToken<(url: string) => void>('FULL_PAGE_NAVIGATION', {
  providedIn: 'root',
  factory: () => {
    const location = inject(DOCUMENT).location;
    return (url: string) => location.assign(url);
  },
});

/** The app's own origin, the only one that ever receives the bearer token. */
export const APP_ORIGIN = new InjectionToken<string>('APP_ORIGIN', {
  providedIn: 'root',
  factory: () => inject(DOCUMENT).location.origin,
});
