/**
 * demo-api's documents resource as demo-web sees it: the values a document's classification and
 * status take, the limits of what may be written, and the shapes of the answers. The PDP's
 * schema.json (resource type `document`) lists the same classifications and statuses for the
 * policies; a demo-api test checks that the two agree.
 */
export const DOCUMENT_CLASSIFICATIONS = Object.freeze(['public', 'internal', 'confidential'] as const);
export type DocumentClassification = (typeof DOCUMENT_CLASSIFICATIONS)[number];

export const DOCUMENT_STATUSES = Object.freeze(['draft', 'published'] as const);
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const MAX_DOCUMENT_TITLE = 200;
export const MAX_DOCUMENT_BODY = 10_000;
/** Most documents in one page of `GET /api/documents`. */
export const MAX_DOCUMENT_PAGE = 100;
/** Letters, digits, `_` and `-`: what a document id looks like in a path. */
export const DOCUMENT_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/** A document in a listing: everything but its body. */
export interface DocumentSummary {
  readonly id: string;
  readonly title: string;
  readonly owner: string;
  readonly department: string;
  readonly classification: DocumentClassification;
  readonly status: DocumentStatus;
  /** ISO 8601. */
  readonly updatedAt: string;
}

/** `GET /api/documents/:id`: the document, and what the caller may do with it. */
export interface DocumentView extends DocumentSummary {
  readonly body: string;
  readonly permissions: { readonly read: boolean; readonly write: boolean };
}

/** `GET /api/documents`: one page of what the PDP lets the caller read, newest first. */
export interface DocumentListResponse {
  readonly documents: readonly DocumentSummary[];
  /** How many documents the caller may read under the same filters, across all pages. */
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  /** The policy revision the list was made under. */
  readonly revision: string;
}

/** `PATCH /api/documents/:id` (any of them, at least one) and `PUT` (all of them). */
export interface DocumentUpdate {
  readonly title?: string;
  readonly body?: string;
  readonly status?: DocumentStatus;
}
