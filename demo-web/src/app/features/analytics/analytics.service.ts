import { Injectable, computed } from '@angular/core';
import type { AnalyticsResponse, Figure } from '@oracle-ai/contract';
import { apiGet } from '../../core/api-get';

/** `GET /api/analytics`, asked once per page visit (provided by the page). */
@Injectable()
export class AnalyticsService {
  readonly #answer = apiGet<AnalyticsResponse>('/api/analytics');

  /** null until the answer came. */
  readonly figures = computed<readonly Figure[] | null>(() => {
    const answer = this.#answer.value();
    return answer ? (answer.figures ?? []) : null;
  });
  readonly error = this.#answer.error;
  readonly loading = this.#answer.loading;
}
