import { Injectable } from '@angular/core';
import type { DemoUsersResponse } from '@oracle-ai/contract';
import { apiGet } from '../core/api-get';

/**
 * `GET /api/demo/users`: demo-idp's users and what the loaded policies open to each, asked once
 * per page visit (provided by the page), so a policy edit shows on the next one. Nothing about
 * users or groups is written into the app.
 */
@Injectable()
export class DemoUsersService {
  readonly #answer = apiGet<DemoUsersResponse>('/api/demo/users');
  readonly answer = this.#answer.value;
  readonly error = this.#answer.error;
  readonly loading = this.#answer.loading;
}
