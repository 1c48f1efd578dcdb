import { TestBed } from '@angular/core/testing';
import type { DocumentListResponse, DocumentView } from '@oracle-ai/contract';
import { describe, expect, it, vi } from 'vitest';
import { nextRequest, setup } from '../../core/testing';
import { DocumentsService } from './documents.service';

const DOC: DocumentView = {
  id: 'alice-draft',
  title: 'Draft',
  body: 'Text',
  owner: 'alice',
  department: 'engineering',
  classification: 'internal',
  status: 'draft',
  updatedAt: '2026-01-01T00:00:00.000Z',
  permissions: { read: true, write: true },
};

const LIST: DocumentListResponse = { documents: [DOC], total: 1, limit: 20, offset: 0, revision: 'sha256:test' };

describe('DocumentsService', () => {
  it('sends only the filters that are set, and keeps the page that came', async () => {
    const { http } = setup({ token: 'tok', providers: [DocumentsService] });
    const documents = TestBed.inject(DocumentsService);
    void documents.load({ status: 'draft', q: '  plan ', limit: 20, offset: 40 });
    const request = await nextRequest(http, '/api/documents?limit=20&offset=40&status=draft&q=plan');
    expect(request.request.headers.get('Authorization')).toBe('Bearer tok');
    request.flush(LIST);
    await vi.waitFor(() => expect(documents.list()).toEqual(LIST));
    expect(documents.loading()).toBe(false);
  });

  it('drops an answer that comes after a newer request was sent', async () => {
    const { http } = setup({ token: 'tok', providers: [DocumentsService] });
    const documents = TestBed.inject(DocumentsService);
    void documents.load({ limit: 20, offset: 0 });
    const slow = await nextRequest(http, '/api/documents?limit=20&offset=0');
    void documents.load({ limit: 20, offset: 20 });
    const fast = await nextRequest(http, '/api/documents?limit=20&offset=20');
    fast.flush({ ...LIST, offset: 20 });
    await vi.waitFor(() => expect(documents.list()?.offset).toBe(20));
    slow.flush(LIST);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(documents.list()?.offset).toBe(20);
  });

  it('a 404 is "not found", not an error message', async () => {
    const { http } = setup({ token: 'tok', providers: [DocumentsService] });
    const documents = TestBed.inject(DocumentsService);
    void documents.open('dave-draft');
    (await nextRequest(http, '/api/documents/dave-draft')).flush({ code: 'not_found' }, { status: 404, statusText: 'Not Found' });
    await vi.waitFor(() => expect(documents.notFound()).toBe(true));
    expect(documents.error()).toBeNull();
    expect(documents.document()).toBeNull();
  });

  it('a refused save keeps the field errors by pointer', async () => {
    const { http } = setup({ token: 'tok', providers: [DocumentsService] });
    const documents = TestBed.inject(DocumentsService);
    const saved = documents.save('alice-draft', { title: ' ' });
    const request = await nextRequest(http, '/api/documents/alice-draft');
    expect(request.request.method).toBe('PATCH');
    expect(request.request.body).toEqual({ title: ' ' });
    request.flush(
      { code: 'invalid_request', status: 400, title: 'Invalid request', detail: 'The body does not match.', errors: [{ pointer: '/title', detail: 'must match pattern "\\S"' }] },
      { status: 400, statusText: 'Bad Request' },
    );
    expect(await saved).toBe(false);
    expect(documents.fieldErrors()).toEqual({ '/title': 'must match pattern "\\S"' });
    expect(documents.error()).toContain('400');
  });

  it('a save shows the document as the API answered it', async () => {
    const { http } = setup({ token: 'tok', providers: [DocumentsService] });
    const documents = TestBed.inject(DocumentsService);
    const saved = documents.save('alice-draft', { status: 'published' });
    (await nextRequest(http, '/api/documents/alice-draft')).flush({ ...DOC, status: 'published', permissions: { read: true, write: false } });
    expect(await saved).toBe(true);
    expect(documents.document()?.permissions.write).toBe(false);
  });
});
