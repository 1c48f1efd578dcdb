import { TestBed } from '@angular/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { nextRequest, setup } from '../../core/testing';
import { ChatService } from './chat.service';

describe('ChatService', () => {
  it('loads the history, then sends a message and appends the reply', async () => {
    const { http } = setup({ token: 'tok', providers: [ChatService] });
    const chat = TestBed.inject(ChatService);
    expect(chat.loading()).toBe(true);
    const history = await nextRequest(http, '/api/chat');
    expect(history.request.method).toBe('GET');
    expect(history.request.headers.get('Authorization')).toBe('Bearer tok');
    history.flush({ messages: [{ role: 'assistant', text: 'Hello alice' }] });
    await vi.waitFor(() => expect(chat.loading()).toBe(false));

    const sent = chat.send('hi there');
    expect(chat.sending()).toBe(true);
    expect(chat.messages().at(-1)).toEqual({ role: 'user', text: 'hi there' });
    const post = http.expectOne({ method: 'POST', url: '/api/chat' });
    expect(post.request.body).toEqual({ message: 'hi there' });
    post.flush({ reply: 'Hello alice!' });
    await sent;
    expect(chat.sending()).toBe(false);
    expect(chat.messages()).toEqual([
      { role: 'assistant', text: 'Hello alice' },
      { role: 'user', text: 'hi there' },
      { role: 'assistant', text: 'Hello alice!' },
    ]);
    expect(chat.error()).toBeNull();
  });

  it('a message sent before the history came stays after it', async () => {
    const { http } = setup({ token: 'tok', providers: [ChatService] });
    const chat = TestBed.inject(ChatService);
    const history = await nextRequest(http, '/api/chat');
    const sent = chat.send('early');
    history.flush({ messages: [{ role: 'assistant', text: 'Hello' }] });
    http.expectOne({ method: 'POST', url: '/api/chat' }).flush({ reply: 'ok' });
    await sent;
    expect(chat.messages().map((m) => m.text)).toEqual(['Hello', 'early', 'ok']);
  });

  it('shows a failure as one readable line, but not a 403 (the Forbidden page shows that)', async () => {
    const { http } = setup({ token: 'tok', providers: [ChatService] });
    const chat = TestBed.inject(ChatService);
    (await nextRequest(http, '/api/chat')).flush(
      { title: 'Authorization service unavailable', status: 503, detail: 'The policy decision point did not answer in time.' },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await vi.waitFor(() => expect(chat.error()).toBe('503 Authorization service unavailable: The policy decision point did not answer in time.'));

    const refused = chat.send('hi');
    http.expectOne({ method: 'POST', url: '/api/chat' }).flush({ status: 403, title: 'Forbidden' }, { status: 403, statusText: 'Forbidden' });
    await refused;
    expect(chat.error()).toBeNull();
  });

  it('sends one message at a time and nothing empty', async () => {
    const { http } = setup({ token: 'tok', providers: [ChatService] });
    const chat = TestBed.inject(ChatService);
    (await nextRequest(http, '/api/chat')).flush({ messages: [] });
    await chat.send('');
    const first = chat.send('one');
    await chat.send('two');
    const posts = http.match({ method: 'POST', url: '/api/chat' });
    expect(posts.map((p) => p.request.body)).toEqual([{ message: 'one' }]);
    posts[0]!.flush({ reply: 'r' });
    await first;
  });
});
