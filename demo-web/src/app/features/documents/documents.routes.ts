import type { Routes } from '@angular/router';
import { pageGuard } from '../../core/auth.guard';

/**
 * Any signed-in user may open the documents pages: the list holds what the PDP lets them read
 * (possibly nothing), and a document they may not read is "not found".
 */
export const DOCUMENTS_LINK = { name: 'documents', path: '/documents', label: 'Documents' } as const;

export function documentsRoutes(appTitle: string): Routes {
  return [
    {
      path: 'documents',
      title: `Documents · ${appTitle}`,
      canActivate: [pageGuard],
      loadComponent: () => import('./documents').then((m) => m.Documents),
    },
    {
      path: 'documents/:id',
      title: `Document · ${appTitle}`,
      canActivate: [pageGuard],
      loadComponent: () => import('./document').then((m) => m.DocumentPage),
    },
  ];
}
