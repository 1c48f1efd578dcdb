import { HttpClient } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import type { ChatHistory, ChatMessage, ChatReply, ChatRequest } from '@oracle-ai/contract';
import { firstValueFrom } from 'rxjs';
import { failureMessage } from '../../core/errors';

const CHAT_URL = '/api/chat';

/** `/api/chat`: the conversation (asked once per page visit, provided by the page) and sending to it. */
@Injectable()
export class ChatService {
  readonly #http = inject(HttpClient);
  readonly #messages = signal<readonly ChatMessage[]>([]);
  readonly #loading = signal(true);
  readonly #sending = signal(false);
  readonly #error = signal<string | null>(null);

  readonly messages = this.#messages.asReadonly();
  readonly loading = this.#loading.asReadonly();
  readonly sending = this.#sending.asReadonly();
  readonly error = this.#error.asReadonly();

  constructor() {
    firstValueFrom(this.#http.get<ChatHistory>(CHAT_URL))
      // Messages sent before the history came stay after it.
      .then((history) => this.#messages.update((sent) => [...(history.messages ?? []), ...sent]))
      .catch((error: unknown) => this.#error.set(failureMessage(error)))
      .finally(() => this.#loading.set(false));
  }

  /** Shows the message at once, then the assistant's reply, or the failure. One send at a time. */
  async send(message: string): Promise<void> {
    if (message === '' || this.#sending()) return;
    this.#sending.set(true);
    this.#error.set(null);
    this.#messages.update((list) => [...list, { role: 'user', text: message }]);
    try {
      const { reply } = await firstValueFrom(this.#http.post<ChatReply>(CHAT_URL, { message } satisfies ChatRequest));
      this.#messages.update((list) => [...list, { role: 'assistant', text: reply }]);
    } catch (error) {
      this.#error.set(failureMessage(error));
    } finally {
      this.#sending.set(false);
    }
  }
}
