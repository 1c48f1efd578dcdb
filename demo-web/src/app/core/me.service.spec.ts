import { TestBed } from '@angular/core/testing';
import { describe, expect, it } from 'vitest';
import { MeService } from './me.service';
import { ALICE, BOB, nextRequest, setup } from './testing';

describe('MeService', () => {
  it('ensure shares one /api/me request between concurrent callers, then answers from memory', async () => {
    const { http } = setup({ token: 'tok' });
    const me = TestBed.inject(MeService);
    const a = me.ensure();
    const b = me.ensure();
    (await nextRequest(http, '/api/me')).flush(ALICE);
    await expect(Promise.all([a, b])).resolves.toEqual([ALICE, ALICE]);
    await me.ensure();
    http.verify();
  });

  it('a failed request is not remembered: the next ensure asks again', async () => {
    const { http } = setup({ token: 'tok' });
    const me = TestBed.inject(MeService);
    const first = me.ensure();
    (await nextRequest(http, '/api/me')).flush(null, { status: 503, statusText: 'Service Unavailable' });
    await expect(first).rejects.toMatchObject({ status: 503 });
    const second = me.ensure();
    (await nextRequest(http, '/api/me')).flush(BOB);
    await expect(second).resolves.toEqual(BOB);
    expect(me.may('analytics')).toBe(true);
    expect(me.may('chat')).toBe(false);
  });

  it('an answer that arrives after clear() (sign-out, a new token) is not kept', async () => {
    const { http } = setup({ token: 'tok' });
    const me = TestBed.inject(MeService);
    const pending = me.ensure();
    const request = await nextRequest(http, '/api/me');
    me.clear();
    request.flush(ALICE);
    await pending;
    expect(me.me()).toBeNull();
  });
});
