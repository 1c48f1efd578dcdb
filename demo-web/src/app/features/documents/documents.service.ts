import { HttpClient, HttpErrorResponse, HttpParams } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import type {
  DocumentClassification,
  DocumentListResponse,
  DocumentStatus,
  DocumentUpdate,
  DocumentView,
  FieldError,
} from '@oracle-ai/contract';
import { firstValueFrom } from 'rxjs';
import { failureMessage } from '../../core/errors';

const DOCUMENTS_URL = '/api/documents';

/** What the list asks for: filters left out are not sent. */
export interface DocumentQuery {
  readonly status?: DocumentStatus;
  readonly classification?: DocumentClassification;
  readonly q?: string;
  readonly limit: number;
  readonly offset: number;
}

/** The field errors of a 400 (JSON pointers into the body sent), keyed by pointer. */
function fieldErrorsOf(error: unknown): Readonly<Record<string, string>> {
  if (!(error instanceof HttpErrorResponse) || error.status !== 400) return {};
  const errors = (error.error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return {};
  return Object.fromEntries(
    errors.filter((e): e is FieldError => typeof e?.pointer === 'string' && typeof e?.detail === 'string').map((e) => [e.pointer, e.detail]),
  );
}

/**
 * demo-api's documents resource: one page of the list, one document, and saving an edit, each
 * with its state as signals. Provided by each page, so a visit starts clean.
 */
@Injectable()
export class DocumentsService {
  readonly #http = inject(HttpClient);
  readonly #list = signal<DocumentListResponse | null>(null);
  readonly #document = signal<DocumentView | null>(null);
  readonly #loading = signal(false);
  readonly #saving = signal(false);
  readonly #error = signal<string | null>(null);
  readonly #notFound = signal(false);
  readonly #fieldErrors = signal<Readonly<Record<string, string>>>({});
  // Answers to an older request than the latest are dropped, so a slow page cannot replace a newer one.
  #generation = 0;

  readonly list = this.#list.asReadonly();
  readonly document = this.#document.asReadonly();
  readonly loading = this.#loading.asReadonly();
  readonly saving = this.#saving.asReadonly();
  readonly error = this.#error.asReadonly();
  /** The document does not exist or may not be read (the API does not say which). */
  readonly notFound = this.#notFound.asReadonly();
  readonly fieldErrors = this.#fieldErrors.asReadonly();

  async load(query: DocumentQuery): Promise<void> {
    let params = new HttpParams().set('limit', query.limit).set('offset', query.offset);
    if (query.status) params = params.set('status', query.status);
    if (query.classification) params = params.set('classification', query.classification);
    const q = query.q?.trim();
    if (q) params = params.set('q', q);
    await this.#track((generation) =>
      firstValueFrom(this.#http.get<DocumentListResponse>(DOCUMENTS_URL, { params })).then((list) => {
        if (generation === this.#generation) this.#list.set(list);
      }),
    );
  }

  async open(id: string): Promise<void> {
    this.#notFound.set(false);
    this.#document.set(null);
    await this.#track((generation) =>
      firstValueFrom(this.#http.get<DocumentView>(`${DOCUMENTS_URL}/${encodeURIComponent(id)}`)).then(
        (doc) => {
          if (generation === this.#generation) this.#document.set(doc);
        },
        (error: unknown) => {
          if (error instanceof HttpErrorResponse && error.status === 404) this.#notFound.set(true);
          else throw error;
        },
      ),
    );
  }

  /** Saves an edit of the open document; true when it was saved. */
  async save(id: string, change: DocumentUpdate): Promise<boolean> {
    if (this.#saving()) return false;
    this.#saving.set(true);
    this.#error.set(null);
    this.#fieldErrors.set({});
    try {
      this.#document.set(await firstValueFrom(this.#http.patch<DocumentView>(`${DOCUMENTS_URL}/${encodeURIComponent(id)}`, change)));
      return true;
    } catch (error) {
      this.#fieldErrors.set(fieldErrorsOf(error));
      this.#error.set(failureMessage(error));
      return false;
    } finally {
      this.#saving.set(false);
    }
  }

  async #track(run: (generation: number) => Promise<void>): Promise<void> {
    const generation = ++this.#generation;
    this.#loading.set(true);
    this.#error.set(null);
    try {
      await run(generation);
    } catch (error) {
      if (generation === this.#generation) this.#error.set(failureMessage(error));
    } finally {
      if (generation === this.#generation) this.#loading.set(false);
    }
  }
}
