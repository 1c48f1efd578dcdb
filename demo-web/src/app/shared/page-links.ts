import type { Page } from '../core/api-types';

export interface PageLink {
  readonly page: Page;
  readonly path: string;
  readonly label: string;
  readonly summary: string;
}

export const PAGE_LINKS: readonly PageLink[] = [
  { page: 'chat', path: '/chat', label: 'Chat', summary: 'Talk to the AI assistant.' },
  { page: 'analytics', path: '/analytics', label: 'Analytics', summary: 'Usage figures, as a table and a chart.' },
  { page: 'admin', path: '/admin', label: 'Admin', summary: 'The policy revision the PDP is serving.' },
];

/** The group that opens each page in the demo policies, to tell a refused user whom to ask for what. */
export const ACCESS_HINTS: Readonly<Record<string, string>> = {
  chat: 'oracle-ai-users',
  admin: 'oracle-ai-admins',
};
