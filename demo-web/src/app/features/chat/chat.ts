import { HttpClient } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import type { ChatHistory, ChatMessage, ChatReply } from '../../core/api-types';
import { isHandledByInterceptor } from '../../core/errors';
import { describeProblem, problemOf } from '../../core/problem';

@Component({
  selector: 'app-chat',
  templateUrl: './chat.html',
})
export class Chat {
  readonly #http = inject(HttpClient);
  protected readonly messages = signal<readonly ChatMessage[]>([]);
  protected readonly draft = signal('');
  protected readonly sending = signal(false);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);

  constructor() {
    firstValueFrom(this.#http.get<ChatHistory>('/api/chat'))
      .then((history) => this.messages.set(history.messages ?? []))
      .catch((error: unknown) => this.#fail(error))
      .finally(() => this.loading.set(false));
  }

  protected onInput(event: Event): void {
    this.draft.set((event.target as HTMLInputElement).value);
  }

  protected async send(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const message = this.draft().trim();
    if (message === '' || this.sending()) return;
    this.sending.set(true);
    this.error.set(null);
    this.messages.update((list) => [...list, { role: 'user', text: message }]);
    this.draft.set('');
    try {
      const { reply } = await firstValueFrom(this.#http.post<ChatReply>('/api/chat', { message }));
      this.messages.update((list) => [...list, { role: 'assistant', text: reply }]);
    } catch (error) {
      this.#fail(error);
    } finally {
      this.sending.set(false);
    }
  }

  #fail(error: unknown): void {
    if (!isHandledByInterceptor(error)) this.error.set(describeProblem(problemOf(error)));
  }
}
