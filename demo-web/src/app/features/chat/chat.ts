import { Component, computed, inject, signal, viewChild, type ElementRef } from '@angular/core';
import { MAX_CHAT_MESSAGE } from '@oracle-ai/contract';
import { statusWhile } from '../../core/status.service';
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
  /** aria-disabled, not disabled: a disabled button drops the focus to the page body. */
  protected readonly cannotSend = computed(() => this.chat.sending() || this.draft().trim() === '');
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');

  constructor() {
    statusWhile(this.chat.loading, 'Loading the conversation…');
  }

  protected onInput(event: Event): void {
    this.draft.set((event.target as HTMLInputElement).value);
  }

  protected send(event: SubmitEvent): void {
    event.preventDefault();
    const message = this.draft().trim();
    if (message === '' || this.chat.sending()) return;
    this.draft.set('');
    // The next message is typed where the last one was, whether it was sent by Enter or a click.
    this.field().nativeElement.focus();
    void this.chat.send(message);
  }
}
