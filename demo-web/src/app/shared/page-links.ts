import { PAGES, type Page, type PageName } from '@oracle-ai/contract';

export type PageLink = Page & { readonly summary: string };

/** What each page is for, on the home page's cards. */
const SUMMARIES: Readonly<Record<PageName, string>> = {
  chat: 'Talk to the AI assistant.',
  analytics: 'Usage figures, as a table and a chart.',
  admin: 'The loaded policies, readably, and a playground to ask the PDP.',
};

/** The contract's pages, in its order, with what the app says about each. */
export const PAGE_LINKS: readonly PageLink[] = PAGES.map((page) => ({ ...page, summary: SUMMARIES[page.name] }));

