import { DatePipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { RouterLink } from '@angular/router';
import { DOCUMENT_CLASSIFICATIONS, DOCUMENT_STATUSES, type DocumentClassification, type DocumentStatus } from '@oracle-ai/contract';
import { DocumentsService } from './documents.service';

const PAGE_SIZE = 20;

function oneOf<T extends string>(values: readonly T[], value: string): T | undefined {
  return (values as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** The documents the PDP lets the signed-in user read, a page at a time, newest first. */
@Component({
  selector: 'app-documents',
  imports: [DatePipe, RouterLink],
  templateUrl: './documents.html',
  providers: [DocumentsService],
})
export class Documents {
  protected readonly documents = inject(DocumentsService);
  protected readonly statuses = DOCUMENT_STATUSES;
  protected readonly classifications = DOCUMENT_CLASSIFICATIONS;

  protected readonly status = signal<DocumentStatus | undefined>(undefined);
  protected readonly classification = signal<DocumentClassification | undefined>(undefined);
  protected readonly search = signal('');
  protected readonly offset = signal(0);

  protected readonly page = computed(() => {
    const list = this.documents.list();
    if (!list) return null;
    const first = list.total === 0 ? 0 : list.offset + 1;
    return { first, last: list.offset + list.documents.length, total: list.total, hasPrevious: list.offset > 0, hasNext: list.offset + list.documents.length < list.total };
  });

  constructor() {
    // Every change of a filter or the page asks again; the service drops answers that arrive late.
    effect(() => {
      const query = { status: this.status(), classification: this.classification(), q: this.search(), limit: PAGE_SIZE, offset: this.offset() };
      untracked(() => void this.documents.load(query));
    });
  }

  protected setStatus(event: Event): void {
    this.status.set(oneOf(DOCUMENT_STATUSES, (event.target as HTMLSelectElement).value));
    this.offset.set(0);
  }

  protected setClassification(event: Event): void {
    this.classification.set(oneOf(DOCUMENT_CLASSIFICATIONS, (event.target as HTMLSelectElement).value));
    this.offset.set(0);
  }

  protected submitSearch(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    this.search.set(input.value);
    this.offset.set(0);
  }

  protected previous(): void {
    this.offset.update((offset) => Math.max(0, offset - PAGE_SIZE));
  }

  protected next(): void {
    this.offset.update((offset) => offset + PAGE_SIZE);
  }
}
