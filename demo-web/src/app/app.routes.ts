import type { Routes } from '@angular/router';
import { pageGuard } from './core/auth.guard';

export const routes: Routes = [
  {
    path: '',
    pathMatch: 'full',
    title: 'Oracle AI demo',
    loadComponent: () => import('./features/home/home').then((m) => m.Home),
  },
  {
    path: 'auth/callback',
    title: 'Signing in · Oracle AI demo',
    loadComponent: () => import('./features/callback/callback').then((m) => m.Callback),
  },
  {
    path: 'chat',
    title: 'Chat · Oracle AI demo',
    data: { page: 'chat' },
    canActivate: [pageGuard],
    loadComponent: () => import('./features/chat/chat').then((m) => m.Chat),
  },
  {
    path: 'analytics',
    title: 'Analytics · Oracle AI demo',
    data: { page: 'analytics' },
    canActivate: [pageGuard],
    loadComponent: () => import('./features/analytics/analytics').then((m) => m.Analytics),
  },
  {
    path: 'admin',
    title: 'Admin · Oracle AI demo',
    data: { page: 'admin' },
    canActivate: [pageGuard],
    loadComponent: () => import('./features/admin/admin').then((m) => m.Admin),
  },
  {
    // Signed-in only: someone who is not signed in is sent to log in, never shown "forbidden".
    path: 'forbidden',
    title: 'Access refused · Oracle AI demo',
    canActivate: [pageGuard],
    loadComponent: () => import('./features/forbidden/forbidden').then((m) => m.Forbidden),
  },
  { path: '**', redirectTo: '' },
];
