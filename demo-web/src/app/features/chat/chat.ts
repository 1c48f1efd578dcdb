import { Component, inject, signal } from '@angular/core';
import { MAX_CHAT_MESSAGE } from '@oracle-ai/contract';
import { ChatService } from './chat.service';

@Component({
  selector: 'app-chat',
  templateUrl: './chat.html',
  providers: [ChatService],
})
export class Chat {
  protected readonly chat = inject(ChatService);
  protected readonly draft = signal('');
  protected readonly maxLength = MAX_CHAT_MESSAGE;

  protected onInput(event: Event): void {
    this.draft.set((event.target as HTMLInputElement).value);
  }

  protected send(event: SubmitEvent): void {
    event.preventDefault();
    const message = this.draft().trim();
    if (message === '' || this.chat.sending()) return;
    this.draft.set('');
    void this.chat.send(message);
  }
}
