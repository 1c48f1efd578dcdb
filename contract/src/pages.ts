/**
 * The demo's protected pages: the path demo-web serves each at, the PDP resource and action
 * that opens it, and its label. demo-api's `/api/me` asks the PDP about exactly these, and
 * demo-web builds its routes and navigation from them.
 */
export interface PageDefinition {
  readonly name: string;
  /** The app path, with its leading slash. */
  readonly path: `/${string}`;
  readonly resource: string;
  readonly action: string;
  readonly label: string;
}

export const PAGES = Object.freeze([
  Object.freeze({ name: 'chat', path: '/chat', resource: 'chat', action: 'read', label: 'Chat' }),
  Object.freeze({ name: 'analytics', path: '/analytics', resource: 'analytics', action: 'read', label: 'Analytics' }),
  Object.freeze({ name: 'admin', path: '/admin', resource: 'admin', action: 'read', label: 'Admin' }),
] as const) satisfies readonly PageDefinition[];

export type Page = (typeof PAGES)[number];
export type PageName = Page['name'];

/** The page of that name, or undefined for anything else (route data, query strings). */
export function pageNamed(name: unknown): Page | undefined {
  return PAGES.find((page) => page.name === name);
}
