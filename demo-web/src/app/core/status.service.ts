import { DestroyRef, Injectable, computed, effect, inject, signal } from '@angular/core';

/**
 * The text of the app's one polite live region (in the shell, present and empty from the first
 * render). A live region only announces changes it saw happen, so a page's "Loading…" is put
 * into this region rather than rendered as a new one already filled.
 */
@Injectable({ providedIn: 'root' })
export class StatusService {
  readonly #message = signal<{ owner: object; text: string } | null>(null);
  readonly message = computed(() => this.#message()?.text ?? '');

  show(owner: object, text: string): void {
    this.#message.set({ owner, text });
  }

  /** Clears the text if `owner` put it there (a page leaving must not clear the next page's). */
  release(owner: object): void {
    if (this.#message()?.owner === owner) this.#message.set(null);
  }
}

/** In a component's field initializer: `text` is the app's status while `active()` holds and the component lives. */
export function statusWhile(active: () => boolean, text: string): void {
  const status = inject(StatusService);
  const owner = {};
  effect(() => (active() ? status.show(owner, text) : status.release(owner)));
  inject(DestroyRef).onDestroy(() => status.release(owner));
}
