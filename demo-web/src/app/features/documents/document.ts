import { DatePipe } from '@angular/common';
import { Component, effect, inject, input, signal, untracked } from '@angular/core';
import { RouterLink } from '@angular/router';
import { DOCUMENT_STATUSES, MAX_DOCUMENT_BODY, MAX_DOCUMENT_TITLE, type DocumentStatus, type DocumentUpdate } from '@oracle-ai/contract';
import { DocumentsService } from './documents.service';

/** One document; its owner may edit it while it is a draft (the API says so in `permissions.write`). */
@Component({
  selector: 'app-document',
  imports: [DatePipe, RouterLink],
  templateUrl: './document.html',
  providers: [DocumentsService],
})
export class DocumentPage {
  /** The route's `:id`. */
  readonly id = input.required<string>();

  protected readonly documents = inject(DocumentsService);
  protected readonly statuses = DOCUMENT_STATUSES;
  protected readonly maxTitle = MAX_DOCUMENT_TITLE;
  protected readonly maxBody = MAX_DOCUMENT_BODY;
  protected readonly editing = signal(false);
  protected readonly saved = signal(false);

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => {
        this.editing.set(false);
        void this.documents.open(id);
      });
    });
  }

  protected edit(): void {
    this.saved.set(false);
    this.editing.set(true);
  }

  protected cancel(): void {
    this.editing.set(false);
  }

  protected async save(event: Event, form: HTMLFormElement): Promise<void> {
    event.preventDefault();
    const doc = this.documents.document();
    if (!doc) return;
    const data = new FormData(form);
    const title = String(data.get('title') ?? '');
    const body = String(data.get('body') ?? '');
    const status = String(data.get('status') ?? '') as DocumentStatus;
    // Only what changed is sent; the API checks every field again.
    const change: { -readonly [K in keyof DocumentUpdate]: DocumentUpdate[K] } = {};
    if (title !== doc.title) change.title = title;
    if (body !== doc.body) change.body = body;
    if (status !== doc.status) change.status = status;
    if (Object.keys(change).length === 0) {
      this.editing.set(false);
      return;
    }
    if (await this.documents.save(doc.id, change)) {
      this.editing.set(false);
      this.saved.set(true);
    }
  }
}
