import { HttpClient } from '@angular/common/http';
import { inject, signal, type Signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { failureMessage } from './errors';

/** One GET a page shows, as signals: the answer once it came, or the message for a failure. */
export interface ApiGet<T> {
  readonly value: Signal<T | null>;
  readonly error: Signal<string | null>;
  readonly loading: Signal<boolean>;
}

/** Sends the GET now (call it where `inject()` works, e.g. a service's field initializer). */
export function apiGet<T>(url: string): ApiGet<T> {
  const value = signal<T | null>(null);
  const error = signal<string | null>(null);
  const loading = signal(true);
  firstValueFrom(inject(HttpClient).get<T>(url))
    .then(
      (body) => value.set(body),
      (failure: unknown) => error.set(failureMessage(failure)),
    )
    .finally(() => loading.set(false));
  return { value: value.asReadonly(), error: error.asReadonly(), loading: loading.asReadonly() };
}
