import { Injectable, signal } from '@angular/core';

/** One app-wide message for failures that belong to no page (API down, sign-in could not start). */
@Injectable({ providedIn: 'root' })
export class NoticesService {
  readonly #error = signal<string | null>(null);
  readonly error = this.#error.asReadonly();

  show(message: string): void {
    this.#error.set(message);
  }

  clear(): void {
    this.#error.set(null);
  }
}
