import { DatePipe } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import type { PoliciesResponse } from '../../core/api-types';
import { isHandledByInterceptor } from '../../core/errors';
import { describeProblem, problemOf } from '../../core/problem';

@Component({
  selector: 'app-admin',
  imports: [DatePipe],
  templateUrl: './admin.html',
})
export class Admin {
  readonly #http = inject(HttpClient);
  protected readonly policies = signal<PoliciesResponse | null>(null);
  protected readonly error = signal<string | null>(null);

  constructor() {
    firstValueFrom(this.#http.get<PoliciesResponse>('/api/admin/policies'))
      .then((body) => this.policies.set(body))
      .catch((error: unknown) => {
        if (!isHandledByInterceptor(error)) this.error.set(describeProblem(problemOf(error)));
      });
  }
}
