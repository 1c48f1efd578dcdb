import { Injectable, signal } from '@angular/core';
import type { AccessOption } from '@oracle-ai/contract';
import type { Problem } from './problem';

/** What was refused, for the Forbidden page: a page the guard kept closed, or an API 403. */
export interface Refusal {
  /** The app URL the user tried to open. */
  readonly url: string;
  readonly resource?: string;
  readonly action?: string;
  readonly decisionId?: string;
  readonly revision?: string;
  /** The API's advice with its 403: the groups that would grant it ([] none would). */
  readonly access?: readonly AccessOption[];
}

@Injectable({ providedIn: 'root' })
export class RefusalService {
  readonly #last = signal<Refusal | null>(null);
  readonly last = this.#last.asReadonly();

  fromProblem(url: string, problem: Problem): void {
    this.#last.set({
      url,
      resource: problem.resource,
      action: problem.action,
      decisionId: problem.decisionId,
      revision: problem.revision,
      access: problem.access,
    });
  }

  set(refusal: Refusal): void {
    this.#last.set(refusal);
  }

  clear(): void {
    this.#last.set(null);
  }
}
