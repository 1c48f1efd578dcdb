import type { Route, Routes } from '@angular/router';
import { PAGES, type PageName } from '@oracle-ai/contract';
import { pageGuard } from './core/auth.guard';
import { documentsRoutes } from './features/documents/documents.routes';

const APP_TITLE = 'Oracle AI demo';

/** The component of each of the contract's pages (a page without one does not compile). */
const PAGE_COMPONENTS: Readonly<Record<PageName, NonNullable<Route['loadComponent']>>> = {
  chat: () => import('./features/chat/chat').then((m) => m.Chat),
  analytics: () => import('./features/analytics/analytics').then((m) => m.Analytics),
  admin: () => import('./features/admin/admin').then((m) => m.Admin),
};

export const routes: Routes = [
  {
    path: '',
    pathMatch: 'full',
    title: APP_TITLE,
    loadComponent: () => import('./features/home/home').then((m) => m.Home),
  },
  {
    path: 'auth/callback',
    title: `Signing in · ${APP_TITLE}`,
    loadComponent: () => import('./features/callback/callback').then((m) => m.Callback),
  },
  ...PAGES.map(
    (page): Route => ({
      path: page.path.slice(1),
      title: `${page.label} · ${APP_TITLE}`,
      data: { page: page.name },
      canActivate: [pageGuard],
      loadComponent: PAGE_COMPONENTS[page.name],
    }),
  ),
  ...documentsRoutes(APP_TITLE),
  {
    // Signed-in only: someone who is not signed in is sent to log in, never shown "forbidden".
    path: 'forbidden',
    title: `Access refused · ${APP_TITLE}`,
    canActivate: [pageGuard],
    loadComponent: () => import('./features/forbidden/forbidden').then((m) => m.Forbidden),
  },
  {
    path: '**',
    title: `Page not found · ${APP_TITLE}`,
    loadComponent: () => import('./features/not-found/not-found').then((m) => m.NotFound),
  },
];
