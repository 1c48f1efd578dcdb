import { TestBed } from '@angular/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { nextRequest, setup } from '../../core/testing';
import { AnalyticsService } from './analytics.service';

describe('AnalyticsService', () => {
  it('holds the figures once they came (none is an empty list, not "loading")', async () => {
    const { http } = setup({ token: 'tok', providers: [AnalyticsService] });
    const analytics = TestBed.inject(AnalyticsService);
    expect(analytics.figures()).toBeNull();
    (await nextRequest(http, '/api/analytics')).flush({ figures: [{ label: 'Sessions', value: 3 }] });
    await vi.waitFor(() => expect(analytics.figures()).toEqual([{ label: 'Sessions', value: 3 }]));
  });

  it('a 401 shows no message: the interceptor signs in again', async () => {
    const { http } = setup({ token: 'old', providers: [AnalyticsService] });
    const analytics = TestBed.inject(AnalyticsService);
    (await nextRequest(http, '/api/analytics')).flush(null, { status: 401, statusText: 'Unauthorized' });
    await nextRequest(http, '/api/authorize');
    expect(analytics.error()).toBeNull();
    expect(analytics.figures()).toBeNull();
  });
});
