import { HttpClient } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import type { PlaygroundRequest, PlaygroundResponse } from '@oracle-ai/contract';
import { firstValueFrom } from 'rxjs';
import { isHandledByInterceptor } from '../../core/errors';
import { describeProblem, problemOf, type Problem } from '../../core/problem';

const PLAYGROUND_URL = '/api/admin/playground';

/** What the page shows for a refused question: the line, and each offending field. */
export interface PlaygroundFailure {
  readonly message: string;
  readonly errors: NonNullable<Problem['errors']>;
}

/** `POST /api/admin/playground`: one question to the PDP at a time, with its explained answer (provided by the page). */
@Injectable()
export class PlaygroundService {
  readonly #http = inject(HttpClient);
  readonly #answer = signal<{ request: PlaygroundRequest; decision: PlaygroundResponse } | null>(null);
  readonly #failure = signal<PlaygroundFailure | null>(null);
  readonly #asking = signal(false);

  /** The last answer, with the request it answers (the trace's values are read from it). */
  readonly answer = this.#answer.asReadonly();
  readonly failure = this.#failure.asReadonly();
  readonly asking = this.#asking.asReadonly();

  async ask(request: PlaygroundRequest): Promise<void> {
    if (this.#asking()) return;
    this.#asking.set(true);
    this.#failure.set(null);
    try {
      const decision = await firstValueFrom(this.#http.post<PlaygroundResponse>(PLAYGROUND_URL, request));
      this.#answer.set({ request, decision });
    } catch (error) {
      this.#answer.set(null);
      if (!isHandledByInterceptor(error)) {
        const problem = problemOf(error);
        this.#failure.set({ message: describeProblem(problem), errors: problem.errors ?? [] });
      }
    } finally {
      this.#asking.set(false);
    }
  }

  /** A question the page refused before sending it (a field that is not JSON). */
  refuse(failure: PlaygroundFailure): void {
    this.#answer.set(null);
    this.#failure.set(failure);
  }
}
