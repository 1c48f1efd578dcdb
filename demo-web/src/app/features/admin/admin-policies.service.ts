import { Injectable } from '@angular/core';
import type { AdminPoliciesResponse } from '@oracle-ai/contract';
import { apiGet } from '../../core/api-get';

/** `GET /api/admin/policies` (the PDP's policy listing), asked once per page visit (provided by the page). */
@Injectable()
export class AdminPoliciesService {
  readonly #answer = apiGet<AdminPoliciesResponse>('/api/admin/policies');

  /** null until the answer came. */
  readonly policies = this.#answer.value;
  readonly error = this.#answer.error;
  readonly loading = this.#answer.loading;
}
