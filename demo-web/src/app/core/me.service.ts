import { HttpClient, HttpContext } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import type { MeResponse, PageName } from '@oracle-ai/contract';
import { firstValueFrom } from 'rxjs';

const ME_URL = '/api/me';

/** `/api/me`: who is signed in and which pages the PDP opens to them, fetched once per sign-in. */
@Injectable({ providedIn: 'root' })
export class MeService {
  readonly #http = inject(HttpClient);
  readonly #me = signal<MeResponse | null>(null);
  #request: Promise<MeResponse> | null = null;
  /** Bumped by clear(): an answer to a request sent before it belongs to another session. */
  #session = 0;

  readonly me = this.#me.asReadonly();

  may(page: PageName): boolean {
    return this.#me()?.permissions[page] === true;
  }

  /** The user and their permissions; concurrent callers share one request. */
  ensure(): Promise<MeResponse> {
    const known = this.#me();
    if (known) return Promise.resolve(known);
    if (!this.#request) {
      const request = this.load().catch((error: unknown) => {
        if (this.#request === request) this.#request = null;
        throw error;
      });
      this.#request = request;
    }
    return this.#request;
  }

  /** Asks again (with `context`, e.g. as a sign-in request) and keeps the answer unless the session changed meanwhile. */
  async load(context?: HttpContext): Promise<MeResponse> {
    const session = this.#session;
    const me = await firstValueFrom(this.#http.get<MeResponse>(ME_URL, context ? { context } : {}));
    // A login or logout that happened meanwhile wins over this stale answer.
    if (this.#session === session) this.#me.set(me);
    return me;
  }

  /** Forgets the user (sign-out, a new token). */
  clear(): void {
    this.#session += 1;
    this.#me.set(null);
    this.#request = null;
  }
}
